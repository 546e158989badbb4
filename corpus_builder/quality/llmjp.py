"""Signals of LLM-jp's ``ja_cc`` filter chain (own implementation of llm-jp/llm-jp-corpus
``scripts/filter_data.py`` + ``scripts/filters.py`` at c58e94f, unchanged at v2.0.0 6e7746d, with
HojiChar 0.9.0, the version its requirements.txt pins).  Every signal is computed on the raw text,
as LLM-jp runs every filter before it extracts the kana lines:

* ``stripped_length`` — ``len(text.strip())`` (``is_not_empty``: ``text.strip() != ""``);
* ``kana_in_head`` — 1.0 if ``[ぁ-んァ-ン]`` occurs in the first 50 characters (HojiChar
  ``AcceptJapanese``; the class leaves out ゔゕゖゝゞ, ヴヵヶ, ー and ・);
* ``ad_keyword_count`` — ad keyword *occurrences* (not distinct words), HojiChar ``DiscardAds``
  matching: list-order alternation, see :class:`~corpus_builder.quality.ngword.ListOrderMatcher`;
* ``adult_word_count`` / ``discrimination_word_count`` / ``violence_word_count`` — occurrences,
  matched as HojiChar ``NgWordsFilterJa(ignore_confused=True)`` with LLM-jp's ``findall`` count;
* ``chars_per_kuten`` — ``len(text) / count("。")``, inf for a non-empty text without 。, 0 for an
  empty one.  HojiChar ``DiscardRareKuten`` rejects when ``count(。) < len / 250``, i.e. exactly when
  this exceeds 250 (a text at 250.0 is kept);
* ``zlib_compression_ratio`` — ``len(zlib.compress(utf8, 9)) / len(utf8)`` (``has_good_compression_ratio``
  with ``length_factor=0``); 0 for the empty text, which LLM-jp never reaches (it divides by zero);
* ``kana_lines_stripped_length`` — ``stripped_length`` of the text after the kana-line extraction
  (:func:`~corpus_builder.quality.clean.keep_kana_lines`): LLM-jp's final ``is_not_empty``.

The extraction itself is the preset's ``modifiers_after_rules: [kana_lines]``: it rewrites a kept
document after the rules have decided on its raw text.
"""

from __future__ import annotations

import math
import re
import zlib
from collections.abc import Callable
from pathlib import Path

from corpus_builder.quality.clean import WORDLISTS_DIR, keep_kana_lines
from corpus_builder.quality.ngword import load_list_order_matcher

# HojiChar 0.9.0 AcceptJapanese: hiragana_katakana_pat.
_KANA = re.compile("[ぁ-んァ-ン]")
# llm-jp-corpus scripts/filters.py has_good_compression_ratio: zlib.compress(..., level=9).
ZLIB_LEVEL = 9


def zlib_ratio(text: str, level: int = ZLIB_LEVEL) -> float:
    data = text.encode("utf-8")
    return len(zlib.compress(data, level)) / len(data) if data else 0.0


def make_llmjp_signals(
    ads_wordlist_path: str | Path = WORDLISTS_DIR / "ads_ja.txt",
    adult_wordlist_path: str | Path = WORDLISTS_DIR / "adult_ja.txt",
    discrimination_wordlist_path: str | Path = WORDLISTS_DIR / "discrimination_ja.txt",
    violence_wordlist_path: str | Path = WORDLISTS_DIR / "violence_ja.txt",
    lookup_size: int = 50,
) -> Callable[[str], dict[str, float]]:
    """``lookup_size``: characters searched for kana (HojiChar 0.9.0 fixes it at 50 whatever is passed)."""
    ads = load_list_order_matcher(str(ads_wordlist_path))
    adult = load_list_order_matcher(str(adult_wordlist_path), isolate_katakana=True)
    discrimination = load_list_order_matcher(str(discrimination_wordlist_path), isolate_katakana=True)
    violence = load_list_order_matcher(str(violence_wordlist_path), isolate_katakana=True)

    def llmjp_signals(text: str) -> dict[str, float]:
        kuten = text.count("。")
        kana_lines, _ = keep_kana_lines(text)
        return {
            "stripped_length": float(len(text.strip())),
            "kana_in_head": 1.0 if _KANA.search(text[:lookup_size]) else 0.0,
            "ad_keyword_count": float(ads.count(text)),
            "adult_word_count": float(adult.count(text)),
            "discrimination_word_count": float(discrimination.count(text)),
            "violence_word_count": float(violence.count(text)),
            "chars_per_kuten": (len(text) / kuten) if kuten else (math.inf if text else 0.0),
            "zlib_compression_ratio": zlib_ratio(text),
            "kana_lines_stripped_length": float(len(kana_lines.strip())),
        }

    return llmjp_signals
