"""Cheap "could this page be Japanese?" test on the raw HTTP body, run before decoding.

Most Common Crawl pages are not Japanese. Recognising them from the first bytes costs a few
microseconds, while decoding the whole page costs ~0.2 ms and extraction milliseconds. Any one
signal makes a page a candidate, so the test errs towards recall: language ID after extraction
makes the real decision.

Most of the web is UTF-8, where kana have fixed byte patterns (E3 81 81 … E3 83 BC), so the scan
needs no decoding. A head that is not UTF-8 (Shift_JIS, EUC-JP, ISO-2022-JP, GBK, …) is decoded
with the full charset logic and scanned as text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from corpus_builder.text.decode import decode_html

# Hiragana U+3041–3096, katakana U+30A1–30FA and the prolonged sound mark U+30FC, as UTF-8 bytes.
_UTF8_KANA = re.compile(rb"\xe3(?:\x81[\x81-\xbf]|\x82[\x80-\x96\xa1-\xbf]|\x83[\x80-\xba\xbc])")
_KANA = re.compile(r"[\u3041-\u3096\u30a1-\u30fa\u30fc]")
_HTML_LANG = re.compile(rb"<html\b[^>]*?\blang\s*=\s*[\"']?\s*ja\b", re.IGNORECASE)
_META_LANG = re.compile(
    rb"<meta\b[^>]*?http-equiv\s*=\s*[\"']?content-language[\"']?[^>]*?content\s*=\s*[\"']?\s*ja\b",
    re.IGNORECASE,
)
_TITLE_BYTES = re.compile(rb"<title\b[^>]*>(.*?)</title", re.IGNORECASE | re.DOTALL)
_TITLE_TEXT = re.compile(r"<title\b[^>]*>(.*?)</title", re.IGNORECASE | re.DOTALL)
_ESCAPE = 0x1B  # ISO-2022 encodings are 7-bit: ASCII bytes with escape sequences


@dataclass(frozen=True, slots=True)
class PredetectSettings:
    head_bytes: int = 16_384
    min_kana: int = 20
    use_lang_attribute: bool = True
    use_http_language: bool = True
    use_title: bool = True


def _is_utf8(head: bytes) -> bool:
    if _ESCAPE in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A character cut in two by the end of the head is still UTF-8.
        return exc.reason == "unexpected end of data" and exc.start >= len(head) - 3
    return True


def _enough(matches: Iterator[object], wanted: int) -> bool:
    """At least `wanted` matches, stopping the scan as soon as there are."""
    return any(seen >= wanted for seen, _ in enumerate(matches, start=1))


def japanese_signal(
    payload: bytes, content_language: str | None, http_charset: str | None, settings: PredetectSettings
) -> str | None:
    """Name of the first signal that marks the page as a Japanese candidate, or None."""
    if settings.use_http_language and content_language and content_language.strip().lower().startswith("ja"):
        return "http_language"
    head = payload[: settings.head_bytes]
    if settings.use_lang_attribute and (_HTML_LANG.search(head) or _META_LANG.search(head)):
        return "lang_attribute"
    if _is_utf8(head):
        title = _TITLE_BYTES.search(head) if settings.use_title else None
        if title and _UTF8_KANA.search(title.group(1)):
            return "title"
        # Kana rather than kanji: kanji alone cannot tell Japanese from Chinese.
        return "kana" if _enough(_UTF8_KANA.finditer(head), settings.min_kana) else None
    text = decode_html(head, http_charset).text
    title_text = _TITLE_TEXT.search(text) if settings.use_title else None
    if title_text and _KANA.search(title_text.group(1)):
        return "title"
    return "kana" if _enough(_KANA.finditer(text), settings.min_kana) else None
