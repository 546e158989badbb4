"""Exact, URL and MinHash near-duplicate removal as phases over sharded Parquet.

Public API: `DedupConfig`, `build_dedup_phases(config, ctx)`, `s_curve_table` / `print_plan`
(tests run the phases with `corpus_builder.phases.inline.run_phases`). See `phases/__init__.py` for the
phase chain and outputs.
"""

from corpus_builder.dedup.lsh import candidate_probability, print_plan, s_curve_table, threshold
from corpus_builder.dedup.phases import DedupError, build_dedup_phases

__all__ = [
    "DedupError",
    "build_dedup_phases",
    "candidate_probability",
    "print_plan",
    "s_curve_table",
    "threshold",
]
