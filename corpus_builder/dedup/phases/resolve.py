"""dedup.resolve: one task per partition reads the converged star forest; each star centre (= the
kept document) gets its members, with the cluster size and the kept document's id and hashes,
routed to the input files the members came from."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from datatrove.pipeline.base import PipelineStep

from corpus_builder.config.dedup import DedupConfig
from corpus_builder.dedup import components
from corpus_builder.dedup.phases.filter import FilterPhase
from corpus_builder.dedup.phases.scratch import (
    NODE_SCHEMA,
    RESOLVE_SCHEMA,
    nodes_dir,
    read_edges,
    read_parquet_dir,
    resolved_file,
    u64,
    write_scratch_parquet,
)
from corpus_builder.dedup.phases.shared import DedupError, DedupPhase
from corpus_builder.dedup.priority import file_index_of, is_new
from corpus_builder.phases.base import Phase, RunContext


def _stars(k: np.ndarray, o: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(centres, each centre's cluster size, leaves, each leaf's centre index) of a star forest."""
    centre = k < o  # in a converged star forest the centre is the smaller endpoint
    roots, leaves = k[centre], o[centre]
    order = np.lexsort((leaves, roots))
    roots, leaves = roots[order], leaves[order]
    if not roots.size:
        return np.empty(0, np.uint64), np.empty(0, np.int64), leaves, np.empty(0, np.int64)
    centres, starts, leaf_centre = components.key_groups(roots)
    sizes = np.diff(np.append(starts, roots.size)) + 1
    return centres, sizes, leaves, leaf_centre


class ResolvePhase(DedupPhase):
    name = "dedup.resolve"

    def __init__(self, config: DedupConfig, ctx: RunContext, final_round: int) -> None:
        super().__init__(config, ctx)
        self.final_round = final_round

    def num_tasks(self) -> int:
        return self.config.partitions

    def run_task(self, rank: int, step: PipelineStep) -> None:
        if self.final_round == 0:
            k = o = np.empty(0, np.uint64)
        else:
            k, o = read_edges(self.folder, self.final_round, rank)
        centres, sizes, leaves, leaf_centre = _stars(k, o)
        centre_info = self._centre_nodes(rank, centres)
        member = np.concatenate([centres, leaves])
        take = pa.array(np.concatenate([np.arange(centres.size), leaf_centre]).astype(np.int64), pa.int64())
        file_of = file_index_of(member)
        # old (index) documents are never rewritten: only route members that are new documents
        new = is_new(member)
        member, take, file_of = member[new], take.filter(pa.array(new)), file_of[new]
        member_root = centres[np.asarray(take)] if member.size else member
        size = sizes[np.asarray(take)].astype(np.int32) if member.size else np.empty(0, np.int32)
        table = pa.table(
            {
                "n": member,
                "root": member_root,
                "size": size,
                "root_id": centre_info.column("id").take(take),
                "root_exact": centre_info.column("exact").take(take),
                "root_url": centre_info.column("url").take(take),
            },
            schema=RESOLVE_SCHEMA,
        )
        if member.size:
            self._write_by_file(rank, table, member, file_of)
        step.stat_update("clusters", value=int(centres.size))

    def _centre_nodes(self, rank: int, centres: np.ndarray) -> pa.Table:
        """The node records (id, hashes) of the centres, in their order; nodes are partitioned like
        edges, so this partition holds every centre it found."""
        nodes = read_parquet_dir(self.folder, nodes_dir(rank), NODE_SCHEMA)
        node_keys = u64(nodes, "n")
        sort = np.argsort(node_keys, kind="stable")
        pos = (
            sort[np.searchsorted(node_keys, centres, sorter=sort)] if centres.size else np.empty(0, np.int64)
        )
        if centres.size and not np.array_equal(node_keys[pos], centres):
            raise DedupError("resolve: a component centre has no node record (corrupt work folder?)")
        return nodes.take(pa.array(pos, pa.int64()))

    def _write_by_file(self, rank: int, table: pa.Table, member: np.ndarray, file_of: np.ndarray) -> None:
        order = np.lexsort((member, file_of))
        table, file_of = table.take(pa.array(order)), file_of[order]
        bounds = np.flatnonzero(np.concatenate([[True], file_of[1:] != file_of[:-1], [True]]))
        for lo, hi in zip(bounds[:-1], bounds[1:], strict=False):
            write_scratch_parquet(
                self.folder, resolved_file(int(file_of[lo]), rank), table.slice(lo, hi - lo)
            )

    def finish(self) -> list[Phase]:
        return [FilterPhase(self.config, self.ctx)]
