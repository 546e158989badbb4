"""Code filter step: extension and licence allowlists (metadata), then the the-stack text rules."""

from __future__ import annotations

from datatrove.data import Document

from corpus_builder.config.stages import CodeFilterStage
from corpus_builder.quality.code_rules import DEFAULT_EXTENSIONS, DEFAULT_LICENSES, CodeMetadataRules
from corpus_builder.quality.presets import load_preset, resolve_preset
from corpus_builder.stages.base import DocumentStep


class CodeFilter(DocumentStep):
    type = "🔻 CODE"

    def __init__(self, config: CodeFilterStage, base_dir: str | None = None) -> None:
        super().__init__()
        self.rules = load_preset(resolve_preset(config.preset, base_dir)).with_thresholds(config.thresholds)
        self.set_name(f"code.{self.rules.name}")
        ext = DEFAULT_EXTENSIONS if config.extensions_path == "default" else config.extensions_path
        lic = DEFAULT_LICENSES if config.licenses_path == "default" else config.licenses_path
        self.metadata_rules = CodeMetadataRules.from_files(ext, lic)
        self.path_key, self.license_key = config.path_key, config.license_key
        self.languages = frozenset(config.languages) if config.languages else None

    def process(self, doc: Document) -> str | None:
        if self.languages is not None and doc.metadata.get("lang") not in self.languages:
            return None
        extra = doc.metadata.get("extra") or {}
        path = extra.get(self.path_key) or doc.metadata.get(self.path_key) or doc.metadata.get("url")
        licence = extra.get(self.license_key) or doc.metadata.get(self.license_key)
        reason = self.metadata_rules.check(path, licence)
        if reason is not None:
            return reason
        verdict = self.rules.evaluate(doc.text)
        signals = doc.metadata.setdefault("quality_signals", {})
        signals.update({f"{self.rules.name}.{k}": float(v) for k, v in verdict.signals.items()})
        return verdict.failed
