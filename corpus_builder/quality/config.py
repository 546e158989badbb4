"""Pydantic models of the filtering stages (members of ``corpus_builder.config.models.Stage``).

Unknown keys are errors, every model has a ``step`` literal discriminator, defaults that are
thresholds name their source. ``QualityStage`` checks its threshold overrides and per-stage
``options`` (e.g. a word-list path) against the preset it names.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, ValidationInfo, model_validator

from corpus_builder.config.base import StrictModel
from corpus_builder.quality.modifiers import MODIFIERS
from corpus_builder.text.pii import DEFAULT_REPLACEMENTS, KINDS


class QualityStage(StrictModel):
    step: Literal["quality"] = "quality"
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

    @model_validator(mode="after")
    def _fits_preset(self, info: ValidationInfo) -> QualityStage:
        from corpus_builder.quality.rules import load_preset, resolve_option_paths, resolve_preset

        base_dir = (info.context or {}).get("base_dir")
        try:
            preset = load_preset(resolve_preset(self.preset, base_dir))
        except FileNotFoundError as exc:
            raise ValueError(str(exc)) from None
        preset = preset.with_thresholds(self.thresholds)
        if self.options:
            preset.with_options({k: resolve_option_paths(v, base_dir) for k, v in self.options.items()})
        return self


class UrlFilterStage(StrictModel):
    """Host/URL filtering before anything expensive (Swallow checks URLs first)."""

    step: Literal["url_filter"] = "url_filter"
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


class CleanStage(StrictModel):
    """Line-level cleaning modifiers, applied in the given order; each counts what it changed."""

    step: Literal["clean"] = "clean"
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


class PiiStage(StrictModel):
    step: Literal["pii"] = "pii"
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


class EnglishQualityStage(StrictModel):
    step: Literal["english_quality"] = "english_quality"
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


class CodeFilterStage(StrictModel):
    step: Literal["code_filter"] = "code_filter"
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
