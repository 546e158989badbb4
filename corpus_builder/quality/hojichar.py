"""Signals of a HojiChar-style Japanese filter set (HojiChar/HojiChar, hojichar/filters/
document_filters.py, read at commit 000d3f5).  Own implementation of the published definitions:

* ``doc_length`` — ``len(text)`` (DocumentLengthFilter);
* ``kana_in_head`` — 1.0 if ``[ぁ-んァ-ン]`` occurs in the first ``lookup_size`` (50) characters
  (AcceptJapanese);
* ``chars_per_kuten`` — ``len(text) / count("。")`` (inf when there is no 。 in a non-empty text);
  DiscardRareKuten rejects when ``count(。) < len / max_average_sentence_length``, i.e. when this
  exceeds the threshold;
* ``ad_keyword_count`` / ``bbs_keyword_count`` — occurrences of the ad keywords / of the BBS
  keywords plus date stamps and ``(月)``-style weekday marks (DiscardAds, DiscardBBSComments);
* ``char_5gram_repetition`` — BigScience character-repetition ratio: the counts of the
  ``min(floor(sqrt(#distinct)), #repeated)`` most frequent 5-grams over all 5-gram occurrences
  (CharRepetitionRatioFilter);
* ``word_7gram_repetition`` — occurrences of word 7-grams that occur more than once over all
  word 7-grams (WordRepetitionRatioFilter), words from the configured tokenizer;
* ``special_char_ratio`` — characters that are ASCII punctuation/whitespace or of a Unicode
  punctuation, symbol or separator category (emoji are So) over ``len(text)``; HojiChar uses a
  hand-made character list + the emoji package, which this category test approximates;
* ``max_char_run`` — longest run of one repeated character (SingleCharacterRepetitionFilter);
* ``ellipsis_line_ratio`` — ``("...\\n" | "…\\n") / max(count("\\n"), 1)`` (DiscardTooManyEndingEllipsis);
* ``short_line_ratio`` — lines of at most 10 characters / lines (DiscardTooShortLines);
* ``noun_ratio`` — 名詞 / tokens without 補助記号 (DiscardTooManyNouns); 0.0 (always passes) unless
  ``analyzer`` names a morphological analyser (fugashi or sudachi).
"""

from __future__ import annotations

import math
import re
import string
import unicodedata
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from corpus_builder.quality.clean import WORDLISTS_DIR
from corpus_builder.quality.ngword import load_matcher
from corpus_builder.quality.tokenizers import get_tokenizer

DEFAULT_ADS = WORDLISTS_DIR / "ads_ja.txt"
DEFAULT_BBS = WORDLISTS_DIR / "bbs_ja.txt"

_KANA = re.compile("[ぁ-んァ-ン]")
_BBS_PATTERNS = re.compile(r"\d{4}[年./\-] *\d{1,2}[月./\-] *\d{1,2}日?|[(（][月火水木金土日][)）]")
_ELLIPSIS_EOL = re.compile(r"(?:\.{3}|…)\n")
_ASCII_SPECIAL = frozenset(string.punctuation + string.whitespace)
_RUN = re.compile(r"(.)\1*", re.DOTALL)


def is_special_char(ch: str) -> bool:
    return ch in _ASCII_SPECIAL or unicodedata.category(ch)[0] in "PSZ"


def char_repetition_ratio(text: str, n: int = 5) -> float:
    counts = Counter(text[i : i + n] for i in range(len(text) - n + 1))
    if not counts:
        return 0.0
    freqs = sorted(counts.values(), reverse=True)
    repeated = sum(1 for f in freqs if f > 1)
    k = min(int(math.sqrt(len(freqs))), repeated)
    return sum(freqs[:k]) / sum(freqs)


def word_repetition_ratio(words: list[str], n: int = 7) -> float:
    counts = Counter(tuple(words[i : i + n]) for i in range(len(words) - n + 1))
    if not counts:
        return 0.0
    total = sum(counts.values())
    return sum(c for c in counts.values() if c > 1) / total


def max_char_run(text: str) -> int:
    if not text:
        return 0
    return max(len(m.group()) for m in _RUN.finditer(text))


def make_hojichar_signals(
    ads_wordlist_path: str | Path = DEFAULT_ADS,
    bbs_wordlist_path: str | Path = DEFAULT_BBS,
    lookup_size: int = 50,
    word_tokenizer: str = "script",
    analyzer: str | None = None,
    short_line_length: int = 10,
) -> Callable[[str], dict[str, float]]:
    ads = load_matcher(str(ads_wordlist_path))
    bbs = load_matcher(str(bbs_wordlist_path))
    tokenizer_name = analyzer or word_tokenizer

    def hojichar_signals(text: str) -> dict[str, float]:
        length = len(text)
        kuten = text.count("。")
        lines = text.split("\n")
        tokenizer = get_tokenizer(tokenizer_name) if text else None
        words = tokenizer.words(text) if tokenizer else []
        noun_ratio = 0.0
        if analyzer and text:
            pos = [p for p in (tokenizer.pos1(text) or []) if p != "補助記号"]
            noun_ratio = pos.count("名詞") / len(pos) if pos else 0.0
        return {
            "doc_length": float(length),
            "kana_in_head": 1.0 if _KANA.search(text[:lookup_size]) else 0.0,
            "chars_per_kuten": (length / kuten) if kuten else (math.inf if length else 0.0),
            "ad_keyword_count": float(ads.count(text)),
            "bbs_keyword_count": float(bbs.count(text) + len(_BBS_PATTERNS.findall(text))),
            "char_5gram_repetition": char_repetition_ratio(text, 5),
            "word_7gram_repetition": word_repetition_ratio(words, 7),
            "special_char_ratio": (sum(map(is_special_char, text)) / length) if length else 0.0,
            "max_char_run": float(max_char_run(text)),
            "ellipsis_line_ratio": len(_ELLIPSIS_EOL.findall(text)) / max(text.count("\n"), 1),
            "short_line_ratio": sum(len(line) <= short_line_length for line in lines) / len(lines),
            "noun_ratio": noun_ratio,
        }

    return hojichar_signals
