"""Scan one document against a DecontaminationIndex: which items does it contain, and where.

An item is found in a document when at least its `required` number of distinct n-grams occur in the
document (index.py: all of them for items with few n-grams or shorter than n, else `min_share` of
them). N-grams run across line and paragraph breaks (line breaks are dropped for characters and only
separate words), so an item re-wrapped over several lines, or spread over a question paragraph and a
choices paragraph, is still found.

Each match carries the paragraph spans (character offsets into the original text, end exclusive) of
every paragraph that holds one of the item's matched n-grams, so a caller can drop the document or
cut those paragraphs (`remove_spans`). A paragraph is a line by default: the project's extracted text
has one paragraph per line; `paragraphs="blank_line"` takes blocks of lines between blank lines.

Cost: documents touching no item take the fast path: normalisation, the window hashes (a few numpy
passes) and one `searchsorted` per n-gram; the per-item work only runs for documents with hits.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

import numpy as np

from corpus_builder.decontaminate.index import SCHEMES, DecontaminationIndex
from corpus_builder.decontaminate.ngrams import (
    code_point_values,
    code_points,
    window_hashes,
    word_unit_values,
)
from corpus_builder.decontaminate.normalize import char_units, fold, word_tokens

ParagraphMode = Literal["line", "blank_line"]


@dataclass(frozen=True)
class ItemMatch:
    set_name: str
    item_id: str
    share: float  # matched / grams
    matched: int
    grams: int
    spans: tuple[tuple[int, int], ...]  # paragraphs holding the matched n-grams, in text order


@dataclass(frozen=True)
class _Hits:
    """The windows of one length, in one unit kind, whose hash is an index key."""

    scheme: str
    length: int
    starts: np.ndarray  # unit positions
    hashes: np.ndarray


class Matcher:
    def __init__(self, index: DecontaminationIndex, paragraphs: ParagraphMode = "line") -> None:
        if paragraphs not in ("line", "blank_line"):
            raise ValueError(f"paragraphs must be 'line' or 'blank_line', not {paragraphs!r}")
        self.index = index
        self.paragraphs = paragraphs
        self._active = [scheme for scheme in SCHEMES if index.schemes[scheme].keys.size]

    def scan(self, text: str) -> list[ItemMatch]:
        """The items found in `text`, ordered by set then item as they were indexed."""
        if not self._active:
            return []
        folded = fold(text)
        hits: list[_Hits] = []
        unit_lines: dict[str, np.ndarray] = {}
        for scheme in self._active:
            units, unit_lines[scheme] = _units(folded, scheme)
            index = self.index.schemes[scheme]
            for length, hashes in window_hashes(units, index.lengths).items():
                mask = index.contains(hashes)
                if mask.any():
                    hits.append(_Hits(scheme, length, np.flatnonzero(mask), hashes[mask]))
        if not hits:
            return []
        entry_hashes, entry_items = self._entries(hits)
        items, matched = np.unique(entry_items, return_counts=True)
        found = matched >= self.index.item_required[items]
        if not found.any():
            return []
        spans_of_line = _paragraph_spans(text, self.paragraphs)
        matches = []
        for item, count in zip(items[found].tolist(), matched[found].tolist(), strict=True):
            item_hashes = entry_hashes[entry_items == item]
            lines = _lines_holding(hits, unit_lines, item_hashes)
            grams = int(self.index.item_grams[item])
            matches.append(
                ItemMatch(
                    set_name=self.index.set_names[self.index.item_sets[item]],
                    item_id=self.index.item_ids[item],
                    share=count / grams,
                    matched=count,
                    grams=grams,
                    spans=tuple(sorted({spans_of_line[line] for line in lines})),
                )
            )
        return matches

    def _entries(self, hits: list[_Hits]) -> tuple[np.ndarray, np.ndarray]:
        """(hash, item) of every index entry a distinct hit hash belongs to, over both unit kinds."""
        hashes, items = [], []
        for scheme in self._active:
            distinct = [hit.hashes for hit in hits if hit.scheme == scheme]
            if distinct:
                found_hashes, found_items = self.index.schemes[scheme].entries_for(
                    np.unique(np.concatenate(distinct))
                )
                hashes.append(found_hashes)
                items.append(found_items)
        return np.concatenate(hashes), np.concatenate(items)


def _units(folded: str, scheme: str) -> tuple[np.ndarray, np.ndarray]:
    """(unit values, the 0-based line of each unit) of a folded document."""
    if scheme == "chars":
        codes = code_points(char_units(folded))
        newline = codes == 10
        return code_point_values(codes[~newline]), np.cumsum(newline)[~newline]
    tokens = word_tokens(folded)
    newline = np.fromiter((token == "\n" for token in tokens), dtype=bool, count=len(tokens))
    words = [token for token in tokens if token != "\n"]
    return word_unit_values(words), np.cumsum(newline)[~newline]


def _lines_holding(hits: list[_Hits], unit_lines: dict[str, np.ndarray], item_hashes: np.ndarray) -> set[int]:
    """The lines any window of the item's matched hashes touches (a window may span several lines)."""
    lines: set[int] = set()
    for hit in hits:
        starts = hit.starts[np.isin(hit.hashes, item_hashes)]
        if starts.size == 0:
            continue
        first = unit_lines[hit.scheme][starts]
        last = unit_lines[hit.scheme][starts + hit.length - 1]
        for begin, end in zip(first.tolist(), last.tolist(), strict=True):
            lines.update(range(begin, end + 1))
    return lines


def _paragraph_spans(text: str, mode: ParagraphMode) -> list[tuple[int, int]]:
    """For each line of `text` (split at "\\n"), the (start, end) of the paragraph holding it."""
    spans, start = [], 0
    for line in text.split("\n"):
        spans.append((start, start + len(line)))
        start += len(line) + 1
    if mode == "line":
        return spans
    blank = [not text[a:b].strip() for a, b in spans]
    result = list(spans)
    index = 0
    while index < len(spans):
        if blank[index]:
            index += 1
            continue
        end = index
        while end + 1 < len(spans) and not blank[end + 1]:
            end += 1
        block = (spans[index][0], spans[end][1])
        result[index : end + 1] = [block] * (end + 1 - index)
        index = end + 1
    return result


def matched_spans(matches: Iterable[ItemMatch]) -> list[tuple[int, int]]:
    """The union of the matches' paragraph spans, sorted."""
    return sorted({span for match in matches for span in match.spans})


def remove_spans(text: str, spans: Iterable[tuple[int, int]]) -> str:
    """`text` without the given paragraph spans and the line break ending each (no blank lines left)."""
    pieces, position = [], 0
    for start, end in sorted(set(spans)):
        if start < position:
            continue  # inside a span already removed (a block also listed line by line)
        pieces.append(text[position:start])
        position = end + 1 if text[end : end + 1] == "\n" else end
    pieces.append(text[position:])
    return "".join(pieces)
