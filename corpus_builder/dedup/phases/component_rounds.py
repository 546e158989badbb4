"""dedup.components.round-NNN: one task per partition applies large-star (odd rounds) or
small-star (even rounds) to the edges of the round before, until a large-star and the following
small-star change nothing (at most `max_rounds`); see `corpus_builder.dedup.components`."""

from __future__ import annotations

from datatrove.pipeline.base import PipelineStep

from corpus_builder.config.dedup import DedupConfig
from corpus_builder.dedup import components
from corpus_builder.dedup.phases.resolve import ResolvePhase
from corpus_builder.dedup.phases.scratch import read_edges, read_json, round_stats, write_edges, write_json
from corpus_builder.dedup.phases.shared import DedupError, DedupPhase
from corpus_builder.phases.base import Phase, RunContext


class ComponentRound(DedupPhase):
    """Round r: large-star if r is odd, small-star if even; reads round r-1, writes round r."""

    def __init__(self, config: DedupConfig, ctx: RunContext, round_: int) -> None:
        super().__init__(config, ctx)
        self.round = round_
        self.op = "large-star" if round_ % 2 else "small-star"
        self.name = f"dedup.components.round-{round_:03d}"

    def num_tasks(self) -> int:
        return self.config.partitions

    def run_task(self, rank: int, step: PipelineStep) -> None:
        k, o = read_edges(self.folder, self.round - 1, rank)
        if self.op == "large-star":
            hi, lo, changes = components.large_star(k, o)
            out_k, out_o = hi, lo  # small-star layout: under the larger endpoint
        else:
            hi, lo, changes = components.small_star(k, o)
            out_k, out_o = components.both_layout(hi, lo)
        write_edges(self.folder, self.round, rank, out_k, out_o, self.config.partitions)
        stats = {"edges_in": int(k.size), "edges": int(hi.size), "changes": changes}
        write_json(self.folder, round_stats(self.round, rank), stats)
        step.stat_update("changes", value=changes)

    def _changes(self, r: int) -> int:
        return sum(
            read_json(self.folder, round_stats(r, p))["changes"] for p in range(self.config.partitions)
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
