"""Fast Japanese word tokenizers, one instance per process (worker), chosen by name.

* ``fugashi`` — MeCab via fugashi with the ``unidic-lite`` dictionary (``pip install fugashi
  unidic-lite``); faster than datatrove's default Japanese path (spaCy + SudachiPy):
  ``python bench/filters.py``.
* ``sudachi`` — SudachiPy (mode C by default) with ``sudachidict-core``, without spaCy.
* ``script`` — no dependency: runs of one script (kanji / hiragana / katakana / Latin+digits),
  every other non-space character on its own.  A crude segmentation, for when no analyser is
  installed; its word statistics are NOT comparable with an analyser's.

``DatatroveWordTokenizer`` wraps any of them as a datatrove ``WordTokenizer`` so that datatrove's
own filters (``GopherQualityFilter(language=...)``) can run on it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache

TOKENIZER_NAMES = ("fugashi", "sudachi", "script")

_SCRIPT_TOKEN = re.compile(
    r"[\u3400-\u9fff\uf900-\ufaff々〇〻]+|[\u3041-\u309f]+|[\u30a0-\u30ff\uff66-\uff9f]+|[A-Za-z0-9\uff10-\uff19\uff21-\uff3a\uff41-\uff5a_']+|\S"
)


def _script_words(text: str) -> list[str]:
    return _SCRIPT_TOKEN.findall(text)


class JapaneseTokenizer:
    """``words(text)`` (surface forms without whitespace) and ``pos1(text)`` (coarse POS, or None)."""

    def __init__(self, name: str = "fugashi", sudachi_mode: str = "C") -> None:
        if name not in TOKENIZER_NAMES:
            raise ValueError(f"unknown Japanese tokenizer {name!r}; choose one of {TOKENIZER_NAMES}")
        self.name = name
        self._words: Callable[[str], list[str]]
        self._pos: Callable[[str], list[str]] | None = None
        if name == "fugashi":
            try:
                import fugashi
            except ImportError as exc:  # pragma: no cover - depends on the environment
                raise ImportError("tokenizer 'fugashi' needs: pip install fugashi unidic-lite") from exc
            tagger = fugashi.Tagger()
            self._tagger = tagger

            def words(text: str) -> list[str]:
                return [w.surface for w in tagger(text) if w.surface.strip()]

            def pos(text: str) -> list[str]:
                return [w.feature.pos1 for w in tagger(text)]

            self._words, self._pos = words, pos
        elif name == "sudachi":
            try:
                from sudachipy import Dictionary, SplitMode
            except ImportError as exc:  # pragma: no cover
                raise ImportError(
                    "tokenizer 'sudachi' needs: pip install sudachipy sudachidict-core"
                ) from exc
            sudachi = Dictionary().create()
            mode = getattr(SplitMode, sudachi_mode)

            def words(text: str) -> list[str]:
                out: list[str] = []
                # SudachiPy refuses inputs over ~49,149 bytes: tokenise line by line.
                for line in text.split("\n"):
                    if line.strip():
                        out.extend(m.surface() for m in sudachi.tokenize(line, mode) if m.surface().strip())
                return out

            def pos(text: str) -> list[str]:
                out: list[str] = []
                for line in text.split("\n"):
                    if line.strip():
                        out.extend(m.part_of_speech()[0] for m in sudachi.tokenize(line, mode))
                return out

            self._words, self._pos = words, pos
        else:
            self._words = _script_words

    def words(self, text: str) -> list[str]:
        return self._words(text) if text else []

    def pos1(self, text: str) -> list[str] | None:
        """Coarse POS per token (UniDic/Sudachi ``名詞``, ``補助記号``...); None without analyser."""
        if self._pos is None:
            return None
        return self._pos(text) if text else []


@cache
def get_tokenizer(name: str = "fugashi") -> JapaneseTokenizer:
    """The process-wide tokenizer of that name (built once per worker)."""
    return JapaneseTokenizer(name)
