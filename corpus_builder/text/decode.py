"""Turn raw HTML/XML bytes from a crawl into text, choosing the charset the way a careful browser would.

The decision order is BOM, valid UTF-8, declared charset (HTTP, then in-document), statistical
detection, UTF-8 fallback. Every step is bounded so the function can run on every Common Crawl
record: the expensive part (the cchardet detector) only runs when the cheap evidence is missing or
suspicious, and then only on a bounded window.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import cchardet

__all__ = ["DecodedPage", "decode_html", "normalize_charset"]


@dataclass(frozen=True, slots=True)
class DecodedPage:
    text: str
    charset: str  # Python codec name actually used, e.g. "cp932", "utf-8", "gb18030"
    method: str  # "bom" | "utf8" | "http" | "meta" | "detected" | "fallback"
    replaced: int  # U+FFFD characters introduced by decoding (not ones already in the source)


# --------------------------------------------------------------------------------------------------
# Label normalisation
# --------------------------------------------------------------------------------------------------

# Labels follow the WHATWG Encoding Standard, which maps legacy labels to the supersets browsers
# actually decode with; pages on the web were authored against that behaviour, not the IANA
# registry. A handful of non-WHATWG labels that cchardet emits are appended so detector output
# goes through the same table.
_CODEC_LABELS: dict[str, tuple[str, ...]] = {
    "utf-8": ("unicode-1-1-utf-8", "unicode11utf8", "unicode20utf8", "utf-8", "utf8", "x-unicode20utf8"),
    "utf-8-sig": ("utf-8-sig",),
    "cp866": ("866", "cp866", "csibm866", "ibm866"),
    "iso8859_2": (
        "csisolatin2",
        "iso-8859-2",
        "iso-ir-101",
        "iso8859-2",
        "iso88592",
        "iso_8859-2",
        "iso_8859-2:1987",
        "l2",
        "latin2",
    ),
    "iso8859_3": (
        "csisolatin3",
        "iso-8859-3",
        "iso-ir-109",
        "iso8859-3",
        "iso88593",
        "iso_8859-3",
        "iso_8859-3:1988",
        "l3",
        "latin3",
    ),
    "iso8859_4": (
        "csisolatin4",
        "iso-8859-4",
        "iso-ir-110",
        "iso8859-4",
        "iso88594",
        "iso_8859-4",
        "iso_8859-4:1988",
        "l4",
        "latin4",
    ),
    "iso8859_5": (
        "csisolatincyrillic",
        "cyrillic",
        "iso-8859-5",
        "iso-ir-144",
        "iso8859-5",
        "iso88595",
        "iso_8859-5",
        "iso_8859-5:1988",
    ),
    "iso8859_6": (
        "arabic",
        "asmo-708",
        "csiso88596e",
        "csiso88596i",
        "csisolatinarabic",
        "ecma-114",
        "iso-8859-6",
        "iso-8859-6-e",
        "iso-8859-6-i",
        "iso-ir-127",
        "iso8859-6",
        "iso88596",
        "iso_8859-6",
        "iso_8859-6:1987",
    ),
    "iso8859_7": (
        "csisolatingreek",
        "ecma-118",
        "elot_928",
        "greek",
        "greek8",
        "iso-8859-7",
        "iso-ir-126",
        "iso8859-7",
        "iso88597",
        "iso_8859-7",
        "iso_8859-7:1987",
        "sun_eu_greek",
    ),
    "iso8859_8": (
        "csiso88598e",
        "csisolatinhebrew",
        "hebrew",
        "iso-8859-8",
        "iso-8859-8-e",
        "iso-ir-138",
        "iso8859-8",
        "iso88598",
        "iso_8859-8",
        "iso_8859-8:1988",
        "visual",
        "csiso88598i",
        "iso-8859-8-i",
        "logical",
    ),
    "iso8859_10": ("csisolatin6", "iso-8859-10", "iso-ir-157", "iso8859-10", "iso885910", "l6", "latin6"),
    "iso8859_13": ("iso-8859-13", "iso8859-13", "iso885913"),
    "iso8859_14": ("iso-8859-14", "iso8859-14", "iso885914"),
    "iso8859_15": ("csisolatin9", "iso-8859-15", "iso8859-15", "iso885915", "iso_8859-15", "l9"),
    "iso8859_16": ("iso-8859-16",),
    "koi8_r": ("cskoi8r", "koi", "koi8", "koi8-r", "koi8_r"),
    "koi8_u": ("koi8-ru", "koi8-u"),
    "mac_roman": ("csmacintosh", "mac", "macintosh", "x-mac-roman", "macroman"),
    "mac_cyrillic": ("x-mac-cyrillic", "x-mac-ukrainian", "mac-cyrillic", "maccyrillic"),
    "mac_latin2": ("mac-centraleurope", "maccentraleurope", "x-mac-ce"),
    "cp874": ("dos-874", "iso-8859-11", "iso8859-11", "iso885911", "tis-620", "windows-874"),
    "cp1250": ("cp1250", "windows-1250", "x-cp1250"),
    "cp1251": ("cp1251", "windows-1251", "x-cp1251"),
    "cp1252": (
        "ansi_x3.4-1968",
        "ascii",
        "cp1252",
        "cp819",
        "csisolatin1",
        "ibm819",
        "iso-8859-1",
        "iso-ir-100",
        "iso8859-1",
        "iso88591",
        "iso_8859-1",
        "iso_8859-1:1987",
        "l1",
        "latin1",
        "us-ascii",
        "windows-1252",
        "x-cp1252",
    ),
    "cp1253": ("cp1253", "windows-1253", "x-cp1253"),
    "cp1254": (
        "cp1254",
        "csisolatin5",
        "iso-8859-9",
        "iso-ir-148",
        "iso8859-9",
        "iso88599",
        "iso_8859-9",
        "iso_8859-9:1989",
        "l5",
        "latin5",
        "windows-1254",
        "x-cp1254",
    ),
    "cp1255": ("cp1255", "windows-1255", "x-cp1255"),
    "cp1256": ("cp1256", "windows-1256", "x-cp1256"),
    "cp1257": ("cp1257", "windows-1257", "x-cp1257"),
    "cp1258": ("cp1258", "windows-1258", "x-cp1258"),
    "cp855": ("ibm855", "cp855"),
    "cp852": ("ibm852", "cp852"),
    "cp737": ("cp737", "ibm737"),
    # GB2312 pages routinely use GBK characters, and GB18030 is a strict superset of both.
    "gb18030": (
        "chinese",
        "csgb2312",
        "csiso58gb231280",
        "gb2312",
        "gb_2312",
        "gb_2312-80",
        "gbk",
        "iso-ir-58",
        "x-gbk",
        "gb18030",
        "cp936",
        "windows-936",
    ),
    "hz": ("hz-gb-2312", "hz"),
    # HKSCS adds the Hong Kong characters that Big5 pages in the wild contain, as WHATWG's Big5 does.
    "big5hkscs": ("big5", "big5-hkscs", "cn-big5", "csbig5", "x-x-big5"),
    "cp950": ("cp950", "windows-950"),
    # Python's euc_jis_2004 decodes every byte sequence euc_jp does to the same character and also
    # covers the NEC row-13 symbols (①, ㈱, ～ ...) that Windows-authored EUC-JP pages contain.
    "euc_jis_2004": ("cseucpkdfmtjapanese", "euc-jp", "x-euc-jp", "euc-jis-2004", "euc-jisx0213", "eucjp"),
    # The _ext variant also accepts JIS X 0201 half-width katakana (ESC ( I), as WHATWG does.
    "iso2022_jp_ext": ("csiso2022jp", "iso-2022-jp"),
    "iso2022_jp_2": ("iso-2022-jp-2",),
    "iso2022_jp_3": ("iso-2022-jp-3", "iso-2022-jp-2004"),
    # "Shift_JIS" on the web means Microsoft's code page 932 (NEC and IBM extensions included).
    "cp932": (
        "csshiftjis",
        "ms932",
        "ms_kanji",
        "shift-jis",
        "shift_jis",
        "sjis",
        "windows-31j",
        "x-sjis",
        "cp932",
        "windows-932",
        "x-ms-cp932",
    ),
    "shift_jis_2004": ("shift_jis_2004", "shift_jisx0213", "shift-jis-2004", "shift-jisx0213"),
    # UHC (cp949) is the superset of EUC-KR that Korean pages are actually written in.
    "cp949": (
        "cseuckr",
        "csksc56011987",
        "euc-kr",
        "iso-ir-149",
        "korean",
        "ks_c_5601-1987",
        "ks_c_5601-1989",
        "ksc5601",
        "ksc_5601",
        "windows-949",
        "cp949",
        "uhc",
        "x-windows-949",
    ),
    "johab": ("johab", "cp1361"),
    "iso2022_kr": ("csiso2022kr", "iso-2022-kr"),
    "utf-16-be": ("unicodefffe", "utf-16be"),
    "utf-16-le": ("csunicode", "iso-10646-ucs-2", "ucs-2", "unicode", "unicodefeff", "utf-16", "utf-16le"),
    "utf-32-be": ("utf-32be",),
    "utf-32-le": ("utf-32le", "utf-32"),
}
_LABEL_TO_CODEC: dict[str, str] = {
    label: codec for codec, labels in _CODEC_LABELS.items() for label in labels
}

_LABEL_JUNK = " \t\r\n\f\"';,"


def normalize_charset(label: str | None) -> str | None:
    """Map an HTTP/HTML/XML charset label to the Python codec to decode with, or None if unknown.

    Supersets are used the way browsers do (WHATWG Encoding Standard): shift_jis -> cp932,
    gb2312/gbk -> gb18030, big5 -> big5hkscs, euc-kr -> cp949, iso-8859-1/us-ascii -> cp1252.
    """
    if not label:
        return None
    key = label.strip(_LABEL_JUNK).lower()
    codec = _LABEL_TO_CODEC.get(key)
    if codec is None and "_" in key:
        codec = _LABEL_TO_CODEC.get(key.replace("_", "-"))
    return codec


# --------------------------------------------------------------------------------------------------
# Codec families
# --------------------------------------------------------------------------------------------------

_CJK_CODECS = frozenset(
    {
        "cp932",
        "shift_jis_2004",
        "euc_jis_2004",
        "iso2022_jp_ext",
        "iso2022_jp_2",
        "iso2022_jp_3",
        "gb18030",
        "hz",
        "big5hkscs",
        "cp950",
        "cp949",
        "johab",
        "iso2022_kr",
    }
)
_UNICODE_CODECS = frozenset({"utf-8", "utf-8-sig", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"})
_CHINESE_CODECS = frozenset({"gb18030", "big5hkscs", "cp950"})

# When the chosen codec cannot decode the page cleanly these are the encodings it is most often
# confused with, either a sibling variant (cp932 vs Shift_JIS-2004) or a neighbouring family whose
# byte ranges overlap (EUC-JP vs Shift_JIS, GB vs Big5).
_SIBLINGS: dict[str, tuple[str, ...]] = {
    "cp932": ("shift_jis_2004", "euc_jis_2004"),
    "shift_jis_2004": ("cp932", "euc_jis_2004"),
    "euc_jis_2004": ("cp932", "gb18030"),
    "iso2022_jp_ext": ("iso2022_jp_2", "iso2022_jp_3"),
    "iso2022_jp_2": ("iso2022_jp_ext", "iso2022_jp_3"),
    "iso2022_jp_3": ("iso2022_jp_ext", "iso2022_jp_2"),
    "gb18030": ("big5hkscs", "cp949", "euc_jis_2004"),
    "big5hkscs": ("cp950", "gb18030"),
    "cp950": ("big5hkscs", "gb18030"),
    "cp949": ("johab", "gb18030"),
    "johab": ("cp949",),
}

# --------------------------------------------------------------------------------------------------
# Byte-level sniffing
# --------------------------------------------------------------------------------------------------

# Real pages put the declaration in <head>; 8 KiB leaves room for long inline scripts/styles ahead
# of it while keeping the regex scan to a few microseconds.
_DECL_SCAN_BYTES = 8192
_META_RE = re.compile(rb"<meta\s[^>]*?charset\s*=\s*[\"']?\s*([a-z0-9_.:\-]+)", re.IGNORECASE)
_XML_DECL_RE = re.compile(rb"^\s*<\?xml\s[^>]*?encoding\s*=\s*[\"']\s*([a-z0-9_.:\-]+)", re.IGNORECASE)
_HIGH_BYTE_RE = re.compile(rb"[\x80-\xff]")
_HIGH_RUN_RE = re.compile(rb"[\x80-\xff]{4}")

# Designations that only ISO-2022-JP / ISO-2022-KR text contains; plain ASCII HTML never has ESC.
_ISO2022_JP_ESC_RE = re.compile(rb"\x1b(?:\$[@B]|\$\(D|\$\([OPQ]|\([BJI]|&@)")
_ISO2022_KR_ESC = b"\x1b$)C"

_BOMS: tuple[tuple[bytes, str], ...] = (
    # UTF-32 LE must be tested before UTF-16 LE: its BOM starts with the UTF-16 LE BOM.
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)

# The detector's cost grows with the non-ASCII bytes it sees (up to ~0.4 ms/KiB for Korean). On the
# chardet test pages 4 KiB from the first high byte is where verdicts stop changing; 1-2 KiB windows
# still misread some Big5 and Shift_JIS pages as single-byte Latin.
_DETECT_BYTES = 4096
# Bytes scanned for the UTF-16/32-without-BOM NUL pattern.
_NUL_SNIFF_BYTES = 2048
# Below this the detector's "multi-byte CJK" verdict is too weak to overrule a declaration.
_CJK_CONFIDENCE = 0.5
# Share of kana among non-ASCII characters above which a strictly valid Japanese reading beats a
# Chinese verdict; Chinese text read as EUC-JP/Shift_JIS yields almost no kana.
_KANA_SHARE = 0.5
# Full-width kana only: Big5/GB bytes read as Shift_JIS produce plenty of half-width katakana.
_KANA_RE = re.compile("[\u3041-\u30ff]")
_NON_ASCII_RE = re.compile("[^\x00-\x7f]")


def _find_declared(payload: bytes) -> str | None:
    head = payload[:_DECL_SCAN_BYTES]
    m = _XML_DECL_RE.match(head) or _META_RE.search(head)
    if m is None:
        return None
    return m.group(1).decode("ascii", "replace")


def _sniff_wide(payload: bytes) -> str | None:
    """Recognise BOM-less UTF-16/32 from the pattern of NUL bytes that markup leaves in them."""
    sample = payload[:_NUL_SNIFF_BYTES]
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


def _sniff_iso2022(payload: bytes) -> str | None:
    if b"\x1b" not in payload:
        return None
    if _ISO2022_KR_ESC in payload:
        return "iso2022_kr"
    if _ISO2022_JP_ESC_RE.search(payload):
        return "iso2022_jp_ext"
    return None


# --------------------------------------------------------------------------------------------------
# Decoding helpers
# --------------------------------------------------------------------------------------------------


def _decodes_strictly(data: bytes, codec: str) -> bool:
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


def _try_decode(payload: bytes, codec: str, method: str) -> DecodedPage | None:
    """Decode strictly (tolerating a truncated last character), or None if the codec does not fit.

    Doing the strict check and the decode in one call keeps the common case to a single pass.
    """
    try:
        return DecodedPage(payload.decode(codec), codec, method, 0)
    except UnicodeDecodeError as exc:
        if exc.end >= len(payload) and len(payload) - exc.start < 4:
            return _decode(payload, codec, method)
        return None
    except LookupError:
        return None


def _decode(payload: bytes, codec: str, method: str) -> DecodedPage:
    text = payload.decode(codec, "replace")
    replaced = 0
    if "\ufffd" in text:
        # "ignore" resynchronises exactly like "replace", so the difference in U+FFFD counts is the
        # number of replacements; U+FFFD that the source legitimately encoded survive in both.
        replaced = text.count("\ufffd") - payload.decode(codec, "ignore").count("\ufffd")
    return DecodedPage(text, codec, method, replaced)


def _error_count(data: bytes, codec: str) -> int:
    try:
        text = data.decode(codec, "replace")
    except LookupError:
        return len(data) + 1
    if "\ufffd" not in text:
        return 0
    return text.count("\ufffd") - data.decode(codec, "ignore").count("\ufffd")


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


def _mostly_utf8(window: bytes) -> bool:
    window = window[:_UTF8_SNIFF_BYTES]
    text = window.decode("utf-8", "replace")
    errors = text.count("\ufffd")
    ascii_bytes = len(window.translate(None, _HIGH_BYTES))
    valid_multibyte = len(text) - ascii_bytes - errors
    return valid_multibyte >= _UTF8_MIN_VALID and valid_multibyte >= _UTF8_VALID_PER_ERROR * errors


def _kana_share(text: str) -> float:
    non_ascii = len(_NON_ASCII_RE.findall(text))
    return len(_KANA_RE.findall(text)) / non_ascii if non_ascii else 0.0


class _Detection:
    """Lazily-run cchardet verdict on a window starting at the first non-ASCII byte.

    Pages open with kilobytes of ASCII markup that carry no evidence; starting the window at the
    first high byte lets a small window see real text.
    """

    __slots__ = ("_done", "_window", "codec", "confidence")

    def __init__(self, window: bytes) -> None:
        self._window = window
        self._done = False
        self.codec: str | None = None
        self.confidence = 0.0

    def run(self) -> _Detection:
        if not self._done:
            self._done = True
            result = cchardet.detect(self._window)
            self.codec = normalize_charset(result.get("encoding"))
            self.confidence = float(result.get("confidence") or 0.0)
        return self

    @property
    def window(self) -> bytes:
        return self._window

    def confident_cjk(self) -> str | None:
        """The CJK codec the detector is confident about, if any, and only if it fits the window."""
        self.run()
        codec = self.codec
        if codec is None or codec not in _CJK_CODECS or self.confidence < _CJK_CONFIDENCE:
            return None
        if _decodes_strictly(self._window, codec):
            return codec
        for sibling in _SIBLINGS.get(codec, ()):
            if _decodes_strictly(self._window, sibling):
                return sibling
        return None


_CJK_PROBES = ("cp932", "euc_jis_2004", "gb18030", "big5hkscs", "cp949")


def _plausible_cjk_window(window: bytes) -> bool:
    # Latin-script text almost never forms valid double-byte sequences, so if no CJK codec accepts
    # the window, the detector has nothing to overrule and need not run.
    return any(_decodes_strictly(window, c) for c in _CJK_PROBES)


def _prefer_japanese(window: bytes, codec: str) -> str:
    """Second opinion on a Chinese verdict for short Japanese text that happens to be valid Big5/GB."""
    if codec not in _CHINESE_CODECS:
        return codec
    for candidate in ("euc_jis_2004", "cp932"):
        if not _decodes_strictly(window, candidate):
            continue
        if _kana_share(window.decode(candidate, "replace")) > _KANA_SHARE:
            return candidate
    return codec


# --------------------------------------------------------------------------------------------------
# Public entry point
# --------------------------------------------------------------------------------------------------


def decode_html(payload: bytes, http_charset: str | None = None) -> DecodedPage:
    """Decode an HTML/XML payload to text, never raising."""
    try:
        if not isinstance(payload, bytes):
            payload = bytes(payload)
        return _decode_html(payload, http_charset)
    except Exception:
        # A decoder bug must not kill a crawl worker; the page is still usable as lossy UTF-8.
        try:
            return _decode(bytes(payload), "utf-8", "fallback")
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
    if b"\x00" in payload[:_NUL_SNIFF_BYTES]:
        wide = _sniff_wide(payload)
        if wide is not None and _decodes_strictly(payload, wide):
            method = next((m for c, m in declared if c[:6] == wide[:6]), "detected")
            return _decode(payload, wide, method)
    if payload.isascii():
        return _decode_ascii(payload, declared)

    # 2. Valid UTF-8 with non-ASCII content: legacy multi-byte text essentially never is.
    page = _try_decode(payload, "utf-8", "utf8")
    if page is not None:
        return page

    first_high = _HIGH_BYTE_RE.search(payload)
    start = first_high.start() if first_high is not None else 0
    detection = _Detection(payload[start : start + _DETECT_BYTES])
    if _mostly_utf8(detection.window):
        # UTF-8 with a stray byte or a pasted legacy fragment: any label claiming otherwise is as
        # wrong as for valid UTF-8, and a single-byte one would decode it to mojibake without error.
        return _decode(payload, "utf-8", "utf8")
    page = _by_declared(payload, declared, detection)
    if page is not None:
        return page
    detection.run()
    if detection.codec is not None and detection.codec not in _UNICODE_CODECS:
        return _by_detection(payload, detection.codec, detection.window, declared)
    return _least_damaging(payload, declared, detection.window)


def _by_bom(payload: bytes) -> DecodedPage | None:
    """1. Byte order mark: authoritative, as in browsers."""
    for bom, codec in _BOMS:
        if payload.startswith(bom):
            if codec == "utf-32" and not _decodes_strictly(payload, codec):
                # FF FE 00 00 can also be a UTF-16 LE BOM followed by U+0000.
                codec = "utf-16"
            return _decode(payload, codec, "bom")
    return None


def _declared_charsets(payload: bytes, http_charset: str | None) -> list[tuple[str, str]]:
    """(codec, method) of the HTTP charset, then of the page's own declaration when it differs."""
    declared: list[tuple[str, str]] = []
    http_codec = normalize_charset(http_charset)
    if http_codec is not None:
        declared.append((http_codec, "http"))
    meta_codec = normalize_charset(_find_declared(payload))
    if meta_codec is not None and meta_codec != http_codec:
        declared.append((meta_codec, "meta"))
    return declared


def _decode_ascii(payload: bytes, declared: list[tuple[str, str]]) -> DecodedPage:
    """A payload of 7-bit bytes: ASCII, unless escape sequences or a label say ISO-2022 or HZ."""
    # 7-bit ISO-2022 text is ASCII byte-wise; only its escape sequences give it away.
    iso = _sniff_iso2022(payload)
    if iso is not None:
        family = iso[:9]
        match = next(((c, m) for c, m in declared if c[:9] == family), None)
        codec, method = match if match is not None else (iso, "detected")
        if not _decodes_strictly(payload, codec):
            codec = min((codec, *_SIBLINGS.get(codec, ())), key=lambda c: _error_count(payload, c))
        return _decode(payload, codec, method)
    for codec, method in declared:
        # HZ is the other 7-bit CJK encoding; its "~{" shift is ordinary ASCII, so only a
        # label can tell it apart.
        if codec == "hz" and b"~{" in payload:
            return _decode(payload, codec, method)
    return DecodedPage(payload.decode("ascii"), "ascii", "detected", 0)


def _by_declared(
    payload: bytes, declared: list[tuple[str, str]], detection: _Detection
) -> DecodedPage | None:
    """3. Declared charsets, HTTP first (it wins in browsers too), each checked for plausibility."""
    for codec, method in declared:
        if codec in _UNICODE_CODECS:
            # UTF-8 already failed above; a UTF-16/32 label on NUL-free bytes is a template error.
            continue
        page = _try_decode(payload, codec, method)
        if page is None:
            continue
        if codec not in _CJK_CODECS and _plausible_cjk_window(detection.window):
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
    chosen = _prefer_japanese(window, detected)
    page = _try_decode(payload, chosen, "detected")
    if page is None and chosen != detected:
        page = _try_decode(payload, detected, "detected")
    if page is not None:
        return page
    candidates = [(detected, "detected")]
    candidates += [(s, "detected") for s in _SIBLINGS.get(detected, ())]
    candidates += [(c, m) for c, m in declared if c not in _UNICODE_CODECS]
    best_codec, best_method, best_errors = detected, "detected", len(payload) + 1
    for codec, method in candidates:
        errors = _error_count(payload, codec)
        if errors < best_errors:
            best_codec, best_method, best_errors = codec, method, errors
    if best_errors < _error_count(payload, "utf-8"):
        return _decode(payload, best_codec, best_method)
    return _decode(payload, "utf-8", "fallback")


def _least_damaging(payload: bytes, declared: list[tuple[str, str]], window: bytes) -> DecodedPage:
    """5. Nothing trustworthy (cchardet answers "UTF-8" with low confidence when no prober matched,
    even on invalid UTF-8). A declared charset that merely has a few bad bytes still beats UTF-8
    if it produces fewer replacements."""
    utf8_text = payload.decode("utf-8", "replace")
    utf8_errors = utf8_text.count("\ufffd") - payload.decode("utf-8", "ignore").count("\ufffd")
    best = ("utf-8", "fallback")
    best_errors = utf8_errors
    for codec, method in declared:
        if codec in _UNICODE_CODECS:
            continue
        errors = _error_count(payload, codec)
        if errors < best_errors:
            best, best_errors = (codec, method), errors
    if best[0] == "utf-8":
        # Damaged UTF-8 still has more valid multi-byte characters than broken ones; when it has
        # fewer, the high bytes are isolated legacy characters, and windows-1252 is the legacy
        # encoding browsers fall back to for the Latin-script pages this mostly is.
        # Runs of high bytes mean double-byte text in an encoding we cannot name (EUC-TW, say);
        # windows-1252 would turn that into mojibake with replaced == 0, hiding the failure.
        valid_multibyte = len(_NON_ASCII_RE.findall(utf8_text)) - utf8_errors
        if (
            valid_multibyte < utf8_errors
            and _HIGH_RUN_RE.search(window) is None
            and _decodes_strictly(payload, "cp1252")
        ):
            return _decode(payload, "cp1252", "detected")
        return DecodedPage(utf8_text, "utf-8", "fallback", utf8_errors)
    return _decode(payload, *best)
