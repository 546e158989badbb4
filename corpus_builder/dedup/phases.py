"""Dedup as a chain of phases over sharded Parquet: no task ever holds more than one partition.

    dedup.plan          one task per input file (+ per index file): rows, sources, snapshots
    dedup.signatures    one task per input file (+ per index file): priority keys, exact/URL
                        hashes, MinHash band hashes → bucket entries partitioned by bucket key,
                        node info partitioned by node key
    dedup.buckets       one task per partition: every bucket with n > 1 members → n - 1 star edges
                        (member → bucket minimum)
    dedup.cc.round-NNN  one task per partition: large-star (odd rounds) / small-star (even) until
                        a large-star and the following small-star change nothing (≤ max_rounds)
    dedup.resolve       one task per partition: each star centre (= the kept document) → its
                        members, with cluster size and the kept document's id and hashes,
                        routed to the members' input files
    dedup.filter        one task per input file: deduped/, excluded/, dedup/clusters/,
                        dedup/index/, counts/

Each phase's `finish()` returns the next one, so `build_dedup_phases` returns only the first.

Priority key (uint64; smaller = kept): bit 63 new document (0 for documents of an earlier run's
index, so they always win), bits 58-62 source rank (`DedupConfig.source_rank`: by name or kind in
`source_priority` order, unlisted sources last; recorded per source name in plan.json), bits 46-57
snapshot rank (newest first; no snapshot last), bits 24-45 input file index (sorted paths), bits
0-23 row. It is also the graph node id, so the component minimum that
min-label propagation / star contraction finds *is* the representative; arrival order never
matters. All outputs are functions of the inputs and config only: not of the number of workers,
the number of partitions, or the order tasks run in.

Layout under `<output>/dedup/`: `work/` (intermediate, safe to delete after the run),
`clusters/`, `index/`. Every file is written atomically; every task overwrites the same names with
the same bytes when rerun.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from datatrove.io import DataFolder, get_datafolder
from datatrove.pipeline.base import PipelineStep

from corpus_builder.config.dedup import MAX_SOURCE_RANKS, DedupConfig
from corpus_builder.contracts.errors import RunFailedError
from corpus_builder.dedup import components as cc
from corpus_builder.dedup.hashing import (
    DOMAIN_EXACT,
    DOMAIN_URL,
    MinHasher,
    bucket_keys,
    domain_keys,
    exact_hash,
    normalize_text,
    partition_of,
    string_hash64,
    url_hash,
)
from corpus_builder.phases.base import Phase, RunContext
from corpus_builder.writers.atomic import atomic_open, write_parquet_atomic
from corpus_builder.writers.schema import DOCUMENT_SCHEMA, EXCLUDED_SCHEMA

WORK = "dedup/work"
#: Written when dedup has finished; its scratch files under WORK are then removed (a failed or
#: killed dedup keeps them, so a rerun resumes from the last finished phase).
DONE = "dedup/done.json"
ROW_BITS, FILE_BITS, SNAP_BITS, SRC_BITS = 24, 22, 12, 5
MAX_ROWS, MAX_FILES, MAX_SNAPSHOTS = 1 << ROW_BITS, 1 << FILE_BITS, (1 << SNAP_BITS) - 1
FILE_SHIFT, SNAP_SHIFT, SRC_SHIFT, NEW_SHIFT = 24, 46, 58, 63
INDEX_FORMAT = "1"
BATCH_DOCS = 2048

STAGES = {
    "exact_dup": "dedup.exact",
    "url_dup": "dedup.url",
    "near_dup": "dedup.near",
    "linked_dup": "dedup.linked",
}

DEDUPED_EXTRA = [
    pa.field("dup_cluster_id", pa.string(), nullable=False),
    pa.field("dup_cluster_size", pa.int32()),
]
CLUSTER_SCHEMA = pa.schema(
    [
        pa.field("id", pa.string(), nullable=False),
        pa.field("cluster_id", pa.string(), nullable=False),
        pa.field("cluster_size", pa.int32(), nullable=False),
        pa.field("kept", pa.bool_(), nullable=False),
        pa.field("reason", pa.string()),
    ],
    metadata={"corpus_builder.table": "dedup_clusters"},
)
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


class DedupError(RunFailedError):
    """A dedup run cannot go on (limits exceeded, incompatible index, no convergence)."""


# ---------------------------------------------------------------------------------------------
# shared helpers


def _read(folder: DataFolder, path: str, columns: list[str] | None = None) -> pa.Table:
    with folder.open(path, "rb") as f:
        return pq.read_table(f, columns=columns)


def _read_dir(folder: DataFolder, subdir: str, schema: pa.Schema) -> pa.Table:
    """Concatenate every finished Parquet file of a folder (sorted names; `.inprogress` ignored)."""
    files = (
        [p for p in folder.list_files(subdir, recursive=False) if p.endswith(".parquet")]
        if folder.isdir(subdir)
        else []
    )
    if not files:
        return schema.empty_table()
    return pa.concat_tables([_read(folder, p).select(schema.names).cast(schema) for p in files])


def _write(folder: DataFolder, path: str, table: pa.Table, level: int = 1) -> None:
    write_parquet_atomic(folder, path, table, compression="zstd", compression_level=level)


def _write_json(folder: DataFolder, path: str, obj: Any) -> None:
    with atomic_open(folder, path) as f:
        f.write(orjson.dumps(obj, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2))


def _read_json(folder: DataFolder, path: str) -> Any:
    with folder.open(path, "rb") as f:
        return orjson.loads(f.read())


def _u64(table: pa.Table, column: str) -> np.ndarray:
    return table.column(column).to_numpy().astype(np.uint64, copy=False)


def _write_partitioned(
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
        _write(folder, pattern.format(part=int(part[lo])), table.slice(lo, hi - lo))
    return int(keys.size)


def input_files(folder: DataFolder) -> list[str]:
    """`documents/<lang>/<task>.parquet`, sorted: the file index of the priority key."""
    if not folder.isdir("documents"):
        return []
    files = [p for p in folder.list_files("documents", recursive=True) if p.endswith(".parquet")]
    return sorted(p for p in files if len(p.split("/")) == 3)


def index_files(config: DedupConfig) -> list[tuple[str, str]]:
    out = []
    for root in config.index:
        idx = get_datafolder(root)
        files = sorted(p for p in idx.list_files(recursive=False) if p.endswith(".parquet"))
        if not files:
            raise DedupError(f"dedup index {root!r} has no .parquet files")
        out.extend((root, p) for p in files)
    return out


def task_name(path: str) -> tuple[str, str]:
    """documents/<lang>/<stem>.parquet → (lang, stem)."""
    _, lang, name = path.split("/")
    return lang, name[: -len(".parquet")]


def minhash_params(config: DedupConfig) -> dict[str, int]:
    ngram, bands, rows = config.minhash.resolved()
    return {"ngram": ngram, "bands": bands, "rows": rows, "seed": config.minhash.seed}


class _DedupPhase(Phase):
    def __init__(self, config: DedupConfig, ctx: RunContext, source_kinds: Mapping[str, str] | None = None):
        self.config, self.ctx = config, ctx
        self.source_kinds = dict(source_kinds or {})

    @property
    def folder(self) -> DataFolder:
        return self.ctx.folder()

    def plan(self) -> dict[str, Any]:
        return _read_json(self.folder, f"{WORK}/plan.json")

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"


# ---------------------------------------------------------------------------------------------
# 1. plan


class PlanPhase(_DedupPhase):
    name = "dedup.plan"

    def _tasks(self) -> list[tuple[str | None, str]]:
        return [(None, p) for p in input_files(self.folder)] + index_files(self.config)

    def _done(self) -> bool:
        """Dedup with this very config has finished here (a run's output directory is tied to its
        config; the check keeps a direct caller with another config from reusing the result)."""
        if not self.folder.exists(DONE):
            return False
        return _read_json(self.folder, DONE)["config"] == _done_config(self.config)

    def num_tasks(self) -> int:
        return 0 if self._done() else len(self._tasks())

    def run_task(self, rank: int, step: PipelineStep) -> None:
        root, path = self._tasks()[rank]
        folder = self.folder if root is None else get_datafolder(root)
        with folder.open(path, "rb") as f:
            pf = pq.ParquetFile(f)
            if root is not None:
                meta = pf.schema_arrow.metadata or {}
                found = meta.get(b"corpus_builder.dedup_params")
                want = orjson.dumps(minhash_params(self.config), option=orjson.OPT_SORT_KEYS)
                if meta.get(b"corpus_builder.dedup_index") != INDEX_FORMAT.encode() or found != want:
                    raise DedupError(
                        f"dedup index file {root}/{path} was built with MinHash {found!r}, this run uses "
                        f"{want!r} (index format {INDEX_FORMAT}); rebuild it or change the config"
                    )
            table = pf.read(columns=["source", "snapshot"])
        summary = {
            "path": path,
            "index_root": root,
            "rows": table.num_rows,
            "sources": sorted({s for s in table.column("source").unique().to_pylist()}),
            "snapshots": sorted({s for s in table.column("snapshot").unique().to_pylist() if s is not None}),
        }
        _write_json(self.folder, f"{WORK}/plan/{rank:06d}.json", summary)
        step.stat_update("files")

    def finish(self) -> list[Phase]:
        if self._done():  # a rerun of a finished dedup: its outputs stand, its scratch files are gone
            _remove_work(self.folder)  # (left behind if the run was killed while removing them)
            return []
        tasks = self._tasks()
        parts = [_read_json(self.folder, f"{WORK}/plan/{i:06d}.json") for i in range(len(tasks))]
        inputs = [p for p in parts if p["index_root"] is None]
        index = [p for p in parts if p["index_root"] is not None]
        for group in (inputs, index):
            if len(group) > MAX_FILES:
                raise DedupError(f"dedup handles at most {MAX_FILES} input files per run, got {len(group)}")
        for p in parts:
            if p["rows"] >= MAX_ROWS:
                raise DedupError(
                    f"{p['path']} has {p['rows']} rows; dedup handles < {MAX_ROWS} rows per file"
                )
        snapshots = sorted({s for p in parts for s in p["snapshots"]}, reverse=True)  # newest first
        sources = sorted({s for p in parts for s in p["sources"]})
        if len(snapshots) >= MAX_SNAPSHOTS:
            raise DedupError(f"{len(snapshots)} distinct snapshots; dedup handles < {MAX_SNAPSHOTS}")
        plan = {
            "inputs": [p["path"] for p in inputs],
            "rows": [p["rows"] for p in inputs],
            "index": [[p["index_root"], p["path"]] for p in index],
            "snapshot_rank": {s: i for i, s in enumerate(snapshots)},
            "source_rank": {s: self.config.source_rank(s, self.source_kinds) for s in sources},
            "params": minhash_params(self.config),
        }
        _write_json(self.folder, f"{WORK}/plan.json", plan)
        return [SignaturePhase(self.config, self.ctx)]


# ---------------------------------------------------------------------------------------------
# 2. signatures


def priority_keys(
    sources: list[str],
    snapshots: list[str | None],
    file_index: int,
    new: bool,
    source_rank: Mapping[str, int],
    snapshot_rank: dict[str, int],
) -> np.ndarray:
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


class SignaturePhase(_DedupPhase):
    name = "dedup.signatures"

    def num_tasks(self) -> int:
        plan = self.plan()
        return len(plan["inputs"]) + len(plan["index"])

    def run_task(self, rank: int, step: PipelineStep) -> None:
        plan, config, folder = self.plan(), self.config, self.folder
        n_inputs = len(plan["inputs"])
        new = rank < n_inputs
        if new:
            path = plan["inputs"][rank]
            table = _read(folder, path, ["id", "text", "source", "url", "snapshot"])
            file_index = rank
        else:
            root, path = plan["index"][rank - n_inputs]
            table = _read(get_datafolder(root), path, ["id", "source", "snapshot", "exact", "url", "bands"])
            file_index = rank - n_inputs
        n = table.num_rows
        ids = table.column("id").to_pylist()
        sources = table.column("source").to_pylist()
        keys = priority_keys(
            sources,
            table.column("snapshot").to_pylist(),
            file_index,
            new,
            plan["source_rank"],
            plan["snapshot_rank"],
        )
        if new:
            texts = [normalize_text(t) for t in table.column("text").to_pylist()]
            exact = [exact_hash(t, normalized=True) for t in texts]
            urls = np.fromiter(
                (url_hash(u) for u in table.column("url").to_pylist()), dtype=np.uint64, count=n
            )
            p = plan["params"]
            hasher = MinHasher(p["ngram"], p["bands"], p["rows"], p["seed"])
            if config.near:
                chunks = [
                    hasher.band_hashes_of(texts[i : i + BATCH_DOCS], normalized=True)
                    for i in range(0, n, BATCH_DOCS)
                ]
                bands = np.concatenate(chunks) if chunks else np.empty((0, p["bands"]), np.uint64)
            else:
                bands = np.empty((n, 0), np.uint64)
            sig = pa.table(
                {
                    "n": keys,
                    "exact": pa.array(exact, pa.binary(16)),
                    "url": urls,
                    "bands": pa.FixedSizeListArray.from_arrays(
                        pa.array(bands.reshape(-1), pa.uint64()), bands.shape[1]
                    )
                    if bands.shape[1]
                    else pa.nulls(n, pa.list_(pa.uint64(), 1)),
                }
            )
            _write(folder, f"{WORK}/sig/{rank:06d}.parquet", sig)
        else:
            exact = table.column("exact").to_pylist()
            urls = _u64(table, "url")
            flat = table.column("bands").combine_chunks()
            width = flat.type.list_size if n else 0
            bands = (
                flat.flatten().to_numpy().astype(np.uint64).reshape(n, width)
                if n and width
                else np.empty((n, 0), np.uint64)
            )
            if config.near and bands.shape[1] != plan["params"]["bands"]:
                raise DedupError(f"index file {path} has no band hashes for this MinHash setting")
            step.stat_update("index_docs", value=n)

        scope = None
        if config.scope == "per_source":
            cache: dict[str, int] = {}
            scope = np.fromiter(
                (cache.setdefault(s, string_hash64(s)) for s in sources), dtype=np.uint64, count=n
            )
        exact64 = (
            np.frombuffer(b"".join(exact), dtype=">u8").reshape(n, 2)[:, 0].astype(np.uint64)
            if n
            else np.empty(0, np.uint64)
        )
        b_keys, b_nodes = [], []
        if config.exact:
            b_keys.append(domain_keys(exact64, DOMAIN_EXACT, scope))
            b_nodes.append(keys)
        if config.url:
            has = urls != 0
            b_keys.append(domain_keys(urls[has], DOMAIN_URL, None if scope is None else scope[has]))
            b_nodes.append(keys[has])
        if config.near and n:
            b_keys.append(bucket_keys(bands, scope).reshape(-1))
            b_nodes.append(np.repeat(keys, bands.shape[1]))
        bk = np.concatenate(b_keys) if b_keys else np.empty(0, np.uint64)
        bn = np.concatenate(b_nodes) if b_nodes else np.empty(0, np.uint64)
        P = config.partitions
        entries = _write_partitioned(
            folder,
            f"{WORK}/buckets/{{part:05d}}/{rank:06d}.parquet",
            bk,
            {"b": bk, "n": bn},
            BUCKET_SCHEMA,
            P,
        )
        _write_partitioned(
            folder,
            f"{WORK}/nodes/{{part:05d}}/{rank:06d}.parquet",
            keys,
            {
                "n": keys,
                "id": pa.array(ids, pa.string()),
                "exact": pa.array(exact, pa.binary(16)),
                "url": urls,
            },
            NODE_SCHEMA,
            P,
        )
        step.stat_update("docs", value=n)
        step.stat_update("bucket_entries", value=entries)

    def finish(self) -> list[Phase]:
        return [BucketPhase(self.config, self.ctx)]


# ---------------------------------------------------------------------------------------------
# 3. buckets → star edges


def _round_dir(r: int) -> str:
    return f"{WORK}/cc/round-{r:03d}"


def _write_edges(folder: DataFolder, r: int, src: int, k: np.ndarray, o: np.ndarray, partitions: int) -> None:
    _write_partitioned(
        folder,
        f"{_round_dir(r)}/{{part:05d}}/{src:05d}.parquet",
        k,
        {"k": k, "o": o},
        EDGE_SCHEMA,
        partitions,
    )


def _read_edges(folder: DataFolder, r: int, part: int) -> tuple[np.ndarray, np.ndarray]:
    t = _read_dir(folder, f"{_round_dir(r)}/{part:05d}", EDGE_SCHEMA)
    return _u64(t, "k"), _u64(t, "o")


class BucketPhase(_DedupPhase):
    name = "dedup.buckets"

    def num_tasks(self) -> int:
        return self.config.partitions

    def run_task(self, rank: int, step: PipelineStep) -> None:
        t = _read_dir(self.folder, f"{WORK}/buckets/{rank:05d}", BUCKET_SCHEMA)
        b, n = cc.unique_pairs(_u64(t, "b"), _u64(t, "n"))
        first = np.concatenate([[True], b[1:] != b[:-1]]) if b.size else np.empty(0, bool)
        group_min = n[np.flatnonzero(first)][np.cumsum(first) - 1] if b.size else n
        hi, lo = cc.unique_pairs(n[~first], group_min[~first])
        k, o = cc.both_layout(hi, lo)
        _write_edges(self.folder, 0, rank, k, o, self.config.partitions)
        _write_json(
            self.folder,
            f"{_round_dir(0)}/_stats/{rank:05d}.json",
            {"edges": int(hi.size), "changes": int(hi.size)},
        )
        step.stat_update("edges", value=int(hi.size))

    def finish(self) -> list[Phase]:
        edges = sum(
            _read_json(self.folder, f"{_round_dir(0)}/_stats/{p:05d}.json")["edges"]
            for p in range(self.config.partitions)
        )
        if edges == 0:
            return [ResolvePhase(self.config, self.ctx, final_round=0)]
        return [ComponentRound(self.config, self.ctx, 1)]


# ---------------------------------------------------------------------------------------------
# 4. connected components


class ComponentRound(_DedupPhase):
    """Round r: large-star if r is odd, small-star if even; reads round r-1, writes round r."""

    def __init__(self, config: DedupConfig, ctx: RunContext, round_: int) -> None:
        super().__init__(config, ctx)
        self.round = round_
        self.op = "large-star" if round_ % 2 else "small-star"
        self.name = f"dedup.cc.round-{round_:03d}"

    def num_tasks(self) -> int:
        return self.config.partitions

    def run_task(self, rank: int, step: PipelineStep) -> None:
        k, o = _read_edges(self.folder, self.round - 1, rank)
        if self.op == "large-star":
            hi, lo, changes = cc.large_star(k, o)
            out_k, out_o = hi, lo  # small-star layout: under the larger endpoint
        else:
            hi, lo, changes = cc.small_star(k, o)
            out_k, out_o = cc.both_layout(hi, lo)
        _write_edges(self.folder, self.round, rank, out_k, out_o, self.config.partitions)
        stats = {"edges_in": int(k.size), "edges": int(hi.size), "changes": changes}
        _write_json(self.folder, f"{_round_dir(self.round)}/_stats/{rank:05d}.json", stats)
        step.stat_update("changes", value=changes)

    def _changes(self, r: int) -> int:
        return sum(
            _read_json(self.folder, f"{_round_dir(r)}/_stats/{p:05d}.json")["changes"]
            for p in range(self.config.partitions)
        )

    def finish(self) -> list[Phase]:
        if self.op == "small-star" and self._changes(self.round) == 0 and self._changes(self.round - 1) == 0:
            return [ResolvePhase(self.config, self.ctx, final_round=self.round)]
        if self.round >= self.config.max_rounds:
            raise DedupError(
                f"connected components did not converge in max_rounds={self.config.max_rounds} rounds "
                f"(round {self.round} still changed {self._changes(self.round)} partitions' edges); "
                "raise dedup.max_rounds and rerun: finished rounds are kept"
            )
        return [ComponentRound(self.config, self.ctx, self.round + 1)]


# ---------------------------------------------------------------------------------------------
# 5. resolve: star centres → members, routed to input files


class ResolvePhase(_DedupPhase):
    name = "dedup.resolve"

    def __init__(self, config: DedupConfig, ctx: RunContext, final_round: int) -> None:
        super().__init__(config, ctx)
        self.final_round = final_round

    def num_tasks(self) -> int:
        return self.config.partitions

    def run_task(self, rank: int, step: PipelineStep) -> None:
        folder = self.folder
        if self.final_round == 0:
            k = o = np.empty(0, np.uint64)
        else:
            k, o = _read_edges(folder, self.final_round, rank)
        centre = k < o  # in a converged star forest the centre is the smaller endpoint
        roots, leaves = k[centre], o[centre]
        order = np.lexsort((leaves, roots))
        roots, leaves = roots[order], leaves[order]
        if roots.size:
            uniq, starts, g = cc._groups(roots)
            sizes = np.diff(np.append(starts, roots.size)) + 1
        else:
            uniq = np.empty(0, np.uint64)
            sizes = g = np.empty(0, np.int64)
        nodes = _read_dir(folder, f"{WORK}/nodes/{rank:05d}", NODE_SCHEMA)
        node_keys = _u64(nodes, "n")
        sort = np.argsort(node_keys, kind="stable")
        pos = sort[np.searchsorted(node_keys, uniq, sorter=sort)] if uniq.size else np.empty(0, np.int64)
        if uniq.size and not np.array_equal(node_keys[pos], uniq):
            raise DedupError("resolve: a component centre has no node record (corrupt work folder?)")
        info = nodes.take(pa.array(pos, pa.int64()))
        member = np.concatenate([uniq, leaves])
        member_root_idx = np.concatenate([np.arange(uniq.size), g]).astype(np.int64)
        take = pa.array(member_root_idx, pa.int64())
        file_of = ((member >> np.uint64(FILE_SHIFT)) & np.uint64(MAX_FILES - 1)).astype(np.int64)
        is_new = (member >> np.uint64(NEW_SHIFT)).astype(bool)
        # old (index) documents are never rewritten: only route members that are new documents
        member, take, file_of = member[is_new], take.filter(pa.array(is_new)), file_of[is_new]
        member_root = uniq[np.asarray(take)] if member.size else member
        size = sizes[np.asarray(take)].astype(np.int32) if member.size else np.empty(0, np.int32)
        table = pa.table(
            {
                "n": member,
                "root": member_root,
                "size": size,
                "root_id": info.column("id").take(take),
                "root_exact": info.column("exact").take(take),
                "root_url": info.column("url").take(take),
            },
            schema=RESOLVE_SCHEMA,
        )
        if member.size:
            order = np.lexsort((member, file_of))
            table, file_of = table.take(pa.array(order)), file_of[order]
            bounds = np.flatnonzero(np.concatenate([[True], file_of[1:] != file_of[:-1], [True]]))
            for lo, hi in zip(bounds[:-1], bounds[1:], strict=False):
                _write(
                    folder,
                    f"{WORK}/resolve/{int(file_of[lo]):06d}/{rank:05d}.parquet",
                    table.slice(lo, hi - lo),
                )
        step.stat_update("clusters", value=int(uniq.size))

    def finish(self) -> list[Phase]:
        return [FilterPhase(self.config, self.ctx)]


# ---------------------------------------------------------------------------------------------
# 6. filter: write the outputs of one input file


def deduped_schema(input_schema: pa.Schema) -> pa.Schema:
    fields = [f for f in input_schema if f.name not in ("dup_cluster_id", "dup_cluster_size")]
    meta = dict(input_schema.metadata or DOCUMENT_SCHEMA.metadata)
    meta[b"corpus_builder.table"] = b"deduped"
    return pa.schema([*fields, *DEDUPED_EXTRA], metadata=meta)


def index_schema(params: dict[str, int]) -> pa.Schema:
    return pa.schema(
        [
            pa.field("id", pa.string(), nullable=False),
            pa.field("source", pa.string(), nullable=False),
            pa.field("snapshot", pa.string()),
            pa.field("lang", pa.string()),
            pa.field("exact", pa.binary(16), nullable=False),
            pa.field("url", pa.uint64(), nullable=False),
            pa.field(
                "bands",
                pa.list_(pa.uint64(), params["bands"]) if params["bands"] else pa.list_(pa.uint64(), 1),
            ),
        ],
        metadata={
            "corpus_builder.dedup_index": INDEX_FORMAT,
            "corpus_builder.dedup_params": orjson.dumps(params, option=orjson.OPT_SORT_KEYS).decode(),
        },
    )


class FilterPhase(_DedupPhase):
    name = "dedup.filter"

    def num_tasks(self) -> int:
        return len(self.plan()["inputs"])

    def run_task(self, rank: int, step: PipelineStep) -> None:
        plan, config, folder = self.plan(), self.config, self.folder
        path = plan["inputs"][rank]
        lang, stem = task_name(path)
        docs = _read(folder, path)
        sig = _read(folder, f"{WORK}/sig/{rank:06d}.parquet")
        n = docs.num_rows
        res = _read_dir(folder, f"{WORK}/resolve/{rank:06d}", RESOLVE_SCHEMA)
        rows = (_u64(res, "n") & np.uint64(MAX_ROWS - 1)).astype(np.int64)
        root_row = np.full(n, -1, dtype=np.int64)
        root_row[rows] = np.arange(rows.size)
        keys = _u64(sig, "n")
        res_root = _u64(res, "root")
        res_size = res.column("size").to_numpy()
        res_root_id = res.column("root_id").to_pylist()
        res_root_exact = res.column("root_exact").to_pylist()
        res_root_url = _u64(res, "root_url")
        ids = docs.column("id").to_pylist()
        exact = sig.column("exact").to_pylist()
        url = _u64(sig, "url")

        kept = np.ones(n, dtype=bool)
        cluster_id: list[str] = list(ids)
        cluster_size = np.ones(n, dtype=np.int32)
        reason: list[str | None] = [None] * n
        duplicate_of: list[str | None] = [None] * n
        for i in np.flatnonzero(root_row >= 0):
            j = root_row[i]
            cluster_id[i] = res_root_id[j]
            cluster_size[i] = res_size[j]
            if res_root[j] != keys[i]:
                kept[i] = False
                duplicate_of[i] = res_root_id[j]
                if config.exact and exact[i] == res_root_exact[j]:
                    reason[i] = "exact_dup"
                elif config.url and url[i] != 0 and url[i] == res_root_url[j]:
                    reason[i] = "url_dup"
                elif config.near:
                    reason[i] = "near_dup"
                else:
                    reason[i] = "linked_dup"

        counts: Counter[str] = Counter()
        chars: Counter[str] = Counter()
        sources = docs.column("source").to_pylist()
        text_len = pc.utf8_length(docs.column("text")).to_numpy(zero_copy_only=False)
        for i in range(n):
            if kept[i]:
                key = f"kept|{sources[i]}|{lang}"
            else:
                key = f"excluded|{sources[i]}|{STAGES[reason[i]]}|{reason[i]}"
            counts[key] += 1
            chars[key] += int(text_len[i])
        files: dict[str, int] = {}

        keep_idx = pa.array(np.flatnonzero(kept), pa.int64())
        drop_idx = pa.array(np.flatnonzero(~kept), pa.int64())
        if len(keep_idx):
            schema = deduped_schema(docs.schema)
            out = docs.take(keep_idx)
            out = out.append_column(
                DEDUPED_EXTRA[0], pa.array([cluster_id[i] for i in keep_idx.to_pylist()], pa.string())
            )
            out = out.append_column(DEDUPED_EXTRA[1], pa.array(cluster_size[kept], pa.int32()))
            out_path = f"deduped/{lang}/{stem}.parquet"
            write_parquet_atomic(folder, out_path, out.cast(schema))
            files[out_path] = out.num_rows
        if len(drop_idx):
            d = docs.take(drop_idx)
            limit = config.excluded_text_chars
            row = {
                name: d.column(name)
                for name in (
                    "id",
                    "source",
                    "url",
                    "snapshot",
                    "warc_path",
                    "record_id",
                    "offset",
                    "date",
                    "lang",
                    "lang_score",
                )
            }
            drop = drop_idx.to_pylist()
            row["stage"] = pa.array([STAGES[reason[i]] for i in drop], pa.string())
            row["reason"] = pa.array([reason[i] for i in drop], pa.string())
            row["text"] = pc.utf8_slice_codeunits(d.column("text"), 0, limit)
            row["text_chars"] = pa.array(text_len[~kept].astype(np.int64))
            for optional in ("quality_signals", "extra"):
                row[optional] = (
                    d.column(optional)
                    if optional in d.column_names
                    else pa.nulls(len(drop), EXCLUDED_SCHEMA.field(optional).type)
                )
            row["duplicate_of"] = pa.array([duplicate_of[i] for i in drop], pa.string())
            # the document phase's excluded schema, so one glob over excluded/ reads as one table
            ex = pa.table({f.name: row[f.name] for f in EXCLUDED_SCHEMA}).cast(EXCLUDED_SCHEMA)
            ex_path = f"excluded/dedup-{lang}-{stem}.parquet"
            write_parquet_atomic(folder, ex_path, ex)
            files[ex_path] = ex.num_rows
        in_cluster = np.flatnonzero(cluster_size > 1)
        if in_cluster.size:
            cl = pa.table(
                {
                    "id": pa.array([ids[i] for i in in_cluster], pa.string()),
                    "cluster_id": pa.array([cluster_id[i] for i in in_cluster], pa.string()),
                    "cluster_size": pa.array(cluster_size[in_cluster], pa.int32()),
                    "kept": pa.array(kept[in_cluster]),
                    "reason": pa.array([reason[i] for i in in_cluster], pa.string()),
                },
                schema=CLUSTER_SCHEMA,
            )
            cl_path = f"dedup/clusters/{lang}-{stem}.parquet"
            write_parquet_atomic(folder, cl_path, cl)
            files[cl_path] = cl.num_rows
        if config.write_index and len(keep_idx):
            k = docs.select(["id", "source", "snapshot", "lang"]).take(keep_idx)
            params = plan["params"]
            bands = sig.column("bands").combine_chunks().take(keep_idx)
            if not config.near:
                bands = pa.nulls(len(keep_idx), index_schema(params).field("bands").type)
            idx = pa.table(
                {
                    "id": k.column("id"),
                    "source": k.column("source"),
                    "snapshot": k.column("snapshot"),
                    "lang": k.column("lang"),
                    "exact": sig.column("exact").take(keep_idx),
                    "url": sig.column("url").take(keep_idx),
                    "bands": bands,
                }
            ).cast(index_schema(params))
            idx_path = f"dedup/index/{lang}-{stem}.parquet"
            write_parquet_atomic(folder, idx_path, idx)
            files[idx_path] = idx.num_rows
        summary = {
            "rank": rank,
            "input": path,
            "counts": dict(sorted(counts.items())),
            "chars": dict(sorted(chars.items())),
            "files": dict(sorted(files.items())),
        }
        _write_json(folder, f"counts/dedup-{lang}-{stem}.json", summary)
        step.stat_update("kept", value=int(kept.sum()))
        step.stat_update("excluded", value=int((~kept).sum()))

    def finish(self) -> list[Phase]:
        plan = self.plan()
        done = {"config": _done_config(self.config), "inputs": plan["inputs"], "rows": plan["rows"]}
        _write_json(self.folder, DONE, done)
        _remove_work(self.folder)
        return []


def _done_config(config: DedupConfig) -> Any:
    return orjson.loads(orjson.dumps(config.model_dump(mode="json"), option=orjson.OPT_SORT_KEYS))


def _remove_work(folder: DataFolder) -> None:
    if folder.exists(WORK):
        folder.rm(WORK, recursive=True)


def build_dedup_phases(
    config: DedupConfig, ctx: RunContext, source_kinds: Mapping[str, str] | None = None
) -> list[Phase]:
    """The phases of a dedup run over `<ctx.output_dir>/documents/`. Only the first is returned;
    each phase's `finish()` returns the next (the number of component rounds is data dependent).
    `source_kinds` (source name → kind) lets `source_priority` name kinds."""
    return [PlanPhase(config, ctx, source_kinds)]
