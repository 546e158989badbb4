"""Pydantic models of the `sources:` entries, one per reader kind (the `kind` key selects it).

WARC kinds (commoncrawl, warp) carry raw HTTP bodies through decode → extract; the other kinds
yield plain text that goes straight to language ID and the filters.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import Field, model_validator

from corpus_builder.contracts.strict_model import StrictModel


class _SourceBase(StrictModel):
    #: A `lang` every document of this kind has, which language ID then leaves alone (code).
    fixed_lang: ClassVar[str | None] = None

    def needs_extraction(self) -> bool:
        """Whether its records are HTTP bodies that the decode and extract stages turn into text."""
        return False

    name: str = Field(
        pattern=r"^[A-Za-z0-9_.-]+$",
        description="Lands in the `source` column; mixture subsets are `<name>/<lang>`. Several entries "
        "may share a name (e.g. one `wiki` per language).",
    )
    paths: list[str] = Field(
        default_factory=list,
        description="Input files: local paths or globs (relative to the YAML file), or fsspec URLs. "
        "One task per file.",
    )
    max_files: int | None = Field(default=None, gt=0, description="Use only the first N files.")
    limit: int | None = Field(default=None, gt=0, description="Read at most N records from each file.")
    optional: bool = Field(
        default=False,
        description="When its local files are absent, skip the source (said at `validate` and run) "
        "instead of failing; a pipeline of many sources can then run on the ones you have.",
    )


class CommonCrawlSource(_SourceBase):
    """Common Crawl WARC files: explicit paths, or a snapshot's path list."""

    kind: Literal["commoncrawl"] = "commoncrawl"
    snapshot: str | None = Field(
        default=None, description="Crawl id such as CC-MAIN-2024-10; recorded on every document."
    )
    path_list: str | None = Field(
        default=None, description="A `warc.paths.gz` list (path or URL). Overrides the snapshot's manifest."
    )
    base_url: str | None = Field(default=None, description="Prefix joined to each relative path_list line.")
    manifest: str = Field(
        default="../manifests/commoncrawl.yaml",
        description="Snapshot manifest (relative to the YAML file) used when only `snapshot` is given.",
    )

    def needs_extraction(self) -> bool:
        return True

    @model_validator(mode="after")
    def _needs_inputs(self) -> CommonCrawlSource:
        if not self.paths and not self.path_list and not self.snapshot:
            raise ValueError("a commoncrawl source needs `paths`, `path_list` or `snapshot`")
        return self


class _NeedsPaths(_SourceBase):
    @model_validator(mode="after")
    def _has_paths(self) -> _NeedsPaths:
        if not self.paths:
            raise ValueError("a source needs `paths`")
        return self


class WarpSource(_NeedsPaths):
    """WARC files written by `corpus-build crawl` (the WARP URL list, or any URL list)."""

    kind: Literal["warp"] = "warp"
    content: Literal["html", "pdf"] = Field(
        default="html", description="html: HTML responses through decode/extract; pdf: PDF responses as text."
    )
    max_pdf_pages: int = Field(default=500, gt=0, description="Pages read from one PDF.")

    def needs_extraction(self) -> bool:
        return self.content == "html"


class WikipediaSource(_NeedsPaths):
    kind: Literal["wikipedia"] = "wikipedia"
    format: Literal["xml", "parquet"] = Field(
        default="xml", description="xml: a pages-articles dump; parquet: HF wikimedia/wikipedia shards."
    )
    lang: str | None = Field(default=None, description="Language hint; default: the dump's xml:lang.")
    namespaces: list[int] = Field(default_factory=lambda: [0], description="0 = articles.")
    skip_disambiguation: bool = True
    keep_headings: bool = Field(default=True, description="Section titles stay as their own lines.")
    min_chars: int = Field(default=1, ge=0, description="Shorter pages after cleaning are skipped.")


class KakenSource(_NeedsPaths):
    """grantAward XML saved by the KAKEN harvester."""

    kind: Literal["kaken"] = "kaken"
    lang: str = Field(default="ja", description="Paragraphs of this xml:lang.")
    paragraph_types: list[str] | None = Field(default=None, description="paragraphList types to keep.")


class DolmaSource(_NeedsPaths):
    kind: Literal["dolma"] = "dolma"
    lang: str | None = Field(default=None, description="Language hint for every document.")


class StackSource(_NeedsPaths):
    """The-Stack-style Parquet (content, path, lang, licenses, repo). Code skips language ID."""

    kind: Literal["stack"] = "stack"
    fixed_lang: ClassVar[str | None] = "code"  # source code is not natural language
    lang: str | None = Field(default=None, description="Keep only files of this programming language.")


#: Every source model; `sources/kinds.py` maps each to its reader.
SOURCE_MODELS = (CommonCrawlSource, WarpSource, WikipediaSource, KakenSource, DolmaSource, StackSource)

SourceConfig = Annotated[
    CommonCrawlSource | WarpSource | WikipediaSource | KakenSource | DolmaSource | StackSource,
    Field(discriminator="kind"),
]

#: Every `kind:` a source may have.
SOURCE_KINDS = frozenset(model.model_fields["kind"].default for model in SOURCE_MODELS)
