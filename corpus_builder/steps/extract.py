"""Extract step: HTML → main text, with a per-record time limit and a size guard."""

from __future__ import annotations

from datatrove.data import Document

from corpus_builder.config.models import ExtractStage
from corpus_builder.pipeline.document import HTML
from corpus_builder.pipeline.step import DocumentStep
from corpus_builder.text.extract import ExtractionTimeout, ExtractSettings, make_extractor, time_limit


class TextExtractor(DocumentStep):
    type = "🛢 EXTRACT"
    name = "extract"
    stage = "extract"

    def __init__(self, config: ExtractStage, base_dir: str | None = None) -> None:
        super().__init__()
        self.config = config
        self._extract = None

    def applies(self, doc: Document) -> bool:
        return HTML in doc.metadata

    def process(self, doc: Document) -> str | None:
        html: str = doc.metadata.pop(HTML)
        if len(html) > self.config.max_html_chars:
            return "html_too_large"
        if self._extract is None:
            self._extract = make_extractor(
                ExtractSettings(
                    self.config.engine, self.config.include_tables, self.config.favor, self.config.fallback
                )
            )
        try:
            with time_limit(self.config.timeout_s):
                text = self._extract(html)
        except ExtractionTimeout:
            return "extract_timeout"
        except (RecursionError, MemoryError, ValueError, TypeError) as exc:
            # Parser failures on hostile HTML are properties of the page, not of the run.
            self.stat_update(f"error.{type(exc).__name__}")
            return "extract_failed"
        text = text.strip()
        if len(text) < max(self.config.min_chars, 1):
            return "extract_empty"
        doc.text = text
        doc.metadata["extractor"] = self.config.engine
        return None
