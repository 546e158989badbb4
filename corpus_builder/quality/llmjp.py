"""Signals of the LLM-jp corpus v1/v2 Japanese filters (own implementation).

* ``kana_in_head`` — 1.0 if hiragana/katakana ``[ぁ-んァ-ン]`` occurs in the first 50 characters;
* ``ad_keyword_count`` — ad keyword occurrences;
* ``adult_word_count`` / ``discrimination_word_count`` / ``violence_word_count`` — occurrences of
  the words of each list (greedy longest, non-overlapping);
* ``chars_per_kuten`` — ``len(text) / count("。")`` (inf without 。): "at least one 。 per N chars";
* ``zlib_compression_ratio`` — ``len(zlib.compress(utf8)) / len(utf8)`` (level 6); 0 for empty text.
Kana-line cleaning is the ``kana_lines`` modifier (:mod:`corpus_builder.quality.clean`).
"""

from __future__ import annotations

import math
import re
import zlib
from collections.abc import Callable
from pathlib import Path

from corpus_builder.quality.clean import WORDLISTS_DIR
from corpus_builder.quality.ngword import load_matcher

_KANA = re.compile("[ぁ-んァ-ン]")


def zlib_ratio(text: str) -> float:
    data = text.encode("utf-8")
    return len(zlib.compress(data, 6)) / len(data) if data else 0.0


def make_llmjp_signals(
    ads_wordlist_path: str | Path = WORDLISTS_DIR / "ads_ja.txt",
    adult_wordlist_path: str | Path = WORDLISTS_DIR / "adult_ja.txt",
    discrimination_wordlist_path: str | Path = WORDLISTS_DIR / "discrimination_ja.txt",
    violence_wordlist_path: str | Path = WORDLISTS_DIR / "violence_ja.txt",
    lookup_size: int = 50,
) -> Callable[[str], dict[str, float]]:
    ads = load_matcher(str(ads_wordlist_path))
    adult = load_matcher(str(adult_wordlist_path))
    discrimination = load_matcher(str(discrimination_wordlist_path))
    violence = load_matcher(str(violence_wordlist_path))

    def llmjp_signals(text: str) -> dict[str, float]:
        kuten = text.count("。")
        return {
            "kana_in_head": 1.0 if _KANA.search(text[:lookup_size]) else 0.0,
            "ad_keyword_count": float(ads.count(text)),
            "adult_word_count": float(adult.count(text)),
            "discrimination_word_count": float(discrimination.count(text)),
            "violence_word_count": float(violence.count(text)),
            "chars_per_kuten": (len(text) / kuten) if kuten else (math.inf if text else 0.0),
            "zlib_compression_ratio": zlib_ratio(text),
        }

    return llmjp_signals
