"""PII masking step: replaces e-mail, phone numbers, IPs (and optionally My Numbers); never drops."""

from __future__ import annotations

from datatrove.data import Document

from corpus_builder.config.stages import PiiStage
from corpus_builder.stages.base import DocumentStep
from corpus_builder.text.pii import PiiMasker


class PiiMask(DocumentStep):
    type = "🕶 PII"
    name = "pii"
    stage = "pii"

    def __init__(self, config: PiiStage, base_dir: str | None = None) -> None:
        super().__init__()
        self.masker = PiiMasker(
            kinds=tuple(config.kinds),
            replacements=dict(config.replacements),
            my_number_checksum=config.my_number_checksum,
        )

    def process(self, doc: Document) -> str | None:
        doc.text, counts = self.masker.mask(doc.text)
        signals = doc.metadata.setdefault("quality_signals", {})
        for kind, count in counts.items():
            signals[f"pii.{kind}"] = float(count)
            if count:
                self.stat_update(f"masked.{kind}", value=count)
        return None
