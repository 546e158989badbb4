"""Dedup's scratch folder (`outputs.DEDUP_WORK`): where each phase leaves its output for the next,
the schemas of those files, and the Parquet/JSON helpers every phase reads and writes them with.

Every file is written atomically, and a rerun task overwrites the same names with the same bytes,
so a killed dedup resumes from its last finished phase. The folder is removed when dedup finishes.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.parquet as pq
from datatrove.io import DataFolder

from corpus_builder.contracts.outputs import DEDUP_WORK
from corpus_builder.dedup.hashing import partition_of
from corpus_builder.writers.atomic import atomic_open, write_parquet_atomic

EDGE_SCHEMA = pa.schema(
    [pa.field("k", pa.uint64(), nullable=False), pa.field("o", pa.uint64(), nullable=False)]
)
BUCKET_SCHEMA = pa.schema(
    [pa.field("b", pa.uint64(), nullable=False), pa.field("n", pa.uint64(), nullable=False)]
)
NODE_SCHEMA = pa.schema(
    [
        pa.field("n", pa.uint64(), nullable=False),
        pa.field("id", pa.string(), nullable=False),
        pa.field("exact", pa.binary(16), nullable=False),
        pa.field("url", pa.uint64(), nullable=False),
    ]
)
RESOLVE_SCHEMA = pa.schema(
    [
        pa.field("n", pa.uint64(), nullable=False),
        pa.field("root", pa.uint64(), nullable=False),
        pa.field("size", pa.int32(), nullable=False),
        pa.field("root_id", pa.string(), nullable=False),
        pa.field("root_exact", pa.binary(16), nullable=False),
        pa.field("root_url", pa.uint64(), nullable=False),
    ]
)

# --- the names under DEDUP_WORK; `{part:05d}` is left for `write_partitioned` to fill in

PLAN = f"{DEDUP_WORK}/plan.json"


def plan_part(rank: int) -> str:
    return f"{DEDUP_WORK}/plan/{rank:06d}.json"


def signatures_file(rank: int) -> str:
    return f"{DEDUP_WORK}/sig/{rank:06d}.parquet"


def bucket_entries_pattern(rank: int) -> str:
    return f"{DEDUP_WORK}/buckets/{{part:05d}}/{rank:06d}.parquet"


def bucket_entries_dir(part: int) -> str:
    return f"{DEDUP_WORK}/buckets/{part:05d}"


def nodes_pattern(rank: int) -> str:
    return f"{DEDUP_WORK}/nodes/{{part:05d}}/{rank:06d}.parquet"


def nodes_dir(part: int) -> str:
    return f"{DEDUP_WORK}/nodes/{part:05d}"


def round_dir(round_: int) -> str:
    """The edges one connected-components round wrote (round 0: the bucket phase's star edges).
    The folder keeps its historical name `cc/` so a dedup killed by an older version resumes."""
    return f"{DEDUP_WORK}/cc/round-{round_:03d}"


def round_stats(round_: int, part: int) -> str:
    return f"{round_dir(round_)}/_stats/{part:05d}.json"


def resolved_file(file_index: int, part: int) -> str:
    return f"{DEDUP_WORK}/resolve/{file_index:06d}/{part:05d}.parquet"


def resolved_dir(file_index: int) -> str:
    return f"{DEDUP_WORK}/resolve/{file_index:06d}"


# --- reading and writing


def read_parquet(folder: DataFolder, path: str, columns: list[str] | None = None) -> pa.Table:
    with folder.open(path, "rb") as f:
        return pq.read_table(f, columns=columns)


def read_parquet_dir(folder: DataFolder, subdir: str, schema: pa.Schema) -> pa.Table:
    """Concatenate every finished Parquet file of a folder (sorted names; `.inprogress` ignored)."""
    files = (
        [p for p in folder.list_files(subdir, recursive=False) if p.endswith(".parquet")]
        if folder.isdir(subdir)
        else []
    )
    if not files:
        return schema.empty_table()
    return pa.concat_tables([read_parquet(folder, p).select(schema.names).cast(schema) for p in files])


def write_scratch_parquet(folder: DataFolder, path: str, table: pa.Table, level: int = 1) -> None:
    # scratch files are read once by the next phase: cheap compression is enough
    write_parquet_atomic(folder, path, table, compression="zstd", compression_level=level)


def write_json(folder: DataFolder, path: str, obj: Any) -> None:
    with atomic_open(folder, path) as f:
        f.write(orjson.dumps(obj, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2))


def read_json(folder: DataFolder, path: str) -> Any:
    with folder.open(path, "rb") as f:
        return orjson.loads(f.read())


def u64(table: pa.Table, column: str) -> np.ndarray:
    return table.column(column).to_numpy().astype(np.uint64, copy=False)


def write_partitioned(
    folder: DataFolder,
    pattern: str,
    keys: np.ndarray,
    columns: dict[str, np.ndarray | pa.Array],
    schema: pa.Schema,
    partitions: int,
) -> int:
    """Write rows to `pattern.format(part=p)` for each partition p that gets rows (sorted by key)."""
    if keys.size == 0:
        return 0
    part = partition_of(keys, partitions)
    order = np.lexsort((keys, part))
    part = part[order]
    bounds = np.flatnonzero(np.concatenate([[True], part[1:] != part[:-1], [True]]))
    table = pa.table(
        {
            name: (col.take(pa.array(order)) if isinstance(col, pa.Array) else col[order])
            for name, col in columns.items()
        },
        schema=schema,
    )
    for lo, hi in zip(bounds[:-1], bounds[1:], strict=False):
        write_scratch_parquet(folder, pattern.format(part=int(part[lo])), table.slice(lo, hi - lo))
    return int(keys.size)


def write_edges(
    folder: DataFolder, round_: int, src: int, k: np.ndarray, o: np.ndarray, partitions: int
) -> None:
    """Edge rows (k, o) written by task `src` of a round, partitioned by k."""
    pattern = f"{round_dir(round_)}/{{part:05d}}/{src:05d}.parquet"
    write_partitioned(folder, pattern, k, {"k": k, "o": o}, EDGE_SCHEMA, partitions)


def read_edges(folder: DataFolder, round_: int, part: int) -> tuple[np.ndarray, np.ndarray]:
    """Every edge row (k, o) of one partition that the tasks of a round wrote."""
    t = read_parquet_dir(folder, f"{round_dir(round_)}/{part:05d}", EDGE_SCHEMA)
    return u64(t, "k"), u64(t, "o")


def remove_scratch(folder: DataFolder) -> None:
    if folder.exists(DEDUP_WORK):
        folder.rm(DEDUP_WORK, recursive=True)
