"""Text normalisation for decontamination: the same function runs over evaluation items and documents.

Two unit kinds, chosen per item by its script (see `is_cjk_text`):

* **characters** (Japanese, Chinese, Korean): NFKC (full-width ASCII becomes ASCII, half-width
  katakana becomes full-width, ``㍻`` becomes ``平成``), lower case, then every character of the
  Unicode categories P* (punctuation: ``。、「」・！？``), Z* (separators, the ideographic space),
  S* (symbols: ``※★→＋＝￥``, emoji) and Cc/Cf (controls, so line breaks, tabs, zero-width joiners)
  is removed. Text is thus compared as an unbroken run of letters and digits, so an item split
  across lines, re-punctuated or re-spaced still matches. Symbols go too: web copies of quiz items
  decorate them with bullets and arrows; the cost is that ``3+5`` and ``35`` look alike, which the
  n-gram length makes irrelevant.
* **words** (everything else): NFKC, lower case, words = maximal runs of letters, marks and digits
  (``\\p{L}\\p{M}\\p{N}``), so punctuation, whitespace and line breaks only separate words. This follows
  the GPT-3 convention (Brown et al. 2020, "Language Models are Few-Shot Learners", appendix C: word
  n-grams compared without regard to punctuation, whitespace and case; 13-grams for filtering the
  training data), also used by EleutherAI's lm-evaluation-harness (docs/decontamination.md: "we just
  used 13"); datatrove's NGramsDecontConfig defaults to 12 words.

Line breaks are kept as markers (``\\n``) through normalisation so that a match can be traced back to
the lines (paragraphs) of the original text that hold it; NFKC neither creates nor removes ``\\n``.
"""

from __future__ import annotations

import unicodedata

import numpy as np
import regex

# Removed before character n-grams; \n is kept here and dropped later, after its positions are read.
_CHAR_DROP = regex.compile(r"[\p{P}\p{Z}\p{S}\p{Cf}[\p{Cc}--\n]]+", flags=regex.V1)
# A word, or a line break (kept as its own token so words can be mapped to lines).
_WORD_OR_NEWLINE = regex.compile(r"[\p{L}\p{M}\p{N}]+|\n")


def fold(text: str) -> str:
    """NFKC + lower case: the part of normalisation both unit kinds share."""
    return unicodedata.normalize("NFKC", text).lower()


def char_units(folded: str) -> str:
    """`folded` without punctuation, separators, symbols and controls, line breaks kept."""
    return _CHAR_DROP.sub("", folded)


def normalize_chars(text: str) -> str:
    """The character stream an item or document is compared on (line breaks removed too)."""
    return char_units(fold(text)).replace("\n", "")


def word_tokens(folded: str) -> list[str]:
    """Words of `folded`, with "\\n" tokens where lines break."""
    return _WORD_OR_NEWLINE.findall(folded)


def normalize_words(text: str) -> list[str]:
    """The word sequence an item or document is compared on."""
    return [token for token in word_tokens(fold(text)) if token != "\n"]


# Han (BMP, compatibility, supplementary planes), kana (with half-width katakana) and Hangul blocks
_CJK_RANGES = np.array(
    [
        (0x1100, 0x11FF), (0x3040, 0x30FF), (0x3130, 0x318F), (0x31F0, 0x31FF), (0x3400, 0x9FFF),
        (0xAC00, 0xD7AF), (0xF900, 0xFAFF), (0xFF66, 0xFF9F), (0x20000, 0x3FFFF),
    ],
    dtype=np.uint32,
)  # fmt: skip


def is_cjk_text(text: str, min_share: float = 0.3) -> bool:
    """True when at least `min_share` of the normalised characters (letters, marks, digits) are Han,
    kana or Hangul.

    0.3 rather than 0.5: Japanese items often carry Latin names, numbers and units ("DNAの二重らせん
    構造を1953年に…"), yet still must be compared by characters.
    """
    codes = np.frombuffer(normalize_chars(text).encode("utf-32-le"), dtype=np.uint32)
    if codes.size == 0:
        return False
    # a code point is in a range when the range's start is the last start at or below it
    at = np.searchsorted(_CJK_RANGES[:, 0], codes, side="right") - 1
    inside = (at >= 0) & (codes <= _CJK_RANGES[np.maximum(at, 0), 1])
    return int(inside.sum()) >= min_share * codes.size
