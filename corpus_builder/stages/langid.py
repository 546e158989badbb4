"""Language-ID step: fastText label and score on every document; routing by per-language score.

With `granularity: paragraph` each line is identified (text/paragraph_langid.py): the document's
language is the one with most characters, every language's share goes to `quality_signals`, and
`keep_paragraphs` may cut the lines of other languages out of a kept document.
"""

from __future__ import annotations

from datatrove.data import Document

from corpus_builder.config.stages import LangIdStage
from corpus_builder.contracts.document import LANG_FIXED
from corpus_builder.stages.base import DocumentStep
from corpus_builder.text.langid import LanguageIdentifier
from corpus_builder.text.paragraph_langid import LineLanguage, language_shares, line_languages, main_language

OTHER = "other"
SHARE_SIGNAL = "langid.share."
KEPT_SHARE_SIGNAL = "langid.kept_share"


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
        if self.config.granularity == "document":
            lang, score = self.identifier.predict(doc.text)
            return self._route(doc, lang, score)
        lines = line_languages(doc.text, self.identifier, self.config.paragraph_min_chars)
        signals = doc.metadata.setdefault("quality_signals", {})
        for code, share in language_shares(lines).items():
            signals[SHARE_SIGNAL + code] = share
        lang, score = main_language(lines)
        reason = self._route(doc, lang, score)
        if reason is not None or self.config.keep_paragraphs == "all":
            return reason
        return self._keep_paragraphs(doc, lines, lang, signals)

    def _route(self, doc: Document, lang: str, score: float) -> str | None:
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

    def _wanted(self, line: LineLanguage, doc_lang: str) -> bool:
        if self.config.keep_paragraphs == "document_language":
            return line.lang == doc_lang
        min_score = self.config.keep.get(line.lang)
        return min_score is not None and line.score >= min_score

    def _keep_paragraphs(
        self, doc: Document, lines: list[LineLanguage], doc_lang: str, signals: dict[str, float]
    ) -> str | None:
        texts = doc.text.split("\n")
        wanted = [self._wanted(line, doc_lang) for line in lines]
        total_chars = sum(line.chars for line in lines)
        kept_chars = sum(line.chars for line, keep in zip(lines, wanted, strict=True) if keep)
        removed = [line for line, keep in zip(lines, wanted, strict=True) if line.chars and not keep]
        if removed:
            self.stat_update("removed_paragraphs", value=len(removed))
            self.stat_update("removed_chars", value=total_chars - kept_chars)
        kept_share = kept_chars / total_chars if total_chars else 0.0
        signals[KEPT_SHARE_SIGNAL] = kept_share
        if kept_share < self.config.min_kept_share or kept_chars < self.config.min_kept_chars:
            return "little_text_in_language"
        doc.text = "\n".join(text for text, keep in zip(texts, wanted, strict=True) if keep)
        return None
