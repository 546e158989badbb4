"""Mixture: epochs / token budgets per subset, a seeded two-stage shuffle into shards, a manifest,
the plan table, and export to Megatron-LM's indexed dataset."""

from corpus_builder.mixture.megatron import export_megatron
from corpus_builder.mixture.phases import build_mixture_phases
from corpus_builder.mixture.plan import PlanTable, SubsetPlan, plan_table

__all__ = [
    "PlanTable",
    "SubsetPlan",
    "build_mixture_phases",
    "export_megatron",
    "plan_table",
]
