"""Statistical detection with cchardet, run lazily on a bounded window, and the checks around it: whether
a window could be CJK at all, and a Japanese second opinion on a Chinese verdict."""

from __future__ import annotations

import re

import cchardet

from corpus_builder.text.decode.families import CHINESE_CODECS, CJK_CODECS, SIBLINGS
from corpus_builder.text.decode.labels import normalize_charset
from corpus_builder.text.decode.page import decodes_strictly

__all__ = ["DETECT_BYTES", "NON_ASCII_RE", "Detection", "plausible_cjk_window", "prefer_japanese"]

# The detector's cost grows with the non-ASCII bytes it sees (up to ~0.4 ms/KiB for Korean). On the
# chardet test pages 4 KiB from the first high byte is where verdicts stop changing; 1-2 KiB windows
# still misread some Big5 and Shift_JIS pages as single-byte Latin.
DETECT_BYTES = 4096
# Below this the detector's "multi-byte CJK" verdict is too weak to overrule a declaration.
_CJK_CONFIDENCE = 0.5
# Share of kana among non-ASCII characters above which a strictly valid Japanese reading beats a
# Chinese verdict; Chinese text read as EUC-JP/Shift_JIS yields almost no kana.
_KANA_SHARE = 0.5
# Full-width kana only: Big5/GB bytes read as Shift_JIS produce plenty of half-width katakana.
_KANA_RE = re.compile("[\u3041-\u30ff]")
NON_ASCII_RE = re.compile("[^\x00-\x7f]")


def _kana_share(text: str) -> float:
    non_ascii = len(NON_ASCII_RE.findall(text))
    return len(_KANA_RE.findall(text)) / non_ascii if non_ascii else 0.0


class Detection:
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

    def run(self) -> Detection:
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
        if codec is None or codec not in CJK_CODECS or self.confidence < _CJK_CONFIDENCE:
            return None
        if decodes_strictly(self._window, codec):
            return codec
        for sibling in SIBLINGS.get(codec, ()):
            if decodes_strictly(self._window, sibling):
                return sibling
        return None


_CJK_PROBES = ("cp932", "euc_jis_2004", "gb18030", "big5hkscs", "cp949")


def plausible_cjk_window(window: bytes) -> bool:
    # Latin-script text almost never forms valid double-byte sequences, so if no CJK codec accepts
    # the window, the detector has nothing to overrule and need not run.
    return any(decodes_strictly(window, c) for c in _CJK_PROBES)


def prefer_japanese(window: bytes, codec: str) -> str:
    """Second opinion on a Chinese verdict for short Japanese text that happens to be valid Big5/GB."""
    if codec not in CHINESE_CODECS:
        return codec
    for candidate in ("euc_jis_2004", "cp932"):
        if not decodes_strictly(window, candidate):
            continue
        if _kana_share(window.decode(candidate, "replace")) > _KANA_SHARE:
            return candidate
    return codec
