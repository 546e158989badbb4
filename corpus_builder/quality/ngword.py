"""NG-word matching and the Swallow corpus v1 NG-word ratio (``ngword.apply_v1`` semantics).

Matching is greedy, left to right, longest match first, case-sensitive and non-overlapping, over
the raw text: exactly what a scan with a trie does.  The trie is compiled into one regular
expression (shared prefixes factored out, longer continuations tried first), so the scan runs in
the regex engine's C loop; at any position the longest word of the list that starts there wins,
and the scan resumes after it.

``ng_fraction`` = (letters covered by matches) / (Japanese letters, Swallow definition); a text
with no Japanese letter has ``ng_fraction`` 0 and always passes (as in Swallow).

:class:`ListOrderMatcher` is HojiChar's keyword matching instead (what LLM-jp's filters count
with): at each position the *first listed* word that matches wins, not the longest.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path

from corpus_builder.quality.clean import WORDLISTS_DIR, read_wordlist
from corpus_builder.text.ja import count_char_classes

DEFAULT_NG_WORDLIST = WORDLISTS_DIR / "ng_ja.txt"

_END = ""  # trie key marking "a word ends here"


def _trie_pattern(words: Iterable[str]) -> str:
    trie: dict = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[_END] = {}

    def build(node: dict) -> str:
        terminal = _END in node
        branches = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch != _END]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if terminal:
            # Greedy optional: a longer word is tried first, the shorter one is the fallback.
            return f"(?:{body})?"
        return body if len(branches) == 1 else body

    return build(trie)


class WordMatcher:
    """Greedy left-to-right longest non-overlapping matching of a fixed word list."""

    def __init__(self, words: Iterable[str]) -> None:
        self.words = tuple(dict.fromkeys(w for w in words if w))
        self._regex = re.compile(_trie_pattern(self.words)) if self.words else None

    def find(self, text: str) -> list[str]:
        return self._regex.findall(text) if self._regex is not None else []

    def count(self, text: str) -> int:
        return len(self.find(text))

    def matched_letters(self, text: str) -> int:
        return sum(map(len, self.find(text)))


# HojiChar NgWordsFilterJa (v0.9.0, hojichar/filters/document_filters.py): the katakana class of
# its ``ignore_confused`` option.
_KATAKANA_WORD = re.compile("[ァ-ヴー]+")
_KATAKANA_CHARS = frozenset(chr(c) for c in range(ord("ァ"), ord("ヴ") + 1)) | {"ー"}


class ListOrderMatcher:
    """HojiChar's keyword matching (NgWordsFilterJa, DiscardAds at v0.9.0): one regular expression
    alternating the words in list order, scanned left to right without overlaps, so at a position
    the first listed word that matches wins (``["a", "ab", "bc"]`` finds 2 words in ``"abc"``;
    :class:`WordMatcher` finds 1).

    ``isolate_katakana`` is HojiChar's ``ignore_confused``, which LLM-jp turns on for its adult /
    discrimination / violence lists: a word made only of ``[ァ-ヴー]`` counts only when no such
    character touches it on either side, and these words are tried after all the others.  Unlike
    HojiChar, an empty group is left out: HojiChar builds an empty alternative when a list has no
    katakana word (or only katakana words) and then counts a match at almost every position.

    Same counts as that alternation, faster on long lists (`python -m bench.implementation_choices`):
    the trie finds
    the longest word starting at each position; every word matching there is a prefix of it, so
    the alternation's choice is the first (by list rank) valid word among those prefixes.
    """

    def __init__(self, words: Iterable[str], isolate_katakana: bool = False) -> None:
        self.words = tuple(dict.fromkeys(w for w in words if w))
        self._katakana = frozenset(w for w in self.words if isolate_katakana and _KATAKANA_WORD.fullmatch(w))
        # the alternation's order: the other words, then the katakana group, each in list order
        order = [w for w in self.words if w not in self._katakana]
        order += [w for w in self.words if w in self._katakana]
        rank = {w: i for i, w in enumerate(order)}
        self._choices = {
            w: sorted((w[:k] for k in range(1, len(w) + 1) if w[:k] in rank), key=rank.__getitem__)
            for w in self.words
        }
        self._regex = re.compile(_trie_pattern(self.words)) if self.words else None

    def _isolated(self, text: str, start: int, end: int) -> bool:
        return (start == 0 or text[start - 1] not in _KATAKANA_CHARS) and (
            end == len(text) or text[end] not in _KATAKANA_CHARS
        )

    def count(self, text: str) -> int:
        if self._regex is None:
            return 0
        count = position = 0
        search = self._regex.search
        while match := search(text, position):
            start = match.start()
            position = start + 1  # no valid word here: the next start is searched from start + 1
            for word in self._choices[match.group()]:
                if word in self._katakana and not self._isolated(text, start, start + len(word)):
                    continue
                count += 1
                position = start + len(word)
                break
        return count


@cache
def load_list_order_matcher(path: str, isolate_katakana: bool = False) -> ListOrderMatcher:
    """A :class:`ListOrderMatcher` over a word-list file, cached per process (one per worker)."""
    return ListOrderMatcher(read_wordlist(path), isolate_katakana)


@cache
def load_matcher(path: str) -> WordMatcher:
    """A matcher over a word-list file, cached per process (one per worker)."""
    return WordMatcher(read_wordlist(path))


def make_ngword_signals(wordlist_path: str | Path = DEFAULT_NG_WORDLIST) -> Callable[[str], dict[str, float]]:
    """Signal function: ``ng_letters`` and ``ng_fraction`` for one NG-word list."""
    matcher = load_matcher(str(wordlist_path))

    def ngword_signals(text: str) -> dict[str, float]:
        letters = matcher.matched_letters(text)
        japanese = count_char_classes(text).japanese if letters else 0
        return {
            "ng_letters": float(letters),
            "ng_fraction": letters / japanese if japanese else 0.0,
        }

    return ngword_signals
