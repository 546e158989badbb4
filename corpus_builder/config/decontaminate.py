"""Configuration of the decontaminate phases (the `decontaminate:` block of a pipeline file).

Same conventions as `corpus_builder/config/pipeline.py`: unknown keys are errors, models are frozen,
defaults name their source. The n-gram defaults equal `corpus_builder/decontaminate/index.py`'s
`NgramSettings` (config/ sits below the library in the layout, so it cannot import them; a test holds
the two equal).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from corpus_builder.contracts.strict_model import StrictModel

EvalFormat = Literal["jsonl", "json", "parquet", "csv", "tsv", "text"]


class EvalSetConfig(StrictModel):
    """One evaluation set: the user's local files and which parts of a record make up an item."""

    name: str = Field(
        pattern=r"^[A-Za-z0-9_.-]+$",
        description="The set's name in excluded/, counts and the report.",
    )
    paths: list[str] = Field(
        min_length=1,
        description="Local files of the set (relative to the YAML file). Nothing is downloaded. With "
        "several files an item's id is `<file name>:<id>`, so row indexes of two files stay distinct.",
    )
    catalogue: str | None = Field(
        default=None,
        description="An entry of manifests/eval_sets.yaml (e.g. `jcommonsenseqa`, `mmlu`): format, fields, "
        "id_field, columns and records_key come from it, and the entry's language picks the unit kind. "
        "Keys given here override the entry's.",
    )
    format: EvalFormat | None = Field(
        default=None,
        description="File format; unset: from the suffix (.jsonl .json .parquet .csv .tsv .txt).",
    )
    fields: list[str] = Field(
        default_factory=list,
        description="Fields joined into one item (dotted paths into nested records; a list contributes "
        "every element). Required unless `catalogue` names them or the format is `text`.",
    )
    id_field: str | None = Field(default=None, description="The record's id; unset: the 0-based row index.")
    records_key: str | None = Field(
        default=None,
        description="JSON files: the dotted key holding the list of records (llm-jp-eval: samples).",
    )
    columns: list[str] = Field(
        default_factory=list, description="Column names of CSV/TSV files without a header row (MMLU, JMMLU)."
    )
    text_unit: Literal["line", "block"] = Field(
        default="line",
        description="Plain text: one item per non-empty line, or per blank-line-separated block.",
    )
    units: Literal["auto", "chars", "words"] = Field(
        default="auto",
        description="How items are compared: `chars` (character n-grams, for Japanese), `words` (word "
        "n-grams), `auto`: by each item's script (>= 30% Han/kana/Hangul → chars), or by the catalogue "
        "entry's language.",
    )
    action: Literal["drop", "cut"] = Field(
        default="drop",
        description="`drop`: the document goes to excluded/ (reason eval_overlap). `cut`: the paragraphs "
        "holding the matched n-grams are removed and recorded in decontaminate/cuts/; a document left "
        "empty is dropped (reason eval_cut_empty). A document matched by a `drop` set is dropped.",
    )
    min_share: float | None = Field(
        default=None, gt=0, le=1, description="This set's share of an item's n-grams; unset: the block's."
    )

    @model_validator(mode="after")
    def _knows_its_fields(self) -> EvalSetConfig:
        if not self.fields and self.catalogue is None and self.format != "text":
            raise ValueError(f"set {self.name!r}: give `fields` (or `catalogue`, or format: text)")
        return self


class DecontaminateConfig(StrictModel):
    """Find documents holding evaluation items and drop them or cut the matching paragraphs."""

    sets: list[EvalSetConfig] = Field(min_length=1, description="The evaluation sets to index.")
    min_share: float = Field(
        default=0.5,
        gt=0,
        le=1,
        description="Share of an item's distinct n-grams that must occur in one document for the item to "
        "count as found (items with fewer than `whole_item_grams` n-grams need all of them). 0.5: "
        "`python -m bench.decontamination` finds every planted case (exact, width/whitespace/punctuation "
        "changes, line splits, inside a longer paragraph) and none of the partial overlaps below half.",
    )
    char_n: int = Field(
        default=13,
        ge=5,
        le=64,
        description="Characters per n-gram for CJK items: measured against Japanese Wikipedia text that "
        "does not hold the items (table in decontaminate/index.py, `python -m bench.decontamination "
        "--sections ngram`): at 13 the false-hit rate has flattened out and a 1-in-40 edit keeps recall.",
    )
    word_n: int = Field(
        default=13,
        ge=5,
        le=64,
        description="Words per n-gram: the GPT-3 convention (Brown et al. 2020, appendix C), also "
        "EleutherAI's lm-evaluation-harness.",
    )
    min_char_units: int = Field(
        default=10,
        ge=1,
        description="CJK items with fewer characters (after normalisation) are not indexed (counted as "
        "too_short): a bare answer like 富士山 occurs in innocent text all the time.",
    )
    min_word_units: int = Field(
        default=8, ge=1, description="Word items with fewer words are not indexed (GPT-3 used no n below 8)."
    )
    whole_item_grams: int = Field(
        default=3, ge=1, description="Items with fewer distinct n-grams than this need all of them."
    )
    max_items_per_gram: int = Field(
        default=50,
        ge=1,
        description="An n-gram held by more items is template text (次のうち正しいものを選べ) and is "
        "left out of the index.",
    )
    paragraphs: Literal["line", "blank_line"] = Field(
        default="line",
        description="What `cut` removes: the lines (the project's extracted text has one paragraph per "
        "line) or blank-line-separated blocks holding the matched n-grams.",
    )
    catalogue_file: str | None = Field(
        default=None,
        description="The catalogue `catalogue:` names are looked up in (relative to the YAML file); "
        "unset: the shipped manifests/eval_sets.yaml (the checkout's, or the installed wheel's copy).",
    )
    excluded_text_chars: int = Field(
        default=2000,
        ge=0,
        description="Characters of a dropped document's text kept in excluded/ (same default as "
        "output.excluded_text_chars).",
    )

    @model_validator(mode="after")
    def _names_unique(self) -> DecontaminateConfig:
        names = [s.name for s in self.sets]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(f"set names must be unique: {', '.join(repeated)} occurs more than once")
        return self
