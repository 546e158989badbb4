"""Cheap "could this page be Japanese?" test on raw HTML, run before extraction.

Most Common Crawl pages are not Japanese; recognising them from the document head costs a few
microseconds, while extraction costs milliseconds. Any one signal makes a page a candidate, so
the test errs towards recall: the language-ID step after extraction makes the real decision.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_KANA = re.compile(r"[\u3041-\u3096\u30a1-\u30fa\u30fc]")
_HTML_LANG = re.compile(r"<html\b[^>]*?\blang\s*=\s*[\"']?\s*ja\b", re.IGNORECASE)
_META_LANG = re.compile(
    r"<meta\b[^>]*?http-equiv\s*=\s*[\"']?content-language[\"']?[^>]*?content\s*=\s*[\"']?\s*ja\b",
    re.IGNORECASE,
)
_TITLE = re.compile(r"<title\b[^>]*>(.*?)</title", re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True, slots=True)
class PredetectSettings:
    head_chars: int = 8192
    min_kana: int = 20
    use_lang_attribute: bool = True
    use_http_language: bool = True
    use_title: bool = True


def japanese_signal(html: str, content_language: str | None, settings: PredetectSettings) -> str | None:
    """Name of the first signal that marks the page as a Japanese candidate, or None."""
    head = html[: settings.head_chars]
    if settings.use_http_language and content_language and content_language.strip().lower().startswith("ja"):
        return "http_language"
    if settings.use_lang_attribute and (_HTML_LANG.search(head) or _META_LANG.search(head)):
        return "lang_attribute"
    if settings.use_title:
        title = _TITLE.search(head)
        if title and _KANA.search(title.group(1)):
            return "title"
    # Kana rather than kanji: kanji alone cannot tell Japanese from Chinese.
    for seen, _ in enumerate(_KANA.finditer(head), start=1):
        if seen >= settings.min_kana:
            return "kana"
    return None
