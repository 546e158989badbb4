"""English quality step: datatrove's Gopher/C4/FineWeb filters; reason = "<filter>:<datatrove reason>"."""

from __future__ import annotations

from datatrove.data import Document

from corpus_builder.config.stages import EnglishQualityStage
from corpus_builder.quality.english import EnglishFilters
from corpus_builder.stages.base import DocumentStep


class EnglishQualityFilter(DocumentStep):
    type = "🔻 QUALITY"
    name = "quality.english"
    stage = "quality.english"

    def __init__(self, config: EnglishQualityStage, base_dir: str | None = None) -> None:
        super().__init__()
        self.filters = EnglishFilters(config.filters, config.params)
        self.languages = frozenset(config.languages)

    def process(self, doc: Document) -> str | None:
        if doc.metadata.get("lang") not in self.languages:
            return None
        reason, text = self.filters.run(doc.text, str(doc.id))
        if reason is None:
            doc.text = text  # C4QualityFilter removes lines it rejects
        return reason
