"""Charset labels (HTTP, ``<meta>``, XML declaration, detector output) → the Python codec to decode with."""

from __future__ import annotations

__all__ = ["normalize_charset"]


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
