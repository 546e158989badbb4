"""dedup.filter: one task per input file decides each document's fate from the resolved clusters
and writes the file's outputs: deduped/, excluded/, dedup/clusters/, dedup/index/ and counts/.
Its `finish` writes the done marker and removes the scratch folder."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from datatrove.pipeline.base import PipelineStep

from corpus_builder.contracts.outputs import (
    COUNTS,
    DEDUP_CLUSTERS,
    DEDUP_DONE,
    DEDUP_INDEX,
    DEDUPED,
    EXCLUDED,
    by_language,
)
from corpus_builder.dedup.phases.scratch import (
    RESOLVE_SCHEMA,
    read_parquet,
    read_parquet_dir,
    remove_scratch,
    resolved_dir,
    signatures_file,
    u64,
    write_json,
)
from corpus_builder.dedup.phases.shared import DedupPhase, done_config, task_name
from corpus_builder.dedup.priority import row_of
from corpus_builder.dedup.tables import CLUSTER_SCHEMA, DEDUPED_EXTRA, STAGES, deduped_schema, index_schema
from corpus_builder.phases.base import Phase
from corpus_builder.writers.atomic import write_parquet_atomic
from corpus_builder.writers.schema import EXCLUDED_SCHEMA

#: Columns an excluded row copies from the document as they are.
_EXCLUDED_COPIED = (
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


@dataclass
class Verdicts:
    """Per document of one input file (row order): kept or why not, and its cluster."""

    kept: np.ndarray  # bool
    cluster_id: list[str]  # the kept document's id (its own id when alone)
    cluster_size: np.ndarray  # int32
    reason: list[str | None]  # exact_dup / url_dup / near_dup / linked_dup for a dropped document
    duplicate_of: list[str | None]


class FilterPhase(DedupPhase):
    name = "dedup.filter"

    def num_tasks(self) -> int:
        return len(self.plan()["inputs"])

    def run_task(self, rank: int, step: PipelineStep) -> None:
        plan, folder = self.plan(), self.folder
        path = plan["inputs"][rank]
        lang, stem = task_name(path)
        docs = read_parquet(folder, path)
        sig = read_parquet(folder, signatures_file(rank))
        verdicts = self._verdicts(docs.column("id").to_pylist(), sig, rank)
        text_len = pc.utf8_length(docs.column("text")).to_numpy(zero_copy_only=False)
        counts, chars = _count(docs.column("source").to_pylist(), lang, verdicts, text_len)
        files: dict[str, int] = {}
        keep_idx = pa.array(np.flatnonzero(verdicts.kept), pa.int64())
        drop_idx = pa.array(np.flatnonzero(~verdicts.kept), pa.int64())
        if len(keep_idx):
            self._write(files, by_language(DEDUPED, lang, stem), _deduped(docs, keep_idx, verdicts))
        if len(drop_idx):
            excluded = self._excluded(docs, drop_idx, verdicts, text_len)
            self._write(files, f"{EXCLUDED}/dedup-{lang}-{stem}.parquet", excluded)
        if (verdicts.cluster_size > 1).any():
            self._write(files, f"{DEDUP_CLUSTERS}/{lang}-{stem}.parquet", _clusters(docs, verdicts))
        if self.config.write_index and len(keep_idx):
            index = self._index(docs, sig, keep_idx, plan["params"])
            self._write(files, f"{DEDUP_INDEX}/{lang}-{stem}.parquet", index)
        summary = {
            "rank": rank,
            "input": path,
            "counts": dict(sorted(counts.items())),
            "chars": dict(sorted(chars.items())),
            "files": dict(sorted(files.items())),
        }
        write_json(folder, f"{COUNTS}/dedup-{lang}-{stem}.json", summary)
        step.stat_update("kept", value=int(verdicts.kept.sum()))
        step.stat_update("excluded", value=int((~verdicts.kept).sum()))

    def _write(self, files: dict[str, int], path: str, table: pa.Table) -> None:
        write_parquet_atomic(self.folder, path, table)
        files[path] = table.num_rows

    def _verdicts(self, ids: list[str], sig: pa.Table, rank: int) -> Verdicts:
        """A document in a resolved cluster is dropped unless it is the cluster's centre; the reason
        names the strongest evidence it shares with the kept document."""
        config, n = self.config, len(ids)
        res = read_parquet_dir(self.folder, resolved_dir(rank), RESOLVE_SCHEMA)
        rows = row_of(u64(res, "n"))
        resolved_row = np.full(n, -1, dtype=np.int64)
        resolved_row[rows] = np.arange(rows.size)
        keys, exact, url = u64(sig, "n"), sig.column("exact").to_pylist(), u64(sig, "url")
        res_root, res_size = u64(res, "root"), res.column("size").to_numpy()
        res_root_id = res.column("root_id").to_pylist()
        res_root_exact, res_root_url = res.column("root_exact").to_pylist(), u64(res, "root_url")
        v = Verdicts(np.ones(n, dtype=bool), list(ids), np.ones(n, dtype=np.int32), [None] * n, [None] * n)
        for i in np.flatnonzero(resolved_row >= 0):
            j = resolved_row[i]
            v.cluster_id[i] = res_root_id[j]
            v.cluster_size[i] = res_size[j]
            if res_root[j] == keys[i]:
                continue
            v.kept[i] = False
            v.duplicate_of[i] = res_root_id[j]
            if config.exact and exact[i] == res_root_exact[j]:
                v.reason[i] = "exact_dup"
            elif config.url and url[i] != 0 and url[i] == res_root_url[j]:
                v.reason[i] = "url_dup"
            elif config.near:
                v.reason[i] = "near_dup"
            else:
                v.reason[i] = "linked_dup"
        return v

    def _excluded(self, docs: pa.Table, drop_idx: pa.Array, v: Verdicts, text_len: np.ndarray) -> pa.Table:
        d = docs.take(drop_idx)
        row = {name: d.column(name) for name in _EXCLUDED_COPIED}
        drop = drop_idx.to_pylist()
        row["stage"] = pa.array([STAGES[v.reason[i]] for i in drop], pa.string())
        row["reason"] = pa.array([v.reason[i] for i in drop], pa.string())
        row["text"] = pc.utf8_slice_codeunits(d.column("text"), 0, self.config.excluded_text_chars)
        row["text_chars"] = pa.array(text_len[~v.kept].astype(np.int64))
        for optional in ("quality_signals", "extra"):
            row[optional] = (
                d.column(optional)
                if optional in d.column_names
                else pa.nulls(len(drop), EXCLUDED_SCHEMA.field(optional).type)
            )
        row["duplicate_of"] = pa.array([v.duplicate_of[i] for i in drop], pa.string())
        # the document phase's excluded schema, so one glob over excluded/ reads as one table
        return pa.table({f.name: row[f.name] for f in EXCLUDED_SCHEMA}).cast(EXCLUDED_SCHEMA)

    def _index(self, docs: pa.Table, sig: pa.Table, keep_idx: pa.Array, params: dict[str, int]) -> pa.Table:
        """The kept documents' hashes, for a later run to dedup against."""
        k = docs.select(["id", "source", "snapshot", "lang"]).take(keep_idx)
        bands = sig.column("bands").combine_chunks().take(keep_idx)
        if not self.config.near:
            bands = pa.nulls(len(keep_idx), index_schema(params).field("bands").type)
        return pa.table(
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

    def finish(self) -> list[Phase]:
        plan = self.plan()
        done = {"config": done_config(self.config), "inputs": plan["inputs"], "rows": plan["rows"]}
        write_json(self.folder, DEDUP_DONE, done)
        remove_scratch(self.folder)
        return []


def _count(
    sources: list[str], lang: str, v: Verdicts, text_len: np.ndarray
) -> tuple[Counter[str], Counter[str]]:
    """Documents and characters per `kept|source|lang` and `excluded|source|stage|reason`."""
    counts: Counter[str] = Counter()
    chars: Counter[str] = Counter()
    for i in range(len(sources)):
        if v.kept[i]:
            key = f"kept|{sources[i]}|{lang}"
        else:
            key = f"excluded|{sources[i]}|{STAGES[v.reason[i]]}|{v.reason[i]}"
        counts[key] += 1
        chars[key] += int(text_len[i])
    return counts, chars


def _deduped(docs: pa.Table, keep_idx: pa.Array, v: Verdicts) -> pa.Table:
    schema = deduped_schema(docs.schema)
    out = docs.take(keep_idx)
    out = out.append_column(
        DEDUPED_EXTRA[0], pa.array([v.cluster_id[i] for i in keep_idx.to_pylist()], pa.string())
    )
    out = out.append_column(DEDUPED_EXTRA[1], pa.array(v.cluster_size[v.kept], pa.int32()))
    return out.cast(schema)


def _clusters(docs: pa.Table, v: Verdicts) -> pa.Table:
    """Every document of a cluster larger than one, kept or not."""
    ids = docs.column("id").to_pylist()
    in_cluster = np.flatnonzero(v.cluster_size > 1)
    return pa.table(
        {
            "id": pa.array([ids[i] for i in in_cluster], pa.string()),
            "cluster_id": pa.array([v.cluster_id[i] for i in in_cluster], pa.string()),
            "cluster_size": pa.array(v.cluster_size[in_cluster], pa.int32()),
            "kept": pa.array(v.kept[in_cluster]),
            "reason": pa.array([v.reason[i] for i in in_cluster], pa.string()),
        },
        schema=CLUSTER_SCHEMA,
    )
