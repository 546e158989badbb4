"""Byte-level evidence, cheap enough to look at on every page: byte order marks, BOM-less UTF-16/32,
ISO-2022 escape sequences, the charset a page declares (``<meta>``, XML declaration), and UTF-8 with a few
damaged sequences."""

from __future__ import annotations

import re

__all__ = [
    "BOMS",
    "NUL_SNIFF_BYTES",
    "HIGH_BYTE_RE",
    "HIGH_RUN_RE",
    "find_declared",
    "sniff_wide",
    "sniff_iso2022",
    "mostly_utf8",
]

# Real pages put the declaration in <head>; 8 KiB leaves room for long inline scripts/styles ahead
# of it while keeping the regex scan to a few microseconds.
_DECL_SCAN_BYTES = 8192
_META_RE = re.compile(rb"<meta\s[^>]*?charset\s*=\s*[\"']?\s*([a-z0-9_.:\-]+)", re.IGNORECASE)
_XML_DECL_RE = re.compile(rb"^\s*<\?xml\s[^>]*?encoding\s*=\s*[\"']\s*([a-z0-9_.:\-]+)", re.IGNORECASE)
HIGH_BYTE_RE = re.compile(rb"[\x80-\xff]")
HIGH_RUN_RE = re.compile(rb"[\x80-\xff]{4}")

# Designations that only ISO-2022-JP / ISO-2022-KR text contains; plain ASCII HTML never has ESC.
_ISO2022_JP_ESC_RE = re.compile(rb"\x1b(?:\$[@B]|\$\(D|\$\([OPQ]|\([BJI]|&@)")
_ISO2022_KR_ESC = b"\x1b$)C"

BOMS: tuple[tuple[bytes, str], ...] = (
    # UTF-32 LE must be tested before UTF-16 LE: its BOM starts with the UTF-16 LE BOM.
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)

# Bytes scanned for the UTF-16/32-without-BOM NUL pattern.
NUL_SNIFF_BYTES = 2048


def find_declared(payload: bytes) -> str | None:
    """The charset label of the XML declaration or the first ``<meta charset>``, if the head has one."""
    head = payload[:_DECL_SCAN_BYTES]
    m = _XML_DECL_RE.match(head) or _META_RE.search(head)
    if m is None:
        return None
    return m.group(1).decode("ascii", "replace")


def sniff_wide(payload: bytes) -> str | None:
    """Recognise BOM-less UTF-16/32 from the pattern of NUL bytes that markup leaves in them."""
    sample = payload[:NUL_SNIFF_BYTES]
    sample = sample[: len(sample) - len(sample) % 4]
    if len(sample) < 8 or b"\x00" not in sample:
        return None
    quarter = len(sample) // 4
    zeros = [sample[i::4].count(0) for i in range(4)]
    if zeros[2] > 0.9 * quarter and zeros[3] > 0.9 * quarter and zeros[0] < 0.5 * quarter:
        return "utf-32-le"
    if zeros[0] > 0.9 * quarter and zeros[1] > 0.9 * quarter and zeros[3] < 0.5 * quarter:
        return "utf-32-be"
    even, odd = zeros[0] + zeros[2], zeros[1] + zeros[3]
    half = 2 * quarter
    if odd > 0.2 * half and even < 0.25 * odd:
        return "utf-16-le"
    if even > 0.2 * half and odd < 0.25 * even:
        return "utf-16-be"
    return None


def sniff_iso2022(payload: bytes) -> str | None:
    """The ISO-2022 codec whose escape sequences the payload contains, if any."""
    if b"\x1b" not in payload:
        return None
    if _ISO2022_KR_ESC in payload:
        return "iso2022_kr"
    if _ISO2022_JP_ESC_RE.search(payload):
        return "iso2022_jp_ext"
    return None


_HIGH_BYTES = bytes(range(0x80, 0x100))
# Damaged UTF-8 (a page with a stray legacy byte or a cut-and-pasted fragment) has a few invalid
# sequences among many valid ones. Legacy double-byte text read as UTF-8 does form valid 2-byte
# sequences by chance (EUC rows 0xC2-0xDF followed by 0xA1-0xBF), but then the invalid ones are
# at least as numerous, far from this ratio.
_UTF8_MIN_VALID = 8
_UTF8_VALID_PER_ERROR = 10
# Enough for the ratio to be meaningful while costing a few microseconds on legacy pages, which
# are full of invalid sequences; sparse-UTF-8 pages that this misses are caught by the fallback.
_UTF8_SNIFF_BYTES = 1024


def mostly_utf8(window: bytes) -> bool:
    """True when the window is UTF-8 with at most a few damaged sequences among many valid ones."""
    window = window[:_UTF8_SNIFF_BYTES]
    text = window.decode("utf-8", "replace")
    errors = text.count("\ufffd")
    ascii_bytes = len(window.translate(None, _HIGH_BYTES))
    valid_multibyte = len(text) - ascii_bytes - errors
    return valid_multibyte >= _UTF8_MIN_VALID and valid_multibyte >= _UTF8_VALID_PER_ERROR * errors
