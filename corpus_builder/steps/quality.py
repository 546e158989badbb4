"""Quality step: a rule preset applied to documents of its languages; all signal values are kept."""

from __future__ import annotations

from datatrove.data import Document

from corpus_builder.config.models import QualityStage, resolve_preset
from corpus_builder.pipeline.step import DocumentStep
from corpus_builder.quality.rules import load_preset


class QualityFilter(DocumentStep):
    type = "🔻 QUALITY"

    def __init__(self, config: QualityStage, base_dir: str | None = None) -> None:
        super().__init__()
        self.rules = load_preset(resolve_preset(config.preset, base_dir)).with_thresholds(config.thresholds)
        self.name = f"quality.{self.rules.name}"
        self.stage = self.name
        self.languages = frozenset(config.languages)

    def process(self, doc: Document) -> str | None:
        if doc.metadata.get("lang") not in self.languages:
            return None
        verdict = self.rules.evaluate(doc.text)
        signals = doc.metadata.setdefault("quality_signals", {})
        signals.update({f"{self.rules.name}.{key}": float(value) for key, value in verdict.signals.items()})
        return verdict.failed
