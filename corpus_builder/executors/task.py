"""One task of a pipeline: pipe the steps, save their stats, mark the rank completed.

This is datatrove's `PipelineExecutor._run_for_rank` with one change: logging is set up once per
process instead of once per task. datatrove's `add_task_logger` / `close_task_logger` remove and
re-add loguru sinks for every task, and each `logger.add` builds an exception formatter that walks
sysconfig's paths. On a Common Crawl WARC of 40k records that is nothing; on the benchmark's files
of a few hundred records and on a WARP crawl's many small files it shows (figures: README,
"Dependencies"). Here one sink per process writes to the current task's log file, and a failing
task's traceback goes to that file only: the executors print their own one-line summary on the
terminal.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections import deque
from typing import IO

from datatrove.executor.base import PipelineExecutor
from datatrove.utils.logging import log_pipeline, logger
from datatrove.utils.stats import PipelineStats

_FORMAT = "{time:YYYY-MM-DD HH:mm:ss.SSS} | {level: <8} | {name}:{function}:{line} - {message}"


class _TaskLogSink:
    """A loguru sink that writes to whichever task log file is open in this process."""

    def __init__(self) -> None:
        self.file: IO[str] | None = None

    def write(self, message: str) -> None:
        if self.file is not None:
            # A full disk: the line is lost, not turned into loguru's "Logging error" traceback on the
            # terminal; the task's own failure (the same OSError) is reported by the executor.
            with contextlib.suppress(OSError):
                self.file.write(message)


_SINK = _TaskLogSink()
_CONFIGURED_PID: int | None = None


def _configure_logging() -> None:
    global _CONFIGURED_PID
    if os.getpid() == _CONFIGURED_PID:
        return
    logger.remove()
    # The terminal belongs to the progress display: only errors of the steps reach it.
    logger.add(sys.stderr, level="ERROR", format=_FORMAT, colorize=False)
    logger.add(_SINK, level="DEBUG", format=_FORMAT, colorize=False)
    _CONFIGURED_PID = os.getpid()


def run_task(executor: PipelineExecutor, rank: int) -> PipelineStats:
    """Run `rank` of `executor.pipeline`; raises what a step raised (after logging it to the task log)."""
    if executor.is_rank_completed(rank):
        return PipelineStats()
    _configure_logging()
    with executor.logging_dir.open(f"logs/task_{rank:05d}.log", "w") as logfile:
        _SINK.file = logfile
        try:
            logger.info(f"Launching pipeline for {rank=}")
            log_pipeline(executor.pipeline)
            data = None
            for step in executor.pipeline:
                data = step(data, rank, executor.world_size)
            if data is not None:
                deque(data, maxlen=0)
            stats = PipelineStats(executor.pipeline)
            with executor.logging_dir.open(f"stats/{rank:05d}.json", "w") as f:
                stats.save_to_disk(f)
            logger.info(stats.get_repr(f"Task {rank}"))
            executor.mark_rank_as_completed(rank)
            return stats
        except Exception as exc:
            logger.opt(exception=exc).debug(f"task {rank} failed")
            raise
        finally:
            logger.complete()
            _SINK.file = None
