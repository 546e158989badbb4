"""Dedup as a chain of phases over sharded Parquet: no task ever holds more than one partition.

    dedup.plan                  plan.py: one task per input file (+ per index file): rows, sources,
                                snapshots → plan.json, which fixes every document's priority key
    dedup.signatures            signatures.py: one task per input file (+ per index file): priority
                                keys, exact/URL hashes, MinHash band hashes → bucket entries
                                partitioned by bucket key, node info partitioned by node key
    dedup.buckets               buckets.py: one task per partition: every bucket with n > 1 members
                                → n - 1 star edges (member → bucket minimum)
    dedup.components.round-NNN  component_rounds.py: one task per partition: large-star (odd
                                rounds) / small-star (even) until a large-star and the following
                                small-star change nothing (≤ max_rounds)
    dedup.resolve               resolve.py: one task per partition: each star centre (= the kept
                                document) → its members, with cluster size and the kept document's
                                id and hashes, routed to the members' input files
    dedup.filter                filter.py: one task per input file: deduped/, excluded/,
                                dedup/clusters/, dedup/index/, counts/

Each phase's `finish()` returns the next one, so `build_dedup_phases` returns only the first.
`scratch.py` names the files one phase leaves for the next under dedup/work/ (safe to delete after
the run); `shared.py` holds the phases' base class; the priority key is `dedup/priority.py`.

All outputs are functions of the inputs and config only: not of the number of workers, the number
of partitions, or the order tasks run in.
"""

from __future__ import annotations

from collections.abc import Mapping

from corpus_builder.config.dedup import DedupConfig
from corpus_builder.dedup.phases.plan import PlanPhase
from corpus_builder.dedup.phases.shared import DedupError
from corpus_builder.phases.base import Phase, RunContext

__all__ = ["DedupError", "build_dedup_phases"]


def build_dedup_phases(
    config: DedupConfig, ctx: RunContext, source_kinds: Mapping[str, str] | None = None
) -> list[Phase]:
    """The phases of a dedup run over `<ctx.output_dir>/documents/`. Only the first is returned;
    each phase's `finish()` returns the next (the number of component rounds is data dependent).
    `source_kinds` (source name → kind) lets `source_priority` name kinds."""
    return [PlanPhase(config, ctx, source_kinds)]
