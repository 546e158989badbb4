"""The priority key: one uint64 per document that says which copy of a duplicate cluster is kept.

Bits (smaller key = kept): 63 new document (0 for documents of an earlier run's index, so they
always win), 58-62 source rank (`DedupConfig.source_rank`: by name or kind in `source_priority`
order, unlisted sources last; recorded per source name in plan.json), 46-57 snapshot rank (newest
first; no snapshot last), 24-45 input file index (sorted paths), 0-23 row.

The key is also the graph node id, so the component minimum that star contraction finds *is* the
representative, and arrival order never matters.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from corpus_builder.config.dedup import MAX_SOURCE_RANKS

ROW_BITS, FILE_BITS, SNAP_BITS, SRC_BITS = 24, 22, 12, 5
MAX_ROWS, MAX_FILES, MAX_SNAPSHOTS = 1 << ROW_BITS, 1 << FILE_BITS, (1 << SNAP_BITS) - 1
FILE_SHIFT, SNAP_SHIFT, SRC_SHIFT, NEW_SHIFT = 24, 46, 58, 63


def priority_keys(
    sources: list[str],
    snapshots: list[str | None],
    file_index: int,
    new: bool,
    source_rank: Mapping[str, int],
    snapshot_rank: dict[str, int],
) -> np.ndarray:
    """The keys of one file's rows, in row order."""
    no_snapshot = len(snapshot_rank)
    n = len(sources)
    src = np.fromiter((source_rank[s] for s in sources), dtype=np.uint64, count=n)
    snap = np.fromiter(
        (no_snapshot if s is None else snapshot_rank[s] for s in snapshots), dtype=np.uint64, count=n
    )
    assert all(r <= MAX_SOURCE_RANKS for r in source_rank.values()) and no_snapshot <= MAX_SNAPSHOTS
    key = (np.uint64(1 if new else 0) << np.uint64(NEW_SHIFT)) | (src << np.uint64(SRC_SHIFT))
    key |= snap << np.uint64(SNAP_SHIFT)
    key |= np.uint64(file_index) << np.uint64(FILE_SHIFT)
    return key | np.arange(n, dtype=np.uint64)


def file_index_of(keys: np.ndarray) -> np.ndarray:
    """The input file index each key carries (int64, for grouping rows by file)."""
    return ((keys >> np.uint64(FILE_SHIFT)) & np.uint64(MAX_FILES - 1)).astype(np.int64)


def is_new(keys: np.ndarray) -> np.ndarray:
    """True for documents of this run, False for documents of an earlier run's index."""
    return (keys >> np.uint64(NEW_SHIFT)).astype(bool)


def row_of(keys: np.ndarray) -> np.ndarray:
    """The row within its input file each key carries (int64, for indexing)."""
    return (keys & np.uint64(MAX_ROWS - 1)).astype(np.int64)
