"""Run phases one after another in this process: for tests, benchmarks and small runs.

The real executors run each task through `PhaseStep` with completion markers; this runner does
the same sequence (all tasks of a phase, then `finish()`, then its follow-ups depth-first before
the next listed phase) without markers, so every task runs every time (tasks are idempotent).
"""

from __future__ import annotations

from collections.abc import Iterable

from corpus_builder.phases.base import Phase, PhaseStep


def run_phases(phases: Iterable[Phase]) -> list[str]:
    """Run `phases` and their follow-ups; returns the names of the phases that ran, in order."""
    ran: list[str] = []
    pending = list(phases)
    while pending:
        phase = pending.pop(0)
        step = PhaseStep(phase)
        for rank in range(phase.num_tasks()):
            phase.run_task(rank, step)
        ran.append(phase.name)
        pending[:0] = phase.finish()
    return ran
