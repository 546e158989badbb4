"""Pydantic model of the `mixture:` section (the lead adds `mixture: MixtureConfig | None` to
PipelineConfig), and of a plan-only file (`MixturePlanFile`: `name` + `mixture`).

A subset is `<source>/<lang>` (the `source` and `lang` columns of the tokenized documents, e.g.
`cc/ja`). Each subset gets an epoch factor or a token budget; `tokens:` states its unique token
count when it is known from elsewhere (a published table), which is all `plan` needs. In a run the
counts are measured from `tokenized/` and a given `tokens:` is only shown next to the measured one.

```yaml
mixture:
  seed: 42                 # default: the run's seed
  shard_tokens: 1_000_000_000
  subsets:
    cc/ja:   {epochs: 2}                     # every document exactly twice
    wiki/ja: {epochs: 2, tokens: 1281902154} # with a known count, for `plan` without data
    cc/en:   {target_tokens: 50_000_000_000} # planner derives epochs = target / unique
  default_epochs: 1        # subsets found in the data but not listed; null: such a subset is an error
```
"""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator

from corpus_builder.contracts.strict_model import StrictModel

SUBSET_PATTERN = r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$"


class SubsetConfig(StrictModel):
    epochs: float | None = Field(
        default=None,
        gt=0,
        le=1000,
        description="Times each document is seen. The integer part repeats every document; a fraction "
        "adds a seeded sample of documents whose tokens are within one document of fraction × unique.",
    )
    target_tokens: int | None = Field(
        default=None, gt=0, description="Seen tokens wanted; epochs = target_tokens / unique tokens."
    )
    tokens: int | None = Field(
        default=None, ge=0, description="Unique tokens known from elsewhere (used by `plan` without data)."
    )

    @model_validator(mode="after")
    def _one_factor(self) -> SubsetConfig:
        if self.epochs is not None and self.target_tokens is not None:
            raise ValueError("give `epochs` or `target_tokens`, not both")
        return self


class MixtureConfig(StrictModel):
    subsets: dict[str, SubsetConfig] = Field(
        default_factory=dict, description="`<source>/<lang>` → epochs / target_tokens / tokens."
    )
    default_epochs: float | None = Field(
        default=1.0,
        gt=0,
        le=1000,
        description="Epochs of subsets present in the data but not listed; null makes them an error.",
    )
    seed: int | None = Field(
        default=None, ge=0, lt=2**63, description="Seed of sampling and shuffling; default: the run's seed."
    )
    shard_tokens: int = Field(
        default=1_000_000_000,
        gt=0,
        description="Upper bound of tokens per shard (a shard ends at the document that crosses it; "
        "shards of a partition are cut at equal token intervals).",
    )
    partitions: int | None = Field(
        default=None,
        ge=1,
        le=1_000_000,
        description="Shuffle partitions (one partition is held in memory at a time). Default: enough for "
        "`partition_tokens`, and at least 3×(max copies)−2 so copies of a document land in "
        "partitions at least two apart.",
    )
    partition_tokens: int = Field(
        default=500_000_000, gt=0, description="Tokens per partition when `partitions` is not given."
    )
    include_text: bool = Field(default=False, description="Carry the `text` column into the shards.")
    keep_intermediate: bool = Field(
        default=False, description="Keep `_partitions/` after the shards are written (debugging)."
    )

    @field_validator("subsets")
    @classmethod
    def _subset_names(cls, subsets: dict[str, SubsetConfig]) -> dict[str, SubsetConfig]:
        import re

        bad = [name for name in subsets if not re.match(SUBSET_PATTERN, name)]
        if bad:
            raise ValueError(f"subset names are <source>/<lang>, got {bad}")
        return subsets

    def subset(self, name: str) -> SubsetConfig:
        if name in self.subsets:
            return self.subsets[name]
        if self.default_epochs is None:
            raise ValueError(
                f"subset {name} is in the data but not in mixture.subsets (default_epochs: null)"
            )
        return SubsetConfig(epochs=self.default_epochs)


class MixturePlanFile(StrictModel):
    """A file that only describes a mixture for `plan` (e.g. pipelines/llm-jp-v3-mixture.yaml)."""

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    description: str | None = None
    mixture: MixtureConfig
