"""Cheap "could this page be Japanese?" test on the raw HTTP body, run before decoding.

Most Common Crawl pages are not Japanese. Recognising them from the first bytes is far cheaper than
decoding the whole page, let alone extracting it (`python -m bench.predetect`: records/s with and
without). Any one signal makes a page a candidate, so the test errs towards recall: language ID
after extraction makes the real decision.

Most of the web is UTF-8, where kana have fixed byte patterns (E3 81 81 … E3 83 BC), so the scan
needs no decoding. A head in a legacy encoding is first bounded the same way: in Shift_JIS/CP932 every
kana starts with byte 82 or 83, in EUC-JP (and GB2312/GBK, whose kana rows are the same) with A4 or A5,
in EUC-KR/CP949 with AA or AB. A head with fewer such bytes than `min_kana`, and none in its title,
cannot hold enough kana in any of those encodings and is settled without decoding; the rest (and
every ISO-2022 or UTF-16/32 head) is decoded with the full charset logic and scanned as text. Big5's
kana (C6/C7 rows) are left out of the bound: Japanese pages are not written in Big5, and C6/C7 are
common bytes in Cyrillic and Greek single-byte pages, which the bound is meant to settle cheaply.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from corpus_builder.text.decode.chain import decode_html

# Hiragana U+3041–3096, katakana U+30A1–30FA and the prolonged sound mark U+30FC, as UTF-8 bytes.
_UTF8_KANA = re.compile(rb"\xe3(?:\x81[\x81-\xbf]|\x82[\x80-\x96\xa1-\xbf]|\x83[\x80-\xba\xbc])")
_KANA = re.compile(r"[\u3041-\u3096\u30a1-\u30fa\u30fc]")
# Matched against the lower-cased head, at the position of `<html` / of a `content-language` meta.
_HTML_LANG_AT = re.compile(rb"<html\b[^>]*?\blang\s*=\s*[\"']?\s*ja\b")
_META_LANG = re.compile(
    rb"<meta\b[^>]*?http-equiv\s*=\s*[\"']?content-language[\"']?[^>]*?content\s*=\s*[\"']?\s*ja\b"
)
_TITLE_TEXT = re.compile(r"<title\b[^>]*>(.*?)</title", re.IGNORECASE | re.DOTALL)
# Every kana is UTF-8 E3 xx xx: counting E3 bytes (C speed) bounds the number of kana from above, so
# most pages are settled without running a regex over the head.
_KANA_LEAD = 0xE3
_ESCAPE = 0x1B  # ISO-2022 encodings are 7-bit: ASCII bytes with escape sequences
# Lead bytes of kana in the two-byte legacy encodings (see the module docstring).
_LEGACY_KANA_LEADS = (b"\x82", b"\x83", b"\xa4", b"\xa5", b"\xaa", b"\xab")
_WIDE = b"\x00"  # UTF-16/32 text has NUL bytes; those heads always take the decoding path


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


def _declares_japanese(lower_head: bytes) -> bool:
    position = lower_head.find(b"<html")
    if position >= 0 and _HTML_LANG_AT.match(lower_head, position):
        return True
    return b"content-language" in lower_head and _META_LANG.search(lower_head) is not None


def _title_span(lower_head: bytes) -> tuple[int, int] | None:
    """Byte range from `<title` to `</title` (or the end of the head when the tag is not closed)."""
    start = lower_head.find(b"<title")
    if start < 0:
        return None
    end = lower_head.find(b"</title", start)
    return start, end if end >= 0 else len(lower_head)


def _utf8_signal(head: bytes, lower_head: bytes, settings: PredetectSettings) -> str | None:
    kana_at_most = head.count(_KANA_LEAD)
    if kana_at_most == 0:
        return None
    span = _title_span(lower_head) if settings.use_title else None
    if span and _UTF8_KANA.search(head, *span):
        return "title"
    # Kana rather than kanji: kanji alone cannot tell Japanese from Chinese.
    if kana_at_most >= settings.min_kana and _enough(_UTF8_KANA.finditer(head), settings.min_kana):
        return "kana"
    return None


def _legacy_kana_possible(head: bytes, lower_head: bytes, settings: PredetectSettings) -> bool:
    """False when no Shift_JIS / EUC-JP / EUC-KR / GB reading of the head can give a kana signal."""
    if sum(head.count(lead) for lead in _LEGACY_KANA_LEADS) >= settings.min_kana:
        return True
    span = _title_span(lower_head) if settings.use_title else None
    if span is None:
        return False
    title = head[span[0] : span[1]]
    return any(lead in title for lead in _LEGACY_KANA_LEADS)


def japanese_signal(
    payload: bytes, content_language: str | None, http_charset: str | None, settings: PredetectSettings
) -> str | None:
    """Name of the first signal that marks the page as a Japanese candidate, or None."""
    if settings.use_http_language and content_language and content_language.strip().lower().startswith("ja"):
        return "http_language"
    head = payload[: settings.head_bytes]
    lower_head = head.lower()  # bytes.lower() only folds ASCII, so multi-byte text is untouched
    if settings.use_lang_attribute and _declares_japanese(lower_head):
        return "lang_attribute"
    if head.isascii() and _ESCAPE not in head:
        return None  # no kana can be written in plain ASCII
    if _is_utf8(head):
        return _utf8_signal(head, lower_head, settings)
    if _ESCAPE not in head and _WIDE not in head and not _legacy_kana_possible(head, lower_head, settings):
        return None
    text = decode_html(head, http_charset).text
    title_text = _TITLE_TEXT.search(text) if settings.use_title else None
    if title_text and _KANA.search(title_text.group(1)):
        return "title"
    return "kana" if _enough(_KANA.finditer(text), settings.min_kana) else None
