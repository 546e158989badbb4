"""Signals of the FineWeb-2 filters (datatrove's GopherRepetitionFilter, FineWebQualityFilter and
GopherQualityFilter, with the definitions of datatrove 0.10), computed over the words of a FAST
Japanese tokenizer (:mod:`corpus_builder.quality.tokenizers`, one per worker) instead of
datatrove's default Japanese path (spaCy + SudachiPy, slower: `python bench/filters.py`).

The words are computed once per document and shared by every rule (datatrove tokenises once per
filter).  Where datatrove would divide by zero (no words) the ratio is 0, or inf for "too many
newlines per word", so that a rule still rejects with its own name.  datatrove's helper functions
(``find_duplicates``, ``find_top_duplicate``, ``find_all_duplicate``, ``get_n_grams``) are used
as they are, so the values match datatrove's filters given the same words.

Note: FineWeb-2's Japanese thresholds were tuned on spaCy+Sudachi words; fugashi+unidic-lite
segments differently (shorter units), which shifts word-level statistics a little.  Use
``tokenizer: sudachi`` (SudachiPy mode C, no spaCy) for the closest segmentation.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence

from datatrove.pipeline.filters.gopher_repetition_filter import (
    find_all_duplicate,
    find_duplicates,
    find_top_duplicate,
    get_n_grams,
)
from datatrove.utils.text import PUNCTUATION_SET, TERMINAL_PUNCTUATION

from corpus_builder.quality.tokenizers import get_tokenizer

TOP_NGRAMS = (2, 3, 4)
DUP_NGRAMS = (5, 6, 7, 8, 9, 10)
_LINE_SPLIT = re.compile("\n+")
_STOP_CHARS = tuple(TERMINAL_PUNCTUATION)


def make_fineweb2_signals(
    tokenizer: str = "fugashi",
    stop_words: Sequence[str] = (),
    short_line_length: int = 30,
) -> Callable[[str], dict[str, float]]:
    stops = frozenset(stop_words)

    def fineweb2_signals(text: str) -> dict[str, float]:
        words = get_tokenizer(tokenizer).words(text) if text else []
        n_words = len(words)
        length = len(text)
        out: dict[str, float] = {}

        # Gopher repetition (lines split on runs of newlines, as datatrove)
        lines = _LINE_SPLIT.split(text) if text else []
        out["dup_line_frac"] = find_duplicates(lines)[0] / len(lines) if lines else 0.0
        for n in TOP_NGRAMS:
            grams = get_n_grams(words, n)
            out[f"top_{n}_gram_char_frac"] = find_top_duplicate(grams) / length if grams else 0.0
        for n in DUP_NGRAMS:
            out[f"dup_{n}_gram_char_frac"] = find_all_duplicate(words, n) / length if length else 0.0

        # FineWeb quality (non-blank lines)
        nonblank = [line for line in text.split("\n") if line.strip() != ""]
        if nonblank:
            out["line_punct_ratio"] = sum(line.endswith(_STOP_CHARS) for line in nonblank) / len(nonblank)
            out["short_line_ratio"] = sum(len(line) <= short_line_length for line in nonblank) / len(nonblank)
            chars = len(text.replace("\n", ""))
            out["char_dup_ratio"] = find_duplicates(nonblank)[1] / chars if chars else 0.0
        else:
            out["line_punct_ratio"] = out["short_line_ratio"] = out["char_dup_ratio"] = 0.0
        newlines = text.count("\n")
        out["newline_per_word"] = newlines / n_words if n_words else (math.inf if newlines else 0.0)

        # Gopher quality
        non_symbol = [w for w in words if any(ch not in PUNCTUATION_SET for ch in w)]
        out["n_non_symbol_words"] = float(len(non_symbol))
        out["avg_word_length"] = sum(map(len, non_symbol)) / len(non_symbol) if non_symbol else 0.0
        out["hash_word_ratio"] = text.count("#") / n_words if n_words else 0.0
        out["ellipsis_word_ratio"] = (text.count("...") + text.count("…")) / n_words if n_words else 0.0
        split_lines = text.splitlines()
        if split_lines:
            out["bullet_lines_ratio"] = sum(s.lstrip().startswith(("•", "-")) for s in split_lines) / len(
                split_lines
            )
            out["end_ellipsis_lines_ratio"] = sum(
                s.rstrip().endswith(("...", "…")) for s in split_lines
            ) / len(split_lines)
        else:
            out["bullet_lines_ratio"] = out["end_ellipsis_lines_ratio"] = 0.0
        out["alpha_words_ratio"] = (
            sum(any(c.isalpha() for c in w) for w in words) / n_words if n_words else 0.0
        )
        out["stop_words_found"] = float(len(stops.intersection(words)))
        return out

    return fineweb2_signals
