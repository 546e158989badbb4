"""Base class of the per-document steps: one job each, its own keep/drop statistics."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterator

from datatrove.data import Document, DocumentsPipeline
from datatrove.pipeline.base import PipelineStep
from datatrove.utils.stats import Stats

from corpus_builder.contracts.document import is_dropped, mark_dropped


class DocumentStep(PipelineStep):
    """A step that looks at one live document at a time and may reject it with a reason.

    Subclasses implement `process`, returning None to keep the document or a short reason string
    to drop it. Stats: `in`, `kept`, and `dropped.<reason>` per step (datatrove's stats files).
    """

    type = "🧩 STEP"
    #: Stage name written to the exclusion output (`stage` column) of documents this step drops.
    stage: str = ""

    @abstractmethod
    def process(self, doc: Document) -> str | None: ...

    def set_name(self, name: str) -> None:
        """Name a step after its configuration (e.g. its preset); its stats carry the new name."""
        self.name = self.stage = name
        self.stats = Stats(str(self))

    def applies(self, doc: Document) -> bool:
        """Whether this step has anything to do with `doc` (e.g. decoding only applies to raw bodies)."""
        return True

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> Iterator[Document]:
        for doc in data:
            if is_dropped(doc) or not self.applies(doc):
                yield doc
                continue
            self.stat_update("in")
            with self.track_time():
                reason = self.process(doc)
            if reason is None:
                self.stat_update("kept")
            else:
                mark_dropped(doc, self.stage, reason)
                self.stat_update(f"dropped.{reason}")
            yield doc
