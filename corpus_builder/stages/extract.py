"""Extract step: HTML → main text, behind a size guard, a structural guard and a per-record limit."""

from __future__ import annotations

from datatrove.data import Document

from corpus_builder.config.stages import ExtractStage
from corpus_builder.contracts.document import HTML
from corpus_builder.stages.base import DocumentStep
from corpus_builder.text.extract import (
    ExtractionFailed,
    ExtractionTimeout,
    ExtractSettings,
    InProcessExtractor,
)
from corpus_builder.text.extract_process import ExtractorCrashed, ExtractorProcess, shared_extractor
from corpus_builder.text.html_guard import most_attributes_over


class TextExtractor(DocumentStep):
    type = "🛢 EXTRACT"
    name = "extract"
    stage = "extract"

    def __init__(self, config: ExtractStage, base_dir: str | None = None) -> None:
        super().__init__()
        self.config = config
        self._extractor: ExtractorProcess | InProcessExtractor | None = None

    def applies(self, doc: Document) -> bool:
        return HTML in doc.metadata

    def _get_extractor(self) -> ExtractorProcess | InProcessExtractor:
        if self._extractor is None:
            c = self.config
            settings = ExtractSettings(c.engine, c.include_tables, c.favor, c.fallback)
            if c.isolate:
                self._extractor = shared_extractor(settings, c.timeout_s)
            else:
                self._extractor = InProcessExtractor(settings, c.timeout_s)
        return self._extractor

    def process(self, doc: Document) -> str | None:
        html: str = doc.metadata.pop(HTML)
        if len(html) > self.config.max_html_chars:
            return "html_too_large"
        if most_attributes_over(html, self.config.max_attributes_per_tag) is not None:
            return "too_many_attributes"
        try:
            text = self._get_extractor().extract(html)
        except ExtractionTimeout:
            return "timeout"
        except ExtractorCrashed:
            return "extract_crashed"
        except ExtractionFailed as exc:
            self.stat_update(f"error.{exc.kind}")
            return "extract_failed"
        text = text.strip()
        if len(text) < max(self.config.min_chars, 1):
            return "extract_empty"
        doc.text = text
        doc.metadata["extractor"] = self.config.engine
        return None
