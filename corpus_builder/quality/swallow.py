"""Quality signals of the Swallow corpus v1 (``quality.py`` of swallow-llm/swallow-corpus).

``swallow_signals`` computes every statistic that ``quality.apply_v1`` thresholds, with the exact
definitions of the public code at commit 2d03507 (character classes and sentence splitting are in
:mod:`corpus_builder.text.ja`).  The thresholds live in ``filters/presets/swallow-quality.yaml``
(and, after the NG-word ratio, in ``swallow.yaml``).

Degenerate inputs.  The original crashes on two kinds of text; here every input yields a full set
of finite values, chosen so that the preset still rejects the document, with a named rule:

* fewer than 4 characters (the original's top-4-gram lookup fails): n-gram statistics that have no
  n-gram are 0.0, and ``min_num_letters`` rejects (its threshold is bounded below by 4, so no
  override can let such a text through);
* no sentence at all, e.g. ``"\\n\\n\\n\\n"`` or ``"。。。。"`` (the original's ``max()`` fails):
  ``avg_sentence_length`` and ``max_sentence_length`` are 0, the sentence fractions are 0.0, and
  ``min_avg_sentence_length`` rejects (its threshold is bounded below by 1).  With the default
  thresholds an earlier rule usually rejects first: a text without sentences contains no hiragana
  (any non-terminator character would start a sentence), so ``min_hiragana_fraction`` fires.

Every other fraction whose denominator is zero is 0.0, as in the original where it guards.
"""

from __future__ import annotations

from collections import Counter
from itertools import compress
from operator import add, countOf

try:  # numpy is a dependency of datatrove; the pure-Python path below covers its absence
    import numpy as np
except ImportError:  # pragma: no cover
    np = None  # type: ignore[assignment]

from corpus_builder.text.ja import count_char_classes, split_paragraphs, split_sentences

TOP_NGRAM_SIZES = (2, 3, 4)
DUPLICATE_NGRAM_SIZES = (5, 6, 7, 8, 9, 10)

SIGNAL_NAMES: tuple[str, ...] = (
    "num_letters",
    "duplicate_paragraph_fraction",
    "duplicate_sentence_fraction",
    "duplicate_paragraph_fraction_in_character",
    "duplicate_sentence_fraction_in_character",
    *(f"top_{n}gram_character_fraction" for n in TOP_NGRAM_SIZES),
    *(f"duplicate_{n}gram_character_fraction" for n in DUPLICATE_NGRAM_SIZES),
    "hiragana_fraction",
    "katakana_fraction",
    "japanese_fraction",
    "num_japanese_letters",
    "avg_sentence_length",
    "max_sentence_length",
    "ellipsis_fraction",
)

_ELLIPSIS_ENDINGS = ("・", "…")


def _duplicate_fractions(items: list[str]) -> tuple[float, float]:
    """(Σ(count−1) / #items, Σ len·(count−1) / Σ len) over the items.

    Σ(count−1) is #items − #distinct and Σ len·(count−1) is the total length minus the length of
    the distinct items, which keeps the work in C (Counter, map(len)).
    """
    if not items:
        return 0.0, 0.0
    distinct = Counter(items)
    total_len = sum(map(len, items))
    by_count = (len(items) - len(distinct)) / len(items)
    by_chars = (total_len - sum(map(len, distinct))) / total_len if total_len else 0.0
    return by_count, by_chars


def _ngram_statistics_numpy(text: str) -> dict[str, float]:
    """Top-n-gram fractions (n = 2..4) and duplicate-n-gram type fractions (n = 5..10), vectorised.

    Each n-gram is identified exactly by a 64-bit key: (dense id of its (n−1)-gram prefix) << 21 |
    (code point of its last character); code points fit in 21 bits and dense ids are < len(text),
    so keys never collide.  ``np.unique`` then yields the counts and the dense ids for the next
    level.  Faster than the pure-Python version below: `python -m bench.implementation_choices`.
    """
    length = len(text)
    out: dict[str, float] = {}
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    ids = codes
    for n in range(2, 11):
        total = length - n + 1  # number of n-gram occurrences in the text
        if total <= 0:
            out[_ngram_signal_name(n)] = 0.0
            continue
        keys = (ids[:total] << _SHIFT) | codes[n - 1 :]
        _, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
        ids = inverse.astype(np.uint64)
        if n in TOP_NGRAM_SIZES:
            out[_ngram_signal_name(n)] = int(counts.max()) / total
        else:
            out[_ngram_signal_name(n)] = int(np.count_nonzero(counts > 1)) / len(counts)
    return out


def _ngram_statistics_python(text: str) -> dict[str, float]:
    """Pure-Python version of :func:`_ngram_statistics_numpy` (same results, used without numpy).

    Counting every n-gram for nine values of n is the dominant cost, so each level only looks at
    the positions that can matter, using the fact that an n-gram occurring twice has a prefix
    (n−1)-gram occurring twice:

    * the most frequent n-gram (when any n-gram repeats) starts at a position whose (n−1)-gram
      repeats;
    * an n-gram starting where the (n−1)-gram is unique is itself unique, so it adds one distinct
      type and no duplicate type without being built.

    ``positions`` are the candidate start positions for the current level (ascending), ``grams``
    their n-grams and ``counts`` the exact global counts of those n-gram types (a type seen at a
    candidate position never occurs at a non-candidate one).
    """
    length = len(text)
    out: dict[str, float] = {}
    if length < 2:
        for n in range(2, 11):
            out[_ngram_signal_name(n)] = 0.0
        return out

    # Level 2 covers every position.  N-grams are grown by string concatenation of the previous
    # level's gram and one character (map(add, ...)), which is faster than slicing the text
    # (`python -m bench.implementation_choices`).
    chars = list(text)
    positions: list[int] | range = range(length - 1)
    grams = list(map(add, chars, chars[1:]))
    counts = Counter(grams)
    out["top_2gram_character_fraction"] = max(counts.values()) / len(grams)

    for n in range(3, 11):
        total = length - n + 1  # number of n-gram occurrences in the text
        if total <= 0:
            out[_ngram_signal_name(n)] = 0.0
            continue
        # Keep positions whose (n−1)-gram repeats and that still have room for an n-gram.
        flags = list(map((1).__lt__, map(counts.__getitem__, grams)))
        positions = list(compress(positions, flags))
        grams = list(compress(grams, flags))
        if positions and positions[-1] >= total:  # only the previous level's last start can overflow
            positions.pop()
            grams.pop()
        grams = list(map(add, grams, map(chars.__getitem__, map((n - 1).__add__, positions))))
        counts = Counter(grams)
        if n in TOP_NGRAM_SIZES:
            # Without a repeated candidate every n-gram is unique, so the top count is 1.
            out[_ngram_signal_name(n)] = (max(counts.values()) if counts else 1) / total
        else:
            distinct = total - len(positions) + len(counts)
            duplicated = len(counts) - countOf(counts.values(), 1)
            out[_ngram_signal_name(n)] = duplicated / distinct
    return out


if np is not None:
    _SHIFT = np.uint64(21)
    _ngram_statistics = _ngram_statistics_numpy
else:  # pragma: no cover - numpy comes with datatrove, but the module must not depend on it
    _ngram_statistics = _ngram_statistics_python


def _ngram_signal_name(n: int) -> str:
    if n in TOP_NGRAM_SIZES:
        return f"top_{n}gram_character_fraction"
    return f"duplicate_{n}gram_character_fraction"


def swallow_signals(text: str) -> dict[str, float]:
    """Every statistic ``quality.apply_v1`` of Swallow corpus v1 thresholds, keyed by its name.

    Never raises; see the module docstring for the values of degenerate inputs.
    """
    num_letters = len(text)
    paragraphs = split_paragraphs(text)
    sentences = split_sentences(text)
    dup_par, dup_par_chars = _duplicate_fractions(paragraphs)
    dup_sen, dup_sen_chars = _duplicate_fractions(sentences)

    classes = count_char_classes(text)
    num_japanese = classes.japanese

    if sentences:
        lengths = list(map(len, sentences))
        avg_len = sum(lengths) / len(sentences)
        max_len = float(max(lengths))
        # str.strip() in the original; only the end matters for endswith, so rstrip is equivalent.
        ellipsis = sum(s.rstrip().endswith(_ELLIPSIS_ENDINGS) for s in sentences) / len(sentences)
    else:
        avg_len = max_len = ellipsis = 0.0

    signals: dict[str, float] = {
        "num_letters": float(num_letters),
        "duplicate_paragraph_fraction": dup_par,
        "duplicate_sentence_fraction": dup_sen,
        "duplicate_paragraph_fraction_in_character": dup_par_chars,
        "duplicate_sentence_fraction_in_character": dup_sen_chars,
    }
    signals.update(_ngram_statistics(text))
    signals.update(
        {
            "hiragana_fraction": classes.hiragana / num_japanese if num_japanese else 0.0,
            "katakana_fraction": classes.katakana / num_japanese if num_japanese else 0.0,
            "japanese_fraction": num_japanese / num_letters if num_letters else 0.0,
            "num_japanese_letters": float(num_japanese),
            "avg_sentence_length": avg_len,
            "max_sentence_length": max_len,
            "ellipsis_fraction": ellipsis,
        }
    )
    return signals
