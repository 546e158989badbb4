"""Pydantic models of a pipeline YAML file.

Every model forbids unknown keys, so a typo fails validation instead of being silently ignored.
Defaults that are thresholds name their source in the field description; `corpus-build validate`
and the README's configuration reference are generated from these descriptions.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from corpus_builder.config.decontaminate import DecontaminateConfig
from corpus_builder.config.dedup import DedupConfig
from corpus_builder.config.mixture import MixtureConfig
from corpus_builder.config.sources import SOURCE_KINDS, SourceConfig
from corpus_builder.config.stages import STAGES_IN_ORDER, Stage
from corpus_builder.config.tokenize import TokenizeConfig
from corpus_builder.contracts.strict_model import StrictModel


class OutputConfig(StrictModel):
    dir: str = Field(
        default="out",
        description="Output directory or fsspec URL; a relative one lies below the project root (the "
        "nearest folder above the pipeline file with pyproject.toml or .git, else the file's own).",
    )
    compression: Literal["zstd", "snappy", "gzip", "none"] = "zstd"
    compression_level: int | None = Field(default=3, ge=1, le=22)
    row_group_rows: int = Field(default=20_000, gt=0, le=10_000_000)
    excluded_text_chars: int = Field(
        default=2_000, ge=0, description="Text kept per excluded document (for reports and `explain`)."
    )


class ExecutorConfig(StrictModel):
    kind: Literal["local", "ray"] = "local"
    workers: int = Field(
        default=1, gt=0, le=4096, description="local: processes; ray: CPUs of a private local Ray."
    )
    address: str | None = Field(
        default=None,
        description="ray: cluster address (ray://host:10001 or host:6379). Unset: the job's cluster "
        "under `ray job submit`, else a private local Ray.",
    )
    cpus_per_task: float = Field(default=1.0, gt=0, le=1024)
    memory_per_task_gb: float | None = Field(default=None, gt=0, le=4096)
    max_retries: int = Field(default=3, ge=0, le=100, description="ray: retries of a crashed/failed task.")
    task_timeout_s: float | None = Field(
        default=None, gt=0, description="ray: wall-clock limit per task; the task is killed and retried."
    )


class PipelineConfig(StrictModel):
    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    seed: int = Field(
        default=0,
        ge=0,
        lt=2**32,
        description="Seed of every random choice (tokenizer sampling, mixture, MinHash); sentencepiece's "
        "set_random_generator_seed takes an unsigned 32-bit value, so 0 <= seed < 2**32.",
    )
    sources: list[SourceConfig] = Field(min_length=1)
    stages: list[Stage] = Field(min_length=1)
    dedup: DedupConfig | None = None
    decontaminate: DecontaminateConfig | None = None
    tokenize: TokenizeConfig | None = None
    mixture: MixtureConfig | None = None
    output: OutputConfig = Field(default_factory=OutputConfig)
    executor: ExecutorConfig = Field(default_factory=ExecutorConfig)

    @model_validator(mode="after")
    def _warc_sources_need_extraction(self) -> PipelineConfig:
        steps = {s.step for s in self.stages}
        warc = [s.name for s in self.sources if s.needs_extraction()]
        if warc and not {"decode", "extract"} <= steps:
            raise ValueError(f"WARC sources ({', '.join(warc)}) need `decode` and `extract` stages")
        return self

    @model_validator(mode="after")
    def _priority_names_sources(self) -> PipelineConfig:
        if self.dedup is not None:
            names = {s.name for s in self.sources}
            unknown = [e for e in self.dedup.source_priority if e not in names | SOURCE_KINDS]
            if unknown:
                raise ValueError(
                    f"dedup.source_priority: {unknown} name neither a source of this pipeline nor a "
                    f"source kind ({', '.join(sorted(SOURCE_KINDS))})"
                )
        return self

    @model_validator(mode="after")
    def _mixture_needs_tokens(self) -> PipelineConfig:
        if self.mixture is not None and self.tokenize is None:
            raise ValueError("`mixture` needs a `tokenize` section (shards are cut by token counts)")
        return self

    @field_validator("stages")
    @classmethod
    def _stages_in_order(cls, stages: list[Stage]) -> list[Stage]:
        ranks = [s.rank for s in stages]
        if ranks != sorted(ranks):
            order = " → ".join(model.stage_name() for model in STAGES_IN_ORDER)
            raise ValueError(f"stages must follow the order {order}")
        singles = [s.step for s in stages if not s.repeatable]
        if len(singles) != len(set(singles)):
            repeatable = sorted(m.stage_name() for m in STAGES_IN_ORDER if m.repeatable)
            raise ValueError(f"only {', '.join(repeatable)} may appear more than once")
        steps = {s.step for s in stages}
        for model in STAGES_IN_ORDER:
            if model.needs and model.stage_name() in steps and model.needs not in steps:
                raise ValueError(f"`{model.stage_name()}` needs a `{model.needs}` stage before it")
        return stages
