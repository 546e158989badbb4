"""dedup.buckets: one task per partition turns every bucket with n > 1 members into n - 1 star
edges (member → bucket minimum): round 0 of the connected-components rounds."""

from __future__ import annotations

import numpy as np
from datatrove.pipeline.base import PipelineStep

from corpus_builder.dedup import components
from corpus_builder.dedup.phases.component_rounds import ComponentRound
from corpus_builder.dedup.phases.resolve import ResolvePhase
from corpus_builder.dedup.phases.scratch import (
    BUCKET_SCHEMA,
    bucket_entries_dir,
    read_json,
    read_parquet_dir,
    round_stats,
    u64,
    write_edges,
    write_json,
)
from corpus_builder.dedup.phases.shared import DedupPhase
from corpus_builder.phases.base import Phase


class BucketPhase(DedupPhase):
    name = "dedup.buckets"

    def num_tasks(self) -> int:
        return self.config.partitions

    def run_task(self, rank: int, step: PipelineStep) -> None:
        t = read_parquet_dir(self.folder, bucket_entries_dir(rank), BUCKET_SCHEMA)
        b, n = components.unique_pairs(u64(t, "b"), u64(t, "n"))
        first = np.concatenate([[True], b[1:] != b[:-1]]) if b.size else np.empty(0, bool)
        group_min = n[np.flatnonzero(first)][np.cumsum(first) - 1] if b.size else n
        hi, lo = components.unique_pairs(n[~first], group_min[~first])
        k, o = components.both_layout(hi, lo)
        write_edges(self.folder, 0, rank, k, o, self.config.partitions)
        write_json(self.folder, round_stats(0, rank), {"edges": int(hi.size), "changes": int(hi.size)})
        step.stat_update("edges", value=int(hi.size))

    def finish(self) -> list[Phase]:
        edges = sum(read_json(self.folder, round_stats(0, p))["edges"] for p in range(self.config.partitions))
        if edges == 0:
            return [ResolvePhase(self.config, self.ctx, final_round=0)]
        return [ComponentRound(self.config, self.ctx, 1)]
