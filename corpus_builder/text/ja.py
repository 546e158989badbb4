"""Japanese character classes and sentence splitting, as the Swallow corpus v1 rules define them.

The definitions here are deliberately *not* "linguistically correct" Japanese: they reproduce what
the public Swallow corpus code (swallow-llm/swallow-corpus, quality.py) actually counts, so that a
preset built on them makes the same keep/reject decisions.  Notable consequences:

* katakana is U+30A1..U+30FA only, so the prolonged sound mark ``ー`` (U+30FC), the middle dot
  ``・``, the iteration marks ``ヽヾ`` and half-width katakana (U+FF66..U+FF9D) are NOT katakana;
* kanji is ``[々〇〻\\u3400-\\u9FFF\\uF900-\\uFAFF]`` (CJK Ext-B and beyond are not counted);
* kuten (sentence-final punctuation) is the full-width ``。．！？`` only, but sentence *splitting*
  also ends a sentence at ASCII ``!`` and ``?``; the ASCII ``.`` never ends a sentence;
* a sentence never crosses a line break.

Counting is done with compiled regexes over runs of a class, so the per-character work happens in
C rather than in a Python loop.
"""

from __future__ import annotations

import re
from typing import NamedTuple

HIRAGANA_CLASS = "\u3041-\u3096"
KATAKANA_CLASS = "\u30a1-\u30fa"
KANJI_CLASS = "々〇〻\u3400-\u9fff\uf900-\ufaff"
KUTEN = "。．！？"
TOTEN = "、，"
# Characters that end a sentence when splitting (a superset of KUTEN: ASCII ! and ? too, but not ".").
SENTENCE_TERMINATORS = "。．！？!?"

# One regex per class, matching maximal runs: summing run lengths is much cheaper than one match
# object per character.
_HIRAGANA_RUN = re.compile(f"[{HIRAGANA_CLASS}]+")
_KATAKANA_RUN = re.compile(f"[{KATAKANA_CLASS}]+")
_KANA_RUN = re.compile(f"[{HIRAGANA_CLASS}{KATAKANA_CLASS}]+")
_KANJI_RUN = re.compile(f"[{KANJI_CLASS}]+")
_KUTEN_RUN = re.compile(f"[{KUTEN}]+")
_TOTEN_RUN = re.compile(f"[{TOTEN}]+")

# Swallow splits each line with re.findall(r'[^。．！？!?]+[。．！？!?]?', line).  Excluding "\n" from
# the run lets one findall over the whole text return exactly the concatenation of the per-line
# results, without splitting the text into lines first.
_SENTENCE = re.compile(f"[^{SENTENCE_TERMINATORS}\\n]+[{SENTENCE_TERMINATORS}]?")
# A Swallow "paragraph" is the line's sentences joined back together.  That differs from the raw
# line only by the terminators the sentence regex skips: those at the start of a line or directly
# after another terminator.  Deleting exactly those characters yields every paragraph at once.
_STRAY_TERMINATORS = re.compile(f"(?<![^{SENTENCE_TERMINATORS}\\n])[{SENTENCE_TERMINATORS}]+")


class CharCounts(NamedTuple):
    """Per-class character counts of a text (Swallow definitions)."""

    hiragana: int
    katakana: int
    kanji: int
    kuten: int
    toten: int

    @property
    def japanese(self) -> int:
        """Swallow's ``num_japanese_letters``: all five classes together."""
        return self.hiragana + self.katakana + self.kanji + self.kuten + self.toten


def _count(run_re: re.Pattern[str], text: str) -> int:
    return sum(map(len, run_re.findall(text)))


def count_kana(text: str) -> int:
    """Hiragana + katakana (Swallow definitions); a cheap "does this look Japanese?" signal."""
    return _count(_KANA_RUN, text)


def count_char_classes(text: str) -> CharCounts:
    return CharCounts(
        hiragana=_count(_HIRAGANA_RUN, text),
        katakana=_count(_KATAKANA_RUN, text),
        kanji=_count(_KANJI_RUN, text),
        kuten=_count(_KUTEN_RUN, text),
        toten=_count(_TOTEN_RUN, text),
    )


def split_sentences(text: str) -> list[str]:
    """All sentences of ``text``, line by line, as Swallow's per-line ``re.findall`` yields them.

    A line that holds only terminators yields no sentence; a whitespace-only line is one sentence.
    """
    return _SENTENCE.findall(text)


def split_paragraphs(text: str) -> list[str]:
    """One paragraph per line (``text.split('\\n')``), each being that line's sentences joined.

    Empty lines are kept as empty paragraphs ``''`` (Swallow counts them, so blank lines are
    duplicates of each other).
    """
    return _STRAY_TERMINATORS.sub("", text).split("\n")
