"""The decode decision chain: the first step that is sure wins -- BOM, BOM-less UTF-16/32, ASCII (with the
7-bit CJK encodings), valid UTF-8, declared charsets (HTTP, then in-document), statistical detection, then
the least damaging fallback.  :func:`decode_html` is the entry and never raises."""

from __future__ import annotations

from corpus_builder.text.decode.detection import (
    DETECT_BYTES,
    NON_ASCII_RE,
    Detection,
    plausible_cjk_window,
    prefer_japanese,
)
from corpus_builder.text.decode.families import CJK_CODECS, SIBLINGS, UNICODE_CODECS
from corpus_builder.text.decode.labels import normalize_charset
from corpus_builder.text.decode.page import (
    DecodedPage,
    decode_replacing,
    decodes_strictly,
    error_count,
    try_decode,
)
from corpus_builder.text.decode.sniff import (
    BOMS,
    HIGH_BYTE_RE,
    HIGH_RUN_RE,
    NUL_SNIFF_BYTES,
    find_declared,
    mostly_utf8,
    sniff_iso2022,
    sniff_wide,
)

__all__ = ["decode_html"]


def decode_html(payload: bytes, http_charset: str | None = None) -> DecodedPage:
    """Decode an HTML/XML payload to text, never raising."""
    try:
        if not isinstance(payload, bytes):
            payload = bytes(payload)
        return _decode_html(payload, http_charset)
    except Exception:
        # A decoder bug must not kill a crawl worker; the page is still usable as lossy UTF-8.
        try:
            return decode_replacing(bytes(payload), "utf-8", "fallback")
        except Exception:
            return DecodedPage("", "utf-8", "fallback", 0)


def _decode_html(payload: bytes, http_charset: str | None) -> DecodedPage:
    """The first stage that is sure wins: BOM, BOM-less UTF-16/32, ASCII (with 7-bit CJK encodings),
    UTF-8, declared charsets, statistical detection, then the least damaging fallback."""
    if not payload:
        return DecodedPage("", "utf-8", "fallback", 0)
    page = _by_bom(payload)
    if page is not None:
        return page
    declared = _declared_charsets(payload, http_charset)
    # BOM-less UTF-16/32 is ASCII-only byte-wise for Latin text, so it must be caught before the
    # ASCII shortcut below would declare it plain ASCII.
    if b"\x00" in payload[:NUL_SNIFF_BYTES]:
        wide = sniff_wide(payload)
        if wide is not None and decodes_strictly(payload, wide):
            method = next((m for c, m in declared if c[:6] == wide[:6]), "detected")
            return decode_replacing(payload, wide, method)
    if payload.isascii():
        return _decode_ascii(payload, declared)

    # 2. Valid UTF-8 with non-ASCII content: legacy multi-byte text essentially never is.
    page = try_decode(payload, "utf-8", "utf8")
    if page is not None:
        return page

    first_high = HIGH_BYTE_RE.search(payload)
    start = first_high.start() if first_high is not None else 0
    detection = Detection(payload[start : start + DETECT_BYTES])
    if mostly_utf8(detection.window):
        # UTF-8 with a stray byte or a pasted legacy fragment: any label claiming otherwise is as
        # wrong as for valid UTF-8, and a single-byte one would decode it to mojibake without error.
        return decode_replacing(payload, "utf-8", "utf8")
    page = _by_declared(payload, declared, detection)
    if page is not None:
        return page
    detection.run()
    if detection.codec is not None and detection.codec not in UNICODE_CODECS:
        return _by_detection(payload, detection.codec, detection.window, declared)
    return _least_damaging(payload, declared, detection.window)


def _by_bom(payload: bytes) -> DecodedPage | None:
    """1. Byte order mark: authoritative, as in browsers."""
    for bom, codec in BOMS:
        if payload.startswith(bom):
            if codec == "utf-32" and not decodes_strictly(payload, codec):
                # FF FE 00 00 can also be a UTF-16 LE BOM followed by U+0000.
                codec = "utf-16"
            return decode_replacing(payload, codec, "bom")
    return None


def _declared_charsets(payload: bytes, http_charset: str | None) -> list[tuple[str, str]]:
    """(codec, method) of the HTTP charset, then of the page's own declaration when it differs."""
    declared: list[tuple[str, str]] = []
    http_codec = normalize_charset(http_charset)
    if http_codec is not None:
        declared.append((http_codec, "http"))
    meta_codec = normalize_charset(find_declared(payload))
    if meta_codec is not None and meta_codec != http_codec:
        declared.append((meta_codec, "meta"))
    return declared


def _decode_ascii(payload: bytes, declared: list[tuple[str, str]]) -> DecodedPage:
    """A payload of 7-bit bytes: ASCII, unless escape sequences or a label say ISO-2022 or HZ."""
    # 7-bit ISO-2022 text is ASCII byte-wise; only its escape sequences give it away.
    iso = sniff_iso2022(payload)
    if iso is not None:
        family = iso[:9]
        match = next(((c, m) for c, m in declared if c[:9] == family), None)
        codec, method = match if match is not None else (iso, "detected")
        if not decodes_strictly(payload, codec):
            codec = min((codec, *SIBLINGS.get(codec, ())), key=lambda c: error_count(payload, c))
        return decode_replacing(payload, codec, method)
    for codec, method in declared:
        # HZ is the other 7-bit CJK encoding; its "~{" shift is ordinary ASCII, so only a
        # label can tell it apart.
        if codec == "hz" and b"~{" in payload:
            return decode_replacing(payload, codec, method)
    return DecodedPage(payload.decode("ascii"), "ascii", "detected", 0)


def _by_declared(payload: bytes, declared: list[tuple[str, str]], detection: Detection) -> DecodedPage | None:
    """3. Declared charsets, HTTP first (it wins in browsers too), each checked for plausibility."""
    for codec, method in declared:
        if codec in UNICODE_CODECS:
            # UTF-8 already failed above; a UTF-16/32 label on NUL-free bytes is a template error.
            continue
        page = try_decode(payload, codec, method)
        if page is None:
            continue
        if codec not in CJK_CODECS and plausible_cjk_window(detection.window):
            cjk = detection.confident_cjk()
            if cjk is not None and cjk != codec:
                continue
        return page
    return None


def _by_detection(
    payload: bytes, detected: str, window: bytes, declared: list[tuple[str, str]]
) -> DecodedPage:
    """4. Statistical detection: the detected codec (or a Japanese second opinion) when it decodes
    cleanly, else whichever of it, its siblings and the declared charsets replaces fewest bytes, if that
    is fewer than UTF-8 does."""
    chosen = prefer_japanese(window, detected)
    page = try_decode(payload, chosen, "detected")
    if page is None and chosen != detected:
        page = try_decode(payload, detected, "detected")
    if page is not None:
        return page
    candidates = [(detected, "detected")]
    candidates += [(s, "detected") for s in SIBLINGS.get(detected, ())]
    candidates += [(c, m) for c, m in declared if c not in UNICODE_CODECS]
    best_codec, best_method, best_errors = detected, "detected", len(payload) + 1
    for codec, method in candidates:
        errors = error_count(payload, codec)
        if errors < best_errors:
            best_codec, best_method, best_errors = codec, method, errors
    if best_errors < error_count(payload, "utf-8"):
        return decode_replacing(payload, best_codec, best_method)
    return decode_replacing(payload, "utf-8", "fallback")


def _least_damaging(payload: bytes, declared: list[tuple[str, str]], window: bytes) -> DecodedPage:
    """5. Nothing trustworthy (cchardet answers "UTF-8" with low confidence when no prober matched,
    even on invalid UTF-8). A declared charset that merely has a few bad bytes still beats UTF-8
    if it produces fewer replacements."""
    utf8_text = payload.decode("utf-8", "replace")
    utf8_errors = utf8_text.count("\ufffd") - payload.decode("utf-8", "ignore").count("\ufffd")
    best = ("utf-8", "fallback")
    best_errors = utf8_errors
    for codec, method in declared:
        if codec in UNICODE_CODECS:
            continue
        errors = error_count(payload, codec)
        if errors < best_errors:
            best, best_errors = (codec, method), errors
    if best[0] == "utf-8":
        # Damaged UTF-8 still has more valid multi-byte characters than broken ones; when it has
        # fewer, the high bytes are isolated legacy characters, and windows-1252 is the legacy
        # encoding browsers fall back to for the Latin-script pages this mostly is.
        # Runs of high bytes mean double-byte text in an encoding we cannot name (EUC-TW, say);
        # windows-1252 would turn that into mojibake with replaced == 0, hiding the failure.
        valid_multibyte = len(NON_ASCII_RE.findall(utf8_text)) - utf8_errors
        if (
            valid_multibyte < utf8_errors
            and HIGH_RUN_RE.search(window) is None
            and decodes_strictly(payload, "cp1252")
        ):
            return decode_replacing(payload, "cp1252", "detected")
        return DecodedPage(utf8_text, "utf-8", "fallback", utf8_errors)
    return decode_replacing(payload, *best)
