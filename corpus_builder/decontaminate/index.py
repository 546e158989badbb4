"""The index of every evaluation item's n-grams, in sorted numpy arrays.

Per unit kind ("chars" for CJK items, "words" for the rest) one `SchemeIndex`: `keys`, the 64-bit
n-gram hashes (ngrams.py) sorted ascending, and `items`, the uint32 number of the item holding each
one, sorted by item within equal keys. An n-gram shared by k items is k entries. So the index costs
**12 bytes per (n-gram, item) entry** (8 + 4) plus a prefilter bitmap of 2-4 bytes per entry, i.e. at
most 16 bytes per entry (`MAX_BYTES_PER_ENTRY`; a 1 KB bitmap floor for tiny indexes); the item table
adds per item, not per n-gram. A lookup is a bitmap test, then a binary search (`np.searchsorted`)
for the n-grams that pass; no Python object per n-gram exists.

Which n-grams an item contributes (the short-item rule):

* an item of at least n units: its distinct n-grams;
* an item shorter than n units but at least `min_units`: one gram, the whole item (GPT-3's rule for
  examples shorter than the n-gram: they count as found only when the whole example overlaps);
* shorter than `min_units`: not indexed (counted as `too_short` in the set's stats): such a string
  (a bare answer like ``富士山``) occurs in innocent text all the time.

An n-gram held by more than `max_items_per_gram` items of all sets is dropped from the index and from
those items' counts: it is template text ("次のうち正しいものを選べ") and would make every document
that quotes the template touch thousands of items. Items left with no n-gram are counted as
`only_common`.

How many of its n-grams an item needs in one document (`required`): all of them when it has fewer
than `whole_item_grams`, else ceil(min_share x count). The build is deterministic: items are numbered
in the order they were added and ties in the sort are broken by item number.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Literal

import numpy as np
import xxhash

from corpus_builder.decontaminate.eval_items import EvalItem
from corpus_builder.decontaminate.ngrams import char_unit_values, distinct_hashes, word_unit_values
from corpus_builder.decontaminate.normalize import is_cjk_text, normalize_chars, normalize_words

SCHEMES = ("chars", "words")
UnitChoice = Literal["auto", "chars", "words"]
BYTES_PER_ENTRY = 12  # keys + items
MAX_BYTES_PER_ENTRY = 16  # with the bitmap
_NEVER = np.iinfo(np.uint32).max  # `required` of an item left without n-grams: it cannot match
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # the earliest a zip entry can carry
_CHUNK = 1 << 20  # keys per step when the bitmap is filled, so the temporaries stay small

# The character n for CJK text, chosen by measurement (`python -m bench.decontamination --sections ngram`):
# 9,867 sentences of half the articles of jawiki-truncated-100k (none occurring in the other half after
# normalisation) + 13 written quiz items, against the other half's 87 articles (564k characters):
#
#    n | item n-grams found | items with any n-gram found | items found (share >= 0.5) | 1 char in 40 edited
#    5 |      18.45%        |          95.58%             |        79 / 9880           |   13 / 13
#    8 |       2.54%        |          36.03%             |        44 / 9880           |   13 / 13
#   10 |       0.87%        |          11.56%             |        36 / 9880           |   11 / 13
#   12 |       0.41%        |           3.19%             |        22 / 9880           |   11 / 13
#   13 |       0.32%        |           1.98%             |        17 / 9880           |   11 / 13
#   15 |       0.24%        |           1.07%             |        12 / 9880           |   11 / 13
#   20 |       0.14%        |           0.48%             |         8 / 9880           |    9 / 13
#
# At n <= 10 items are "found" in documents that only share a sentence template with them
# ("静岡県（しずおかけん）は、日本の中部地方に位置する県。" in the article on 石川県); at 13 the items found
# are near-copies holding at least half the item's characters in order (Wikipedia's prefecture
# articles reuse whole sentences with one word changed), and a one-in-40 edit keeps the same recall as
# at 10; at 20 light edits cost recall. So 13, where the n-gram false-hit rate has flattened out.
DEFAULT_CHAR_N = 13
# Brown et al. 2020 (GPT-3), appendix C; also EleutherAI's lm-evaluation-harness decontamination.
DEFAULT_WORD_N = 13


@dataclass(frozen=True)
class NgramSettings:
    char_n: int = DEFAULT_CHAR_N
    word_n: int = DEFAULT_WORD_N
    # items with fewer units are not indexed (GPT-3 used no N below 8 words: spurious collisions)
    min_char_units: int = 10
    min_word_units: int = 8
    whole_item_grams: int = 3
    max_items_per_gram: int = 50

    def n(self, scheme: str) -> int:
        return self.char_n if scheme == "chars" else self.word_n

    def min_units(self, scheme: str) -> int:
        return self.min_char_units if scheme == "chars" else self.min_word_units


@dataclass
class SetStats:
    name: str
    items: int = 0
    indexed: int = 0
    too_short: int = 0
    only_common: int = 0
    chars_items: int = 0
    words_items: int = 0
    entries: int = 0


def item_units(text: str, scheme: str) -> np.ndarray:
    """The unit values (ngrams.py) of `text` under `scheme` ("chars" or "words")."""
    if scheme == "chars":
        return char_unit_values(normalize_chars(text))
    return word_unit_values(normalize_words(text))


class SchemeIndex:
    """The sorted n-gram hashes of one unit kind, with a bitmap in front of them.

    The bitmap has one bit per value of a hash's top bits, at least 16 bits per entry (rounded up to a
    power of two, so 2-4 bytes per entry): a document n-gram whose bit is clear cannot be a key, which
    settles ~94% or more of a clean document's n-grams with one access to a small array instead of a
    binary search over the whole key array (the binary search was 45% of the scan time without it).
    """

    def __init__(self, n: int, keys: np.ndarray, items: np.ndarray, lengths: frozenset[int]) -> None:
        self.n = n
        self.keys = keys  # uint64, ascending
        self.items = items  # uint32, the item of each key
        self.lengths = lengths  # window lengths a document is hashed at: n and the short items'
        bits = max(13, int(np.ceil(np.log2(max(keys.size, 1) * 16))))
        self._shift = np.uint64(64 - bits)
        self._bitmap = np.zeros((1 << bits) // 8, dtype=np.uint8)
        for start in range(0, keys.size, _CHUNK):  # in chunks: the temporaries stay small
            slots = (keys[start : start + _CHUNK] >> self._shift).astype(np.int64)
            np.bitwise_or.at(self._bitmap, slots >> 3, np.left_shift(1, slots & 7).astype(np.uint8))

    @property
    def nbytes(self) -> int:
        return self.keys.nbytes + self.items.nbytes + self._bitmap.nbytes

    def entries_for(self, hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(hash, item) for every index entry whose key is one of the distinct `hashes`."""
        left = np.searchsorted(self.keys, hashes, side="left")
        right = np.searchsorted(self.keys, hashes, side="right")
        counts = right - left
        total = int(counts.sum())
        if total == 0:
            return np.empty(0, np.uint64), np.empty(0, np.uint32)
        starts = np.repeat(left - (np.cumsum(counts) - counts), counts)
        positions = starts + np.arange(total)
        return np.repeat(hashes, counts), self.items[positions]

    def contains(self, hashes: np.ndarray) -> np.ndarray:
        """Boolean mask: which of `hashes` (any order, repeats allowed) are keys."""
        result = np.zeros(hashes.shape, dtype=bool)
        if self.keys.size == 0 or hashes.size == 0:
            return result
        slots = (hashes >> self._shift).astype(np.int64)
        maybe = np.flatnonzero((self._bitmap[slots >> 3] >> (slots & 7).astype(np.uint8)) & 1)
        if maybe.size:
            candidates = hashes[maybe]
            at = np.minimum(np.searchsorted(self.keys, candidates), self.keys.size - 1)
            result[maybe] = self.keys[at] == candidates
        return result


@dataclass
class DecontaminationIndex:
    settings: NgramSettings
    set_names: list[str]
    item_sets: np.ndarray  # uint16: index into set_names
    item_ids: list[str]
    item_grams: np.ndarray  # uint32: distinct n-grams kept per item
    item_required: np.ndarray  # uint32: how many must occur in one document
    schemes: dict[str, SchemeIndex]
    stats: dict[str, SetStats] = field(default_factory=dict)

    @property
    def entries(self) -> int:
        return sum(index.keys.size for index in self.schemes.values())

    def nbytes(self) -> int:
        """Bytes of the n-gram arrays, their bitmaps and the per-item arrays (item id strings not counted)."""
        arrays = [self.item_sets, self.item_grams, self.item_required]
        return sum(a.nbytes for a in arrays) + sum(index.nbytes for index in self.schemes.values())

    def fingerprint(self) -> str:
        """A digest of everything that decides a match: part of a run's identity (resume safety)."""
        digest = xxhash.xxh3_128()
        digest.update(json.dumps([asdict(self.settings), self.set_names, self.item_ids]).encode())
        for array in (self.item_sets, self.item_grams, self.item_required):
            digest.update(array.tobytes())
        for scheme in SCHEMES:
            index = self.schemes[scheme]
            digest.update(f"{scheme}:{index.n}:{sorted(index.lengths)}".encode())
            digest.update(index.keys.tobytes())
            digest.update(index.items.tobytes())
        return digest.hexdigest()

    def save(self, path: Path) -> None:
        with path.open("wb") as handle:
            self.write(handle)

    def write(self, handle: IO[bytes]) -> None:
        """The index as an .npz archive (`load` reads it). Byte-identical for the same index: the zip
        entries carry a fixed date, where `np.savez` would stamp the current time."""
        meta = {
            "settings": asdict(self.settings),
            "set_names": self.set_names,
            "item_ids": self.item_ids,
            "lengths": {scheme: sorted(index.lengths) for scheme, index in self.schemes.items()},
            "stats": {name: asdict(stats) for name, stats in self.stats.items()},
        }
        arrays = {
            "meta": np.frombuffer(json.dumps(meta, ensure_ascii=False).encode(), dtype=np.uint8),
            "item_sets": self.item_sets,
            "item_grams": self.item_grams,
            "item_required": self.item_required,
        }
        for scheme, index in self.schemes.items():
            arrays[f"{scheme}_keys"] = index.keys
            arrays[f"{scheme}_items"] = index.items
        with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_STORED) as archive:
            for name, array in arrays.items():
                entry = zipfile.ZipInfo(f"{name}.npy", date_time=_ZIP_DATE)
                with archive.open(entry, "w", force_zip64=True) as member:
                    np.lib.format.write_array(member, np.ascontiguousarray(array), allow_pickle=False)

    @classmethod
    def load(cls, path: Path | IO[bytes]) -> DecontaminationIndex:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(data["meta"].tobytes().decode())
            settings = NgramSettings(**meta["settings"])
            schemes = {
                scheme: SchemeIndex(
                    settings.n(scheme),
                    data[f"{scheme}_keys"],
                    data[f"{scheme}_items"],
                    frozenset(meta["lengths"][scheme]),
                )
                for scheme in SCHEMES
            }
            return cls(
                settings,
                meta["set_names"],
                data["item_sets"],
                meta["item_ids"],
                data["item_grams"],
                data["item_required"],
                schemes,
                {name: SetStats(**values) for name, values in meta["stats"].items()},
            )


class IndexBuilder:
    """Collects the items of one or more sets, then `build()` sorts them into a DecontaminationIndex
    (once: building releases the collected arrays)."""

    def __init__(self, settings: NgramSettings | None = None) -> None:
        self.settings = settings or NgramSettings()
        self._set_names: list[str] = []
        self._item_sets: list[int] = []
        self._item_ids: list[str] = []
        self._item_share: list[float] = []
        self._hashes: dict[str, list[np.ndarray]] = {scheme: [] for scheme in SCHEMES}
        self._owners: dict[str, list[int]] = {scheme: [] for scheme in SCHEMES}
        self._lengths: dict[str, set[int]] = {scheme: {self.settings.n(scheme)} for scheme in SCHEMES}
        self._stats: dict[str, SetStats] = {}
        self._built = False

    def add_set(
        self, name: str, items: Iterable[EvalItem], units: UnitChoice = "auto", min_share: float = 0.5
    ) -> SetStats:
        if self._built:
            raise RuntimeError("the index was built already; start a new IndexBuilder")
        if name in self._stats:
            raise ValueError(f"evaluation set {name!r} added twice")
        if not 0 < min_share <= 1:
            raise ValueError(f"{name}: min_share must be in (0, 1], not {min_share}")
        stats = self._stats[name] = SetStats(name)
        set_number = len(self._set_names)
        self._set_names.append(name)
        for item in items:
            stats.items += 1
            scheme = units if units != "auto" else ("chars" if is_cjk_text(item.text) else "words")
            hashes = self._item_hashes(item.text, scheme)
            if hashes is None:
                stats.too_short += 1
                continue
            number = len(self._item_ids)
            self._item_ids.append(item.item_id)
            self._item_sets.append(set_number)
            self._item_share.append(min_share)
            self._hashes[scheme].append(hashes)
            self._owners[scheme].append(number)
            stats.indexed += 1
            setattr(stats, f"{scheme}_items", getattr(stats, f"{scheme}_items") + 1)
        return stats

    def _item_hashes(self, text: str, scheme: str) -> np.ndarray | None:
        units = item_units(text, scheme)
        if units.size < self.settings.min_units(scheme):
            return None
        length = min(units.size, self.settings.n(scheme))
        self._lengths[scheme].add(length)
        return distinct_hashes(units, length)

    def build(self) -> DecontaminationIndex:
        if self._built:
            raise RuntimeError("IndexBuilder.build() runs once: it hands its arrays over to the index")
        self._built = True
        item_count = len(self._item_ids)
        grams = np.zeros(item_count, dtype=np.uint32)
        schemes = {}
        for scheme in SCHEMES:
            schemes[scheme] = self._build_scheme(scheme)
            grams += np.bincount(schemes[scheme].items, minlength=item_count).astype(np.uint32)
        shares = np.asarray(self._item_share, dtype=np.float64)
        # the epsilon keeps 0.5 x 10 at 5, not 6, whatever the float rounding
        by_share = np.ceil(shares * grams - 1e-9).astype(np.uint32)
        required = np.where(grams < self.settings.whole_item_grams, grams, np.maximum(by_share, 1))
        required = np.where(grams == 0, _NEVER, required).astype(np.uint32)
        item_sets = np.asarray(self._item_sets, dtype=np.uint16)
        for number in np.flatnonzero(grams == 0):
            self._stats[self._set_names[item_sets[number]]].only_common += 1
        for set_number, name in enumerate(self._set_names):
            self._stats[name].entries = int(grams[item_sets == set_number].sum())
        return DecontaminationIndex(
            self.settings,
            list(self._set_names),
            item_sets,
            list(self._item_ids),
            grams,
            required,
            schemes,
            dict(self._stats),
        )

    def _build_scheme(self, scheme: str) -> SchemeIndex:
        """Sort one unit kind's entries; the builder's per-item arrays are released on the way, so the
        peak is ~28 bytes per entry (keys, items, the sort order and the sorted keys at once)."""
        n, lengths = self.settings.n(scheme), frozenset(self._lengths[scheme])
        if not self._hashes[scheme]:
            return SchemeIndex(n, np.empty(0, np.uint64), np.empty(0, np.uint32), lengths)
        sizes = [hashes.size for hashes in self._hashes[scheme]]
        keys = np.concatenate(self._hashes[scheme])
        self._hashes[scheme] = []
        items = np.repeat(np.asarray(self._owners[scheme], dtype=np.uint32), sizes)
        # items were added in increasing number, so a stable sort by key breaks ties by item
        order = np.argsort(keys, kind="stable")
        keys = keys[order]
        items = items[order]
        del order
        common = self._common(keys)
        if common is not None:
            keys, items = keys[~common], items[~common]
        return SchemeIndex(n, keys, items, lengths)

    def _common(self, keys: np.ndarray) -> np.ndarray | None:
        """Mask of the entries whose key more than `max_items_per_gram` items hold, or None."""
        limit = self.settings.max_items_per_gram
        if keys.size <= limit:
            return None
        # sorted keys: a key held by more than `limit` items equals the key `limit` places further on
        repeated = keys[limit:] == keys[:-limit]
        if not repeated.any():
            return None
        common_keys = np.unique(keys[limit:][repeated])
        mask = np.zeros(keys.size, dtype=bool)
        left = np.searchsorted(keys, common_keys, side="left")
        right = np.searchsorted(keys, common_keys, side="right")
        for start, end in zip(left.tolist(), right.tolist(), strict=True):
            mask[start:end] = True
        return mask


def build_index(
    sets: Iterable[tuple[str, Iterable[EvalItem]]],
    settings: NgramSettings | None = None,
    min_share: float = 0.5,
) -> DecontaminationIndex:
    """Convenience: one index over (name, items) pairs, all with the same options."""
    builder = IndexBuilder(settings)
    for name, items in sets:
        builder.add_set(name, items, min_share=min_share)
    return builder.build()


__all__ = [
    "BYTES_PER_ENTRY",
    "MAX_BYTES_PER_ENTRY",
    "DEFAULT_CHAR_N",
    "DEFAULT_WORD_N",
    "DecontaminationIndex",
    "IndexBuilder",
    "NgramSettings",
    "SchemeIndex",
    "SetStats",
    "build_index",
    "item_units",
]
