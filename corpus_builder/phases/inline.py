"""Run phases one after another in this process: for tests and benchmarks.

It follows the executor contract: `num_tasks()`, then `run_task(rank, step)` for every rank (here in
order, or in a seeded random order, possibly stopping early), then `finish()` in the driver, whose
follow-up phases run next. There are no completion markers, so every task runs every time (tasks are
idempotent); the real executors (executors/local.py, executors/ray.py) add markers and processes.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable

from corpus_builder.phases.base import Phase, PhaseStep


class StopRun(Exception):
    """Raised by `run_phases` when `stop_after_tasks` tasks have run (a simulated kill)."""


def run_phases(
    phases: Iterable[Phase],
    shuffle_seed: int | None = None,
    stop_after_tasks: int | None = None,
    on_phase: Callable[[Phase, int], None] | None = None,
) -> list[str]:
    """Run phases and their follow-ups sequentially; returns the names of the phases run, in order.

    shuffle_seed: run each phase's tasks in a random (seeded) order instead of 0..n-1.
    stop_after_tasks: raise StopRun after that many tasks in total (simulates a killed run).
    on_phase: called with each phase and its task count before its tasks run.
    """
    queue = list(phases)
    names: list[str] = []
    done = 0
    rng = random.Random(shuffle_seed)
    while queue:
        phase = queue.pop(0)
        n = phase.num_tasks()
        if on_phase:
            on_phase(phase, n)
        ranks = list(range(n))
        if shuffle_seed is not None:
            rng.shuffle(ranks)
        step = PhaseStep(phase)
        for rank in ranks:
            if stop_after_tasks is not None and done >= stop_after_tasks:
                raise StopRun(f"stopped before {phase.name} task {rank}")
            phase.run_task(rank, step)
            done += 1
        names.append(phase.name)
        queue = phase.finish() + queue
    return names
