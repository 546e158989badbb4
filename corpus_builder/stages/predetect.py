"""Predetect step: drop pages that show no sign of Japanese before paying for decoding and extraction."""

from __future__ import annotations

from datatrove.data import Document

from corpus_builder.config.stages import PredetectStage
from corpus_builder.contracts.document import PAYLOAD
from corpus_builder.stages.base import DocumentStep
from corpus_builder.text.predetect import PredetectSettings, japanese_signal

NOT_JAPANESE = "no_japanese_signal"


class JapanesePredetector(DocumentStep):
    type = "🔎 PREDETECT"
    name = "predetect"
    stage = "predetect"

    def __init__(self, config: PredetectStage, base_dir: str | None = None) -> None:
        super().__init__()
        self.settings = PredetectSettings(
            head_bytes=config.head_bytes,
            min_kana=config.min_kana,
            use_lang_attribute=config.use_lang_attribute,
            use_http_language=config.use_http_language,
            use_title=config.use_title,
        )

    def applies(self, doc: Document) -> bool:
        return PAYLOAD in doc.metadata

    def process(self, doc: Document) -> str | None:
        meta = doc.metadata
        signal = japanese_signal(
            meta[PAYLOAD], meta.get("content_language"), meta.get("http_charset"), self.settings
        )
        if signal is None:
            return NOT_JAPANESE
        self.stat_update(f"signal.{signal}")
        return None
