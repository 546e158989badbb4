"""Line-level cleaning step: modifiers in order; what each changed goes to stats and signals."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from datatrove.data import Document

from corpus_builder.config.stages import CleanStage
from corpus_builder.quality.clean import DEFAULT_FOOTER_KEYWORDS, trim_footer
from corpus_builder.quality.modifiers import MODIFIERS
from corpus_builder.stages.base import DocumentStep


class LineCleaner(DocumentStep):
    type = "🧹 CLEAN"
    name = "clean"
    stage = "clean"

    def __init__(self, config: CleanStage, base_dir: str | None = None) -> None:
        super().__init__()
        footer_path = config.footer_keywords_path or str(DEFAULT_FOOTER_KEYWORDS)
        if base_dir and not Path(footer_path).is_absolute():
            footer_path = str(Path(base_dir) / footer_path)
        self.modifiers = []
        for name in config.modifiers:
            function = MODIFIERS[name]
            if name == "footer":
                function = partial(
                    trim_footer,
                    keywords_path=footer_path,
                    lookback=config.footer_lookback_lines,
                    min_share=config.footer_min_share,
                )
            self.modifiers.append((name, function))
        self.languages = frozenset(config.languages)
        self.drop_empty = config.drop_empty

    def process(self, doc: Document) -> str | None:
        if doc.metadata.get("lang") not in self.languages:
            return None
        text = doc.text
        signals = doc.metadata.setdefault("quality_signals", {})
        for name, function in self.modifiers:
            text, count = function(text)
            signals[f"clean.{name}"] = float(count)
            if count:
                self.stat_update(f"changed.{name}", value=count)
        doc.text = text
        if self.drop_empty and not text.strip():
            return "empty_after_cleaning"
        return None
