"""Language-ID step: fastText label and score on every document; routing by per-language score."""

from __future__ import annotations

from datatrove.data import Document

from corpus_builder.config.stages import LangIdStage
from corpus_builder.contracts.document import LANG_FIXED
from corpus_builder.stages.base import DocumentStep
from corpus_builder.text.langid import LanguageIdentifier

OTHER = "other"


class LanguageRouter(DocumentStep):
    type = "🌐 LANGID"
    name = "langid"
    stage = "langid"

    def __init__(self, config: LangIdStage, base_dir: str | None = None) -> None:
        super().__init__()
        self.config = config
        # Resolve the model path now so a missing model fails before any task starts.
        self.identifier = LanguageIdentifier(config.model_path, config.max_chars)

    def applies(self, doc: Document) -> bool:
        return not doc.metadata.get(LANG_FIXED)

    def process(self, doc: Document) -> str | None:
        lang, score = self.identifier.predict(doc.text)
        doc.metadata["lang_detected"] = lang
        doc.metadata["lang_score"] = score
        min_score = self.config.keep.get(lang)
        if min_score is None:
            if not self.config.keep_other:
                doc.metadata["lang"] = lang
                return "language_not_kept"
            doc.metadata["lang"] = OTHER
            return None
        doc.metadata["lang"] = lang
        if score < min_score:
            return "language_score_low"
        return None
