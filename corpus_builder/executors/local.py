"""Run a pipeline's tasks on this machine: a process pool, completion markers, live progress.

Built on datatrove's PipelineExecutor (`completions/` markers, stats files); each task runs through
executors/task.py (piping steps, per-step stats, per-task logs). Ours adds what a corpus run needs
on a terminal: a progress line, failures collected per task instead of a traceback from a pool, and
progress counters shared by the workers.
"""

from __future__ import annotations

import json
import multiprocessing
import sys
import threading
import traceback
from collections.abc import Callable, MutableMapping
from contextlib import nullcontext
from copy import deepcopy
from dataclasses import dataclass, field
from multiprocessing.managers import SyncManager

from datatrove.executor.base import DistributedEnvVars, PipelineExecutor
from datatrove.io import DataFolder
from datatrove.pipeline.base import PipelineStep
from datatrove.utils.stats import PipelineStats

from corpus_builder.contracts import outputs
from corpus_builder.contracts.progress import progress
from corpus_builder.executors.display import ProgressDisplay
from corpus_builder.executors.task import run_task
from corpus_builder.writers.atomic import atomic_open


@dataclass
class RunResult:
    ran: list[int] = field(default_factory=list)
    skipped: int = 0
    failures: dict[int, str] = field(default_factory=dict)


_EXECUTOR: LocalExecutor | None = None


def _die_with_parent() -> None:
    """Ask Linux to SIGKILL this worker when the driver dies, so a killed run leaves no orphan still
    writing into the output directory while its rerun starts."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes
    import signal

    pr_set_pdeathsig = 1
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)


def _progress_manager() -> SyncManager:
    """The process holding the shared progress counters; like the pool workers, it must not outlive a
    killed driver (an orphaned manager would wait on its socket forever)."""
    manager = SyncManager(ctx=multiprocessing.get_context("fork"))
    manager.start(_die_with_parent)
    return manager


def _init_worker(executor: LocalExecutor, shared: MutableMapping[str, int]) -> None:
    global _EXECUTOR
    _die_with_parent()
    _EXECUTOR = executor
    progress.attach(shared)


def _run_in_worker(rank: int) -> tuple[int, str | None]:
    assert _EXECUTOR is not None
    return _EXECUTOR.run_one(rank)


class LocalExecutor(PipelineExecutor):
    def __init__(
        self,
        pipeline: list[PipelineStep | Callable],
        tasks: int,
        workers: int,
        logging_dir: str,
        describe_rank: Callable[[int], str] = str,
        total_bytes: int | None = None,
        label: str = "",
    ) -> None:
        super().__init__(pipeline, logging_dir=logging_dir, skip_completed=True)
        self.tasks = tasks
        self.workers = max(1, min(workers, tasks))
        self.describe_rank = describe_rank
        self.total_bytes = total_bytes
        self.label = label

    @property
    def world_size(self) -> int:
        return self.tasks

    def get_distributed_env(self, node_rank: int = -1) -> DistributedEnvVars:
        return DistributedEnvVars(
            datatrove_node_ips="localhost",
            datatrove_cpus_per_task="1",
            datatrove_mem_per_cpu="-1",
            datatrove_gpus_on_node="0",
            datatrove_executor="LOCAL",
        )

    def run_one(self, rank: int) -> tuple[int, str | None]:
        pipeline = self.pipeline
        # Steps hold per-task state (stats, lazily built extractors); each task gets fresh copies.
        self.pipeline = deepcopy(pipeline)
        try:
            run_task(self, rank)
            return rank, None
        except Exception as exc:  # noqa: BLE001 - reported per task; the other tasks go on
            last = traceback.extract_tb(exc.__traceback__)[-1]
            return rank, f"{type(exc).__name__}: {exc} (at {last.filename}:{last.lineno})"
        finally:
            self.pipeline = pipeline
            progress.flush()

    def run(self) -> RunResult:
        result = RunResult()
        ranks = self.get_incomplete_ranks()
        result.skipped = self.tasks - len(ranks)
        if not ranks:
            return result
        with _progress_manager() if self.workers > 1 else nullcontext() as manager:
            shared: MutableMapping[str, int] = manager.dict() if manager else {}
            display = ProgressDisplay(
                shared,
                total_tasks=self.tasks,
                done_before=result.skipped,
                total_bytes=self.total_bytes,
                label=self.label,
            )
            stop = threading.Event()
            ticker = threading.Thread(target=display.loop, args=(stop,), daemon=True)
            ticker.start()
            try:
                for rank, error in self._dispatch(ranks, shared):
                    display.task_done(failed=error is not None)
                    result.ran.append(rank)
                    if error:
                        result.failures[rank] = error
                        print(f"task {rank} ({self.describe_rank(rank)}) failed: {error}", file=sys.stderr)
            finally:
                stop.set()
                ticker.join()
                display.final()
        merge_stats(self.logging_dir)
        return result

    def _dispatch(self, ranks: list[int], shared: MutableMapping[str, int]):
        if self.workers == 1:
            progress.attach(shared)
            try:
                for rank in ranks:
                    yield self.run_one(rank)
            finally:
                progress.attach(None)
            return
        # fork: workers inherit the built pipeline (models, rule sets) instead of rebuilding it.
        ctx = multiprocessing.get_context("fork")
        with ctx.Pool(
            self.workers, initializer=_init_worker, initargs=(self, shared), maxtasksperchild=64
        ) as pool:
            yield from pool.imap_unordered(_run_in_worker, ranks)


def merge_stats(logging_dir: DataFolder) -> None:
    """Sum the per-task stats files of a phase into its `stats.json`."""
    total = PipelineStats()
    for path in sorted(logging_dir.list_files("stats")):
        try:
            with logging_dir.open(path, "r") as f:
                total += PipelineStats.from_json(json.load(f))
        except ValueError as exc:
            # Cut short by a full disk or a kill: timings only, and the task that wrote it is redone
            # (its completion mark comes after its stats), so the sum goes on without it.
            print(
                f"warning: {logging_dir.path}/{path}: unreadable task stats left out ({exc})", file=sys.stderr
            )
    with atomic_open(logging_dir, outputs.PHASE_STATS) as f:
        f.write(total.to_json().encode())
