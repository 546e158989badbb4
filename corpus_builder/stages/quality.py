"""Quality step for every preset: modifiers, per-stage options, rules; every signal value kept.

The drop reason is the name of the first failing rule in preset order.  A kept document then goes
through the preset's ``modifiers_after_rules`` (LLM-jp's kana-line extraction).
"""

from __future__ import annotations

from datatrove.data import Document

from corpus_builder.config.stages import QualityStage
from corpus_builder.quality.presets import load_preset, resolve_option_paths, resolve_preset
from corpus_builder.stages.base import DocumentStep


class QualityFilter(DocumentStep):
    type = "🔻 QUALITY"

    def __init__(self, config: QualityStage, base_dir: str | None = None) -> None:
        super().__init__()
        rules = load_preset(resolve_preset(config.preset, base_dir)).with_thresholds(config.thresholds)
        if config.options:
            rules = rules.with_options(
                {k: resolve_option_paths(v, base_dir) for k, v in config.options.items()}
            )
        self.rules = rules
        self.apply_modifiers = config.apply_modifiers
        self.set_name(f"quality.{rules.name}")
        self.languages = frozenset(config.languages)

    def process(self, doc: Document) -> str | None:
        if doc.metadata.get("lang") not in self.languages:
            return None
        text = doc.text
        signals = doc.metadata.setdefault("quality_signals", {})
        if self.rules.modifiers:
            text, counts = self.rules.apply_modifiers(text)
            for modifier, count in counts.items():
                signals[f"{self.rules.name}.modified.{modifier}"] = float(count)
                if count:
                    self.stat_update(f"modified.{modifier}", value=count)
        verdict = self.rules.evaluate(text)
        signals.update({f"{self.rules.name}.{key}": float(value) for key, value in verdict.signals.items()})
        if verdict.failed is None and self.apply_modifiers:
            text, counts = self.rules.apply_modifiers_after_rules(text)
            for modifier, count in counts.items():
                signals[f"{self.rules.name}.modified_after_rules.{modifier}"] = float(count)
                if count:
                    self.stat_update(f"modified_after_rules.{modifier}", value=count)
            doc.text = text
        return verdict.failed
