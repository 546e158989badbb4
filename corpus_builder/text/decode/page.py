"""What a decode yields (:class:`DecodedPage`) and the primitives every step of the chain decodes with:
strict decoding that tolerates a character cut off at the end, and counting the replacements a codec makes."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DecodedPage", "decodes_strictly", "try_decode", "decode_replacing", "error_count"]


@dataclass(frozen=True, slots=True)
class DecodedPage:
    text: str
    charset: str  # Python codec name actually used, e.g. "cp932", "utf-8", "gb18030"
    method: str  # "bom" | "utf8" | "http" | "meta" | "detected" | "fallback"
    replaced: int  # U+FFFD characters introduced by decoding (not ones already in the source)


def decodes_strictly(data: bytes, codec: str) -> bool:
    """True when data decodes without error, ignoring a character cut off at the very end.

    Common Crawl truncates large payloads at a byte limit, so a clean page may end mid-character;
    that must not disqualify the right charset.
    """
    try:
        data.decode(codec)
    except UnicodeDecodeError as exc:
        return exc.end >= len(data) and len(data) - exc.start < 4
    except LookupError:
        return False
    return True


def try_decode(payload: bytes, codec: str, method: str) -> DecodedPage | None:
    """Decode strictly (tolerating a truncated last character), or None if the codec does not fit.

    Doing the strict check and the decode in one call keeps the common case to a single pass.
    """
    try:
        return DecodedPage(payload.decode(codec), codec, method, 0)
    except UnicodeDecodeError as exc:
        if exc.end >= len(payload) and len(payload) - exc.start < 4:
            return decode_replacing(payload, codec, method)
        return None
    except LookupError:
        return None


def decode_replacing(payload: bytes, codec: str, method: str) -> DecodedPage:
    """Decode with U+FFFD for what the codec cannot read, counting the replacements."""
    text = payload.decode(codec, "replace")
    replaced = 0
    if "\ufffd" in text:
        # "ignore" resynchronises exactly like "replace", so the difference in U+FFFD counts is the
        # number of replacements; U+FFFD that the source legitimately encoded survive in both.
        replaced = text.count("\ufffd") - payload.decode(codec, "ignore").count("\ufffd")
    return DecodedPage(text, codec, method, replaced)


def error_count(data: bytes, codec: str) -> int:
    """How many replacements decoding with ``codec`` makes (more than any codec can, if it is unknown)."""
    try:
        text = data.decode(codec, "replace")
    except LookupError:
        return len(data) + 1
    if "\ufffd" not in text:
        return 0
    return text.count("\ufffd") - data.decode(codec, "ignore").count("\ufffd")
