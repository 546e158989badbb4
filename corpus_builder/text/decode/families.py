"""Codec families the decode chain reasons about: multi-byte CJK, Unicode, Chinese, and each CJK codec's
siblings (the encodings it is most often confused with)."""

from __future__ import annotations

__all__ = ["CJK_CODECS", "UNICODE_CODECS", "CHINESE_CODECS", "SIBLINGS"]

CJK_CODECS = frozenset(
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
UNICODE_CODECS = frozenset({"utf-8", "utf-8-sig", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"})
CHINESE_CODECS = frozenset({"gb18030", "big5hkscs", "cp950"})

# When the chosen codec cannot decode the page cleanly these are the encodings it is most often
# confused with, either a sibling variant (cp932 vs Shift_JIS-2004) or a neighbouring family whose
# byte ranges overlap (EUC-JP vs Shift_JIS, GB vs Big5).
SIBLINGS: dict[str, tuple[str, ...]] = {
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
