"""Language per paragraph (one extracted line), so mixed pages can be measured and trimmed.

Extraction gives one paragraph per line. fastText lid.176 is reliable on a Japanese line of a few
characters but not on a short Latin one ("Home About Contact" scores 0.32 English), so short lines
are not judged alone: a run of consecutive short lines (a menu, a code block) is judged as one
block when it is long enough together, and a block still too short borrows the language of a
judged neighbour (the one before it, unless the neighbours differ and its own guess names the one
after it). A text with no block long enough is judged as a whole, as document-level language ID does.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from corpus_builder.text.langid import LanguageIdentifier


@dataclass(frozen=True)
class LineLanguage:
    lang: str
    score: float
    #: characters of the line without surrounding whitespace: what shares are measured in
    chars: int


@dataclass
class _Block:
    first: int  # index of its first line
    lines: list[str]
    chars: int
    lang: str | None = None
    score: float = 0.0


def _blocks(lines: list[str], min_chars: int) -> list[_Block]:
    """Each long line alone; consecutive short (or blank) lines together."""
    blocks: list[_Block] = []
    run: _Block | None = None
    for index, line in enumerate(lines):
        size = len(line.strip())
        if size >= min_chars:
            run = None
            blocks.append(_Block(index, [line], size))
            continue
        if run is None:
            run = _Block(index, [], 0)
            blocks.append(run)
        run.lines.append(line)
        run.chars += size
    return blocks


def _borrow(blocks: list[_Block], identifier: LanguageIdentifier) -> None:
    """Unjudged blocks take a neighbour's language: the nearest judged block before or after it.

    Between two neighbours of different languages (a Japanese paragraph, then a code block) the
    short block's own guess picks the side; when it agrees with neither, the block before wins.
    """
    judged = [i for i, block in enumerate(blocks) if block.lang is not None]
    before: int | None = None
    after_position = 0
    for index, block in enumerate(blocks):
        if block.lang is not None:
            before = index
            after_position += 1
            continue
        after = judged[after_position] if after_position < len(judged) else None
        source = blocks[before] if before is not None else blocks[after]  # type: ignore[index]
        if before is not None and after is not None and blocks[after].lang != source.lang:
            own, _ = identifier.predict(" ".join(block.lines))
            if own == blocks[after].lang:
                source = blocks[after]
        block.lang, block.score = source.lang, source.score


def line_languages(text: str, identifier: LanguageIdentifier, min_chars: int) -> list[LineLanguage]:
    """One entry per line of `text.split("\\n")`: its language, score and character count."""
    lines = text.split("\n")
    blocks = _blocks(lines, min_chars)
    for block in blocks:
        if block.chars >= min_chars:
            block.lang, block.score = identifier.predict(" ".join(block.lines))
    if all(block.lang is None for block in blocks):
        lang, score = identifier.predict(text)
        for block in blocks:
            block.lang, block.score = lang, score
    else:
        _borrow(blocks, identifier)
    result: list[LineLanguage] = []
    for block in blocks:
        assert block.lang is not None
        result.extend(LineLanguage(block.lang, block.score, len(line.strip())) for line in block.lines)
    return result


def language_shares(languages: Iterable[LineLanguage]) -> dict[str, float]:
    """Share of the text's characters per language, languages in order of first appearance."""
    chars: dict[str, int] = {}
    for line in languages:
        if line.chars:
            chars[line.lang] = chars.get(line.lang, 0) + line.chars
    total = sum(chars.values())
    return {lang: count / total for lang, count in chars.items()} if total else {}


def main_language(languages: list[LineLanguage]) -> tuple[str, float]:
    """The language with most characters (ties: the first to appear) and its character-weighted
    mean score; ("und", 0.0) when no line has a character."""
    shares = language_shares(languages)
    if not shares:
        return "und", 0.0
    lang = max(shares, key=lambda code: shares[code])  # max keeps the first of equal shares
    lines = [line for line in languages if line.lang == lang and line.chars]
    score = sum(line.score * line.chars for line in lines) / sum(line.chars for line in lines)
    return lang, min(score, 1.0)
