"""Hashed character n-gram features as a compressed sparse row batch, computed with numpy.

Characters, not words: Japanese has no spaces, and character 1-3-grams carry script, kana/kanji
mix and boilerplate patterns without a segmenter. Each n-gram is hashed from its code points by a
fixed multiply-xor mix (never Python's salted `hash`), so a model scores the same in every process.
Counts are damped (log1p) and each row is scaled to unit length, so long and short documents
weigh alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

_MIX = np.uint64(0x9E3779B97F4A7C15)
_FINAL = np.uint64(0xBF58476D1CE4E5B9)


@dataclass(frozen=True)
class FeatureSpec:
    orders: tuple[int, ...] = (1, 2, 3)
    #: a power of two, so a bucket is the hash's low bits
    dimensions: int = 1 << 18
    #: characters of a document looked at (cost bound; a page's head says most about its kind)
    max_chars: int = 20_000

    def __post_init__(self) -> None:
        if self.dimensions <= 0 or self.dimensions & (self.dimensions - 1):
            raise ValueError(f"dimensions must be a power of two, not {self.dimensions}")
        if not self.orders or min(self.orders) < 1:
            raise ValueError(f"n-gram orders must be positive, not {self.orders}")


@dataclass(frozen=True)
class SparseRows:
    """Rows i hold `indices[indptr[i]:indptr[i+1]]` with `values[...]` (scipy's CSR layout)."""

    indptr: np.ndarray  # int64, length rows + 1
    indices: np.ndarray  # int64 buckets
    values: np.ndarray  # float64

    @property
    def rows(self) -> int:
        return len(self.indptr) - 1

    def row_ids(self) -> np.ndarray:
        return np.repeat(np.arange(self.rows), np.diff(self.indptr))

    def dot(self, weights: np.ndarray) -> np.ndarray:
        """Each row's dot product with `weights`."""
        products = self.values * weights[self.indices]
        return np.bincount(self.row_ids(), weights=products, minlength=self.rows)

    def transposed_dot(self, per_row: np.ndarray, dimensions: int) -> np.ndarray:
        """Σ_i per_row[i] · row_i, the gradient's shape."""
        weights = self.values * per_row[self.row_ids()]
        return np.bincount(self.indices, weights=weights, minlength=dimensions)


def _buckets(text: str, spec: FeatureSpec) -> np.ndarray:
    normalised = " ".join(text[: spec.max_chars].split())
    codes = np.frombuffer(normalised.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    mask = np.uint64(spec.dimensions - 1)
    parts = []
    for n in spec.orders:
        count = len(codes) - n + 1
        if count <= 0:
            continue
        mixed = np.full(count, np.uint64(n), dtype=np.uint64)
        for k in range(n):
            mixed = (mixed ^ codes[k : k + count]) * _MIX
        mixed ^= mixed >> np.uint64(31)
        mixed *= _FINAL
        mixed ^= mixed >> np.uint64(29)
        parts.append(mixed & mask)
    return np.concatenate(parts) if parts else np.empty(0, dtype=np.uint64)


def featurize(texts: Iterable[str], spec: FeatureSpec) -> SparseRows:
    indptr = [0]
    all_indices: list[np.ndarray] = []
    all_values: list[np.ndarray] = []
    for text in texts:
        buckets, counts = np.unique(_buckets(text, spec), return_counts=True)
        values = np.log1p(counts.astype(np.float64))
        norm = np.sqrt(np.dot(values, values))
        all_indices.append(buckets.astype(np.int64))
        all_values.append(values / norm if norm else values)
        indptr.append(indptr[-1] + len(buckets))
    if not all_indices:
        return SparseRows(np.zeros(1, np.int64), np.empty(0, np.int64), np.empty(0, np.float64))
    return SparseRows(np.asarray(indptr, np.int64), np.concatenate(all_indices), np.concatenate(all_values))


def take_rows(rows: SparseRows, selected: Sequence[int] | np.ndarray) -> SparseRows:
    """The given rows, in the given order."""
    starts, ends = rows.indptr[:-1][selected], rows.indptr[1:][selected]
    lengths = ends - starts
    indptr = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    # the k-th stored entry of the new layout is entry (k - new start) of its row in the old one
    positions = np.repeat(starts - indptr[:-1], lengths) + np.arange(indptr[-1], dtype=np.int64)
    return SparseRows(indptr, rows.indices[positions], rows.values[positions])
