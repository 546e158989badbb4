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
from dataclasses import dataclass

from datatrove.data import Document, DocumentsPipeline
from datatrove.io import DataFolder, get_datafolder
from datatrove.pipeline.base import PipelineStep


@dataclass(frozen=True)
class RunContext:
    """What every phase may know about the run it belongs to."""

    output_dir: str  # absolute local path or fsspec URL; every phase reads and writes below it
    seed: int

    def folder(self) -> DataFolder:
        return get_datafolder(self.output_dir)


def document_files(ctx: RunContext, documents_folder: str) -> list[str]:
    """<documents_folder>/<lang>/<task>.parquet, relative to the output dir, sorted (task order)."""
    folder, documents_folder = ctx.folder(), documents_folder.strip("/")
    if not folder.exists(documents_folder):
        return []
    found = folder.list_files(documents_folder, recursive=True, glob_pattern="*/*.parquet")
    return sorted(p for p in found if p.count("/") == 2 and p.endswith(".parquet"))


class Phase(ABC):
    #: Folder name under `_logs/` for this phase's completion markers and logs; unique within a run.
    name: str

    @abstractmethod
    def num_tasks(self) -> int:
        """How many tasks; called after all earlier phases have finished."""

    @abstractmethod
    def run_task(self, rank: int, step: PipelineStep) -> None:
        """Do task `rank`; count things with `step.stat_update(...)`."""

    def skip_reason(self) -> str | None:
        """Why this phase and every later one cannot run on what earlier phases wrote (e.g. a run
        that kept no documents has nothing to train a tokenizer on); None when it can run. Called in
        the driver just before the phase would start."""
        return None

    def finish(self) -> list[Phase]:
        """Called in the driver once every task succeeded (again on a resumed run, so it must be a
        pure function of the outputs). Returns follow-up phases to run next, e.g. another round of
        an iterative algorithm; their names must be deterministic (`dedup.components.round-003`)."""
        return []


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
