"""dedup.signatures: one task per input file (+ per index file) computes each document's priority
key, exact/URL hashes and MinHash band hashes, and writes them as bucket entries partitioned by
bucket key and node records (id and hashes) partitioned by node key."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
from datatrove.io import get_datafolder
from datatrove.pipeline.base import PipelineStep

from corpus_builder.dedup.hashing import (
    DOMAIN_EXACT,
    DOMAIN_URL,
    MinHasher,
    bucket_keys,
    domain_keys,
    exact_hash,
    normalize_text,
    string_hash64,
    url_hash,
)
from corpus_builder.dedup.phases.buckets import BucketPhase
from corpus_builder.dedup.phases.scratch import (
    BUCKET_SCHEMA,
    NODE_SCHEMA,
    bucket_entries_pattern,
    nodes_pattern,
    read_parquet,
    signatures_file,
    u64,
    write_partitioned,
    write_scratch_parquet,
)
from corpus_builder.dedup.phases.shared import DedupError, DedupPhase
from corpus_builder.dedup.priority import priority_keys
from corpus_builder.phases.base import Phase

#: Documents hashed per MinHasher call: bounds the memory of one call's shingle arrays.
BATCH_DOCS = 2048


@dataclass
class FileSignatures:
    """One file's documents as dedup sees them, in row order."""

    keys: np.ndarray  # priority keys (uint64)
    ids: list[str]
    sources: list[str]
    exact: list[bytes]  # 16-byte hashes of the normalised text
    urls: np.ndarray  # URL hashes (uint64; 0 = no URL)
    bands: np.ndarray  # (documents, bands) uint64; no columns when near-dup is off


def _keys_of(table: pa.Table, plan: dict[str, Any], file_index: int, new: bool) -> np.ndarray:
    return priority_keys(
        table.column("source").to_pylist(),
        table.column("snapshot").to_pylist(),
        file_index,
        new,
        plan["source_rank"],
        plan["snapshot_rank"],
    )


def _bands_column(bands: np.ndarray) -> pa.Array:
    if bands.shape[1]:
        return pa.FixedSizeListArray.from_arrays(pa.array(bands.reshape(-1), pa.uint64()), bands.shape[1])
    return pa.nulls(bands.shape[0], pa.list_(pa.uint64(), 1))


class SignaturePhase(DedupPhase):
    name = "dedup.signatures"

    def num_tasks(self) -> int:
        plan = self.plan()
        return len(plan["inputs"]) + len(plan["index"])

    def run_task(self, rank: int, step: PipelineStep) -> None:
        plan = self.plan()
        n_inputs = len(plan["inputs"])
        if rank < n_inputs:
            signatures = self._hash_input_file(plan, rank)
        else:
            signatures = self._load_index_file(plan, rank - n_inputs)
            step.stat_update("index_docs", value=len(signatures.ids))
        partitions = self.config.partitions
        bucket, node = self._bucket_entries(signatures)
        entries = write_partitioned(
            self.folder,
            bucket_entries_pattern(rank),
            bucket,
            {"b": bucket, "n": node},
            BUCKET_SCHEMA,
            partitions,
        )
        nodes = {
            "n": signatures.keys,
            "id": pa.array(signatures.ids, pa.string()),
            "exact": pa.array(signatures.exact, pa.binary(16)),
            "url": signatures.urls,
        }
        write_partitioned(self.folder, nodes_pattern(rank), signatures.keys, nodes, NODE_SCHEMA, partitions)
        step.stat_update("docs", value=len(signatures.ids))
        step.stat_update("bucket_entries", value=entries)

    def _hash_input_file(self, plan: dict[str, Any], rank: int) -> FileSignatures:
        """Hash a `documents/` file of this run and keep its hashes for the filter phase."""
        table = read_parquet(self.folder, plan["inputs"][rank], ["id", "text", "source", "url", "snapshot"])
        n = table.num_rows
        keys = _keys_of(table, plan, rank, new=True)
        texts = [normalize_text(t) for t in table.column("text").to_pylist()]
        exact = [exact_hash(t, normalized=True) for t in texts]
        urls = np.fromiter((url_hash(u) for u in table.column("url").to_pylist()), dtype=np.uint64, count=n)
        bands = self._band_hashes(texts, plan["params"])
        sig = pa.table(
            {"n": keys, "exact": pa.array(exact, pa.binary(16)), "url": urls, "bands": _bands_column(bands)}
        )
        write_scratch_parquet(self.folder, signatures_file(rank), sig)
        ids, sources = table.column("id").to_pylist(), table.column("source").to_pylist()
        return FileSignatures(keys, ids, sources, exact, urls, bands)

    def _band_hashes(self, texts: list[str], params: dict[str, int]) -> np.ndarray:
        if not self.config.near:
            return np.empty((len(texts), 0), np.uint64)
        hasher = MinHasher(params["ngram"], params["bands"], params["rows"], params["seed"])
        chunks = [
            hasher.band_hashes_of(texts[i : i + BATCH_DOCS], normalized=True)
            for i in range(0, len(texts), BATCH_DOCS)
        ]
        return np.concatenate(chunks) if chunks else np.empty((0, params["bands"]), np.uint64)

    def _load_index_file(self, plan: dict[str, Any], file_index: int) -> FileSignatures:
        """An earlier run's index file: its hashes are stored, nothing is rehashed."""
        root, path = plan["index"][file_index]
        columns = ["id", "source", "snapshot", "exact", "url", "bands"]
        table = read_parquet(get_datafolder(root), path, columns)
        n = table.num_rows
        keys = _keys_of(table, plan, file_index, new=False)
        flat = table.column("bands").combine_chunks()
        width = flat.type.list_size if n else 0
        bands = (
            flat.flatten().to_numpy().astype(np.uint64).reshape(n, width)
            if n and width
            else np.empty((n, 0), np.uint64)
        )
        if self.config.near and bands.shape[1] != plan["params"]["bands"]:
            raise DedupError(f"index file {path} has no band hashes for this MinHash setting")
        ids, sources = table.column("id").to_pylist(), table.column("source").to_pylist()
        return FileSignatures(keys, ids, sources, table.column("exact").to_pylist(), u64(table, "url"), bands)

    def _bucket_entries(self, signatures: FileSignatures) -> tuple[np.ndarray, np.ndarray]:
        """(bucket key, node) for every exact hash, URL hash and LSH band of the file's documents;
        with `scope: per_source` the source is mixed into the bucket key so sources never meet."""
        config, keys, urls, n = self.config, signatures.keys, signatures.urls, len(signatures.ids)
        scope = None
        if config.scope == "per_source":
            cache: dict[str, int] = {}
            scope = np.fromiter(
                (cache.setdefault(s, string_hash64(s)) for s in signatures.sources), dtype=np.uint64, count=n
            )
        exact64 = (
            np.frombuffer(b"".join(signatures.exact), dtype=">u8").reshape(n, 2)[:, 0].astype(np.uint64)
            if n
            else np.empty(0, np.uint64)
        )
        bucket_parts, node_parts = [], []
        if config.exact:
            bucket_parts.append(domain_keys(exact64, DOMAIN_EXACT, scope))
            node_parts.append(keys)
        if config.url:
            has = urls != 0
            bucket_parts.append(domain_keys(urls[has], DOMAIN_URL, None if scope is None else scope[has]))
            node_parts.append(keys[has])
        if config.near and n:
            bucket_parts.append(bucket_keys(signatures.bands, scope).reshape(-1))
            node_parts.append(np.repeat(keys, signatures.bands.shape[1]))
        bucket = np.concatenate(bucket_parts) if bucket_parts else np.empty(0, np.uint64)
        node = np.concatenate(node_parts) if node_parts else np.empty(0, np.uint64)
        return bucket, node

    def finish(self) -> list[Phase]:
        return [BucketPhase(self.config, self.ctx)]
