"""The progress line of a local run: tasks, records/s, documents kept, ETA."""

from __future__ import annotations

import sys
import threading
import time
from collections import Counter
from collections.abc import Mapping

from corpus_builder.contracts.progress import summed

_TTY_REFRESH_S = 0.5
_LOG_EVERY_S = 30.0
_ETA_AFTER_S = 3.0


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    if seconds >= 60:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds}s"


class ProgressDisplay:
    def __init__(
        self,
        shared: Mapping[str, int],
        total_tasks: int,
        done_before: int,
        total_bytes: int | None,
        label: str = "",
    ) -> None:
        self.label = label
        self.shared = shared
        self.total_tasks = total_tasks
        self.done = done_before
        self.failed = 0
        self.done_before = done_before
        self.total_bytes = total_bytes
        self.started = time.monotonic()
        self.tty = sys.stderr.isatty()
        self._lock = threading.Lock()

    def task_done(self, failed: bool) -> None:
        with self._lock:
            self.done += 1
            self.failed += int(failed)

    def _counts(self) -> Counter[str]:
        for _ in range(3):
            try:
                return summed(self.shared)
            except (RuntimeError, EOFError, BrokenPipeError, ConnectionError):
                # An in-process dict may change size while it is copied; a manager may be shutting down.
                time.sleep(0.01)
        return Counter()

    def _eta(self, done_bytes: int, elapsed: float) -> str:
        if elapsed < _ETA_AFTER_S:
            return ""  # the first second's rate is mostly start-up cost
        if self.total_bytes and done_bytes:
            fraction = min(done_bytes / self.total_bytes, 1.0)
            if 0 < fraction < 1:
                return f" | ETA {_duration(elapsed * (1 - fraction) / fraction)}"
        elif self.done_before < self.done < self.total_tasks:
            per_task = elapsed / (self.done - self.done_before)
            return f" | ETA {_duration(per_task * (self.total_tasks - self.done))}"
        return ""

    def line(self, final: bool = False) -> str:
        counts = self._counts()
        elapsed = max(time.monotonic() - self.started, 1e-6)
        rate = counts["records"] / elapsed
        eta = "" if final else self._eta(counts["bytes"], elapsed)
        failed = f" ({self.failed} failed)" if self.failed else ""
        if self.label:  # a shard-level phase: its tasks are the only meaningful count
            return f"{self.label}: tasks {self.done}/{self.total_tasks}{failed} | {_duration(elapsed)}{eta}"
        return (
            f"tasks {self.done}/{self.total_tasks}{failed} | records {counts['records']:,} ({rate:,.0f}/s)"
            f" | kept {counts['kept']:,} | excluded {counts['excluded']:,} | read errors {counts['errors']:,}"
            f" | {_duration(elapsed)}{eta}"
        )

    def loop(self, stop: threading.Event) -> None:
        interval = _TTY_REFRESH_S if self.tty else _LOG_EVERY_S
        while not stop.wait(interval):
            self._show(self.line())

    def _show(self, text: str) -> None:
        if self.tty:
            sys.stderr.write("\r\x1b[2K" + text)
        else:
            sys.stderr.write(text + "\n")
        sys.stderr.flush()

    def final(self) -> None:
        text = self.line(final=True)
        sys.stderr.write(("\r\x1b[2K" if self.tty else "") + text + "\n")
        sys.stderr.flush()
