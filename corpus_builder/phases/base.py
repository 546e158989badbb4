"""Phases: the stages of a run that work on whole shards rather than on a stream of documents.

A run is a sequence of phases (documents → dedup rounds → tokenize → mixture). Each phase has a
number of tasks known when it starts (it may depend on what earlier phases wrote) and a function
that does one task. Every phase task must be idempotent and write its outputs atomically
(`writers.atomic`), so the executor can skip tasks whose completion marker exists and rerun the
rest after a crash. Executors (local, Ray) run phases through `PhaseStep`, which gives a task
datatrove's per-step stats, logs and completion markers.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator

from datatrove.data import Document, DocumentsPipeline
from datatrove.pipeline.base import PipelineStep


class Phase(ABC):
    #: Folder name under `_logs/` for this phase's completion markers and logs; unique within a run.
    name: str

    @abstractmethod
    def num_tasks(self) -> int:
        """How many tasks; called after all earlier phases have finished."""

    @abstractmethod
    def run_task(self, rank: int, step: PipelineStep) -> None:
        """Do task `rank`; count things with `step.stat_update(...)`."""

    def finish(self) -> None:  # noqa: B027 - optional hook
        """Called once in the driver after every task succeeded (e.g. to decide on another round)."""


class PhaseStep(PipelineStep):
    """Adapts a phase to the executor's pipeline-of-steps interface."""

    type = "🧱 PHASE"

    def __init__(self, phase: Phase) -> None:
        super().__init__()
        self.phase = phase
        self.name = phase.name

    def run(self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1) -> Iterator[Document]:
        with self.track_time("task"):
            self.phase.run_task(rank, self)
        yield from ()
