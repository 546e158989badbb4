"""Configuration of the dedup phases (the `dedup:` block of a pipeline file).

Same conventions as the other models under `config/` (`contracts/strict_model.py`): unknown keys are
errors, models are frozen, defaults name their source.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from pydantic import Field, field_validator, model_validator

from corpus_builder.contracts.strict_model import StrictModel

#: Named MinHash settings: (ngram, bands, rows).
PRESETS: dict[str, tuple[int, int, int]] = {
    # LLM-jp corpus v4 near-dedup: character 5-grams, 20 bands x 10 rows (threshold ~0.74).
    "llm-jp-v4": (5, 20, 10),
    # Swallow corpus v1 (Okazaki et al., 2024): character 5-grams, 40 buckets x 20 hashes
    # (threshold ~0.83: conservative, removes fewer pairs in J 0.8-0.9).
    "swallow": (5, 40, 20),
}

DEFAULT_PRESET = "llm-jp-v4"

MAX_SOURCE_RANKS = 31  # 5 bits of the priority key; the last rank is "any source not listed"

#: Source kinds in order of preference (see `DedupConfig.source_priority` for the reasoning).
DEFAULT_SOURCE_PRIORITY = ("wikipedia", "kaken", "warp", "dolma", "stack", "commoncrawl")


class MinHashConfig(StrictModel):
    """Near-duplicate detection: MinHash LSH over character n-grams of NFKC-normalised text."""

    preset: Literal["llm-jp-v4", "swallow"] | None = Field(
        default=None,
        description=f"Named setting (ngram, bands, rows): {PRESETS}. Default `{DEFAULT_PRESET}` when "
        "none of ngram/bands/rows is given: it is the preset that reaches recall >= 0.95 at true 5-gram "
        "Jaccard >= 0.8 with <= 0.5% false positives on planted Japanese Wikipedia duplicates "
        "(`python bench/minhash.py`); `swallow` falls well short of that recall.",
    )
    ngram: int | None = Field(default=None, ge=1, le=64, description="Characters per shingle (preset: 5).")
    bands: int | None = Field(default=None, ge=1, le=1024, description="LSH bands b.")
    rows: int | None = Field(default=None, ge=1, le=1024, description="Hashes per band r.")
    seed: int = Field(default=1, ge=0, lt=2**63, description="Seed of the b*r hash functions.")

    @model_validator(mode="after")
    def _one_way(self) -> MinHashConfig:
        explicit = [self.ngram, self.bands, self.rows]
        if self.preset is not None and any(v is not None for v in explicit):
            raise ValueError("give either `preset` or `ngram`/`bands`/`rows`, not both")
        if self.preset is None and any(v is not None for v in explicit) and any(v is None for v in explicit):
            raise ValueError("without a preset, `ngram`, `bands` and `rows` are all required")
        if self.resolved()[1] * self.resolved()[2] > 4096:
            raise ValueError("bands * rows must be <= 4096")
        return self

    def resolved(self) -> tuple[int, int, int]:
        """(ngram, bands, rows) after applying the preset/default."""
        if self.ngram is not None:
            return self.ngram, self.bands, self.rows  # type: ignore[return-value]
        return PRESETS[self.preset or DEFAULT_PRESET]


class DedupConfig(StrictModel):
    """Exact, URL and near-duplicate removal over the kept documents of a run.

    All three kinds of evidence (same normalised text, same normalised URL, an LSH band collision)
    are edges of one graph; each connected component keeps exactly one document, the one with the
    smallest priority key (old index documents first, then `source_priority`, then the newer
    snapshot, then input file and row order).
    """

    exact: bool = Field(default=True, description="Same text after NFKC + whitespace collapse (xxh3_128).")
    url: bool = Field(default=True, description="Same normalised URL (see dedup.hashing.normalize_url).")
    near: bool = Field(default=True, description="MinHash LSH near-duplicates.")
    minhash: MinHashConfig = Field(default_factory=MinHashConfig)
    scope: Literal["per_source", "global"] = Field(
        default="global",
        description="`global`: duplicates across sources too (the better source keeps the copy); "
        "`per_source`: only documents of the same source are compared.",
    )
    source_priority: list[str] = Field(
        default_factory=lambda: list(DEFAULT_SOURCE_PRIORITY),
        max_length=MAX_SOURCE_RANKS - 1,
        description="Source kinds or names, most preferred first, when choosing the copy to keep; a "
        "source's own name, when listed, ranks it, else its kind does; sources not matched rank after all "
        "listed ones. Default (by kind, so neither source names nor YAML order matter): edited sources "
        "first (wikipedia, kaken: a web page holding the same text is a mirror or scrape of them), then "
        "curated crawls (warp: sites selected by the National Diet Library), then already filtered and "
        "deduplicated collections (dolma, stack), then the open web (commoncrawl). The LLM-jp corpus v3 "
        "keeps Wikipedia and KAKEN whole and filters Common Crawl, so the curated copy is also the one "
        "no web filter touched.",
    )
    partitions: int = Field(
        default=16,
        ge=1,
        le=65536,
        description="Hash partitions (= tasks) of the bucket and connected-component rounds; "
        "memory per task ~ edges / partitions. Results do not depend on it.",
    )
    max_rounds: int = Field(
        default=64,
        ge=2,
        le=10_000,
        description="Bound on connected-component rounds (large-star/small-star converge in "
        "O(log^2 n) rounds, Kiveris et al. 2014); exceeding it is an error.",
    )
    index: list[str] = Field(
        default_factory=list,
        description="`dedup/index` folders of earlier runs: new documents duplicating one of their "
        "kept documents are dropped (duplicate_of = the old id); old signatures are not recomputed.",
    )
    excluded_text_chars: int = Field(
        default=2000,
        ge=0,
        description="Characters of a dropped document's text kept in excluded/ "
        "(same default as output.excluded_text_chars).",
    )
    write_index: bool = Field(default=True, description="Write dedup/index/ for later incremental runs.")

    @model_validator(mode="after")
    def _checks(self) -> DedupConfig:
        if len(set(self.source_priority)) != len(self.source_priority):
            raise ValueError("source_priority lists a source twice")
        if not (self.exact or self.url or self.near):
            raise ValueError("enable at least one of exact, url, near")
        return self

    def source_rank(self, name: str, kinds: Mapping[str, str]) -> int:
        """Rank of a source (smaller wins): its name's place in `source_priority`, else its kind's
        (`kinds`: source name → kind, from the pipeline's sources), else after every listed entry."""
        places = {entry: i for i, entry in enumerate(self.source_priority)}
        if name in places:
            return places[name]
        return places.get(kinds.get(name, ""), len(self.source_priority))

    @field_validator("index", mode="before")
    @classmethod
    def _one_index(cls, value: object) -> object:
        if value is None:
            return []
        return [value] if isinstance(value, str) else value
