"""Live counters shared between pipeline tasks and the process that shows progress.

Steps call `progress.add(...)` per record; counts accumulate locally and are pushed to a shared
mapping at most twice a second, so the per-record cost is a dict update. Each process writes only
its own keys (`<pid>.<name>`), which keeps the shared mapping free of read-modify-write races.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Mapping, MutableMapping

_FLUSH_EVERY_S = 0.5


class ProgressCounters:
    def __init__(self) -> None:
        self._shared: MutableMapping[str, int] | None = None
        self._totals: Counter[str] = Counter()
        self._last_flush = 0.0

    def attach(self, shared: MutableMapping[str, int] | None) -> None:
        self._shared = shared
        self._totals = Counter()

    def add(self, **counts: int) -> None:
        if self._shared is None:
            return
        self._totals.update(counts)
        if time.monotonic() - self._last_flush >= _FLUSH_EVERY_S:
            self.flush()

    def flush(self) -> None:
        if self._shared is None:
            return
        pid = os.getpid()
        self._shared.update({f"{pid}.{key}": value for key, value in self._totals.items()})
        self._last_flush = time.monotonic()


def summed(shared: Mapping[str, int]) -> Counter[str]:
    totals: Counter[str] = Counter()
    for key, value in dict(shared).items():
        totals[key.split(".", 1)[1]] += value
    return totals


progress = ProgressCounters()
