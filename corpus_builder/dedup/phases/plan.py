"""dedup.plan: one task per input file (+ per index file) records its rows, sources and snapshots;
`finish` checks the priority key's limits and writes plan.json, which fixes every document's key."""

from __future__ import annotations

from typing import Any

import pyarrow.parquet as pq
from datatrove.io import get_datafolder
from datatrove.pipeline.base import PipelineStep

from corpus_builder.dedup.phases.scratch import PLAN, plan_part, read_json, remove_scratch, write_json
from corpus_builder.dedup.phases.shared import (
    DedupError,
    DedupPhase,
    finished_with,
    index_files,
    input_files,
    minhash_params,
)
from corpus_builder.dedup.phases.signatures import SignaturePhase
from corpus_builder.dedup.priority import MAX_FILES, MAX_ROWS, MAX_SNAPSHOTS
from corpus_builder.dedup.tables import INDEX_FORMAT, index_params_json
from corpus_builder.phases.base import Phase


class PlanPhase(DedupPhase):
    name = "dedup.plan"

    def _tasks(self) -> list[tuple[str | None, str]]:
        return [(None, p) for p in input_files(self.folder)] + index_files(self.config)

    def num_tasks(self) -> int:
        return 0 if finished_with(self.folder, self.config) else len(self._tasks())

    def run_task(self, rank: int, step: PipelineStep) -> None:
        root, path = self._tasks()[rank]
        folder = self.folder if root is None else get_datafolder(root)
        with folder.open(path, "rb") as f:
            pf = pq.ParquetFile(f)
            if root is not None:
                self._check_index_file(pf, f"{root}/{path}")
            table = pf.read(columns=["source", "snapshot"])
        summary = {
            "path": path,
            "index_root": root,
            "rows": table.num_rows,
            "sources": sorted({s for s in table.column("source").unique().to_pylist()}),
            "snapshots": sorted({s for s in table.column("snapshot").unique().to_pylist() if s is not None}),
        }
        write_json(self.folder, plan_part(rank), summary)
        step.stat_update("files")

    def _check_index_file(self, pf: pq.ParquetFile, where: str) -> None:
        meta = pf.schema_arrow.metadata or {}
        found = meta.get(b"corpus_builder.dedup_params")
        want = index_params_json(minhash_params(self.config))
        if meta.get(b"corpus_builder.dedup_index") != INDEX_FORMAT.encode() or found != want:
            raise DedupError(
                f"dedup index file {where} was built with MinHash {found!r}, this run uses "
                f"{want!r} (index format {INDEX_FORMAT}); rebuild it or change the config"
            )

    def finish(self) -> list[Phase]:
        if finished_with(self.folder, self.config):
            # a rerun of a finished dedup: its outputs stand, its scratch files are gone
            # (left behind if the run was killed while removing them)
            remove_scratch(self.folder)
            return []
        parts = [read_json(self.folder, plan_part(i)) for i in range(len(self._tasks()))]
        write_json(self.folder, PLAN, self._plan_of(parts))
        return [SignaturePhase(self.config, self.ctx)]

    def _plan_of(self, parts: list[dict[str, Any]]) -> dict[str, Any]:
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
        return {
            "inputs": [p["path"] for p in inputs],
            "rows": [p["rows"] for p in inputs],
            "index": [[p["index_root"], p["path"]] for p in index],
            "snapshot_rank": {s: i for i, s in enumerate(snapshots)},
            "source_rank": {s: self.config.source_rank(s, self.source_kinds) for s in sources},
            "params": minhash_params(self.config),
        }
