"""URL/host filter step: drops documents by host suffix, UT1-layout category or TLD."""

from __future__ import annotations

from pathlib import Path

from datatrove.data import Document

from corpus_builder.config.stages import UrlFilterStage
from corpus_builder.quality.urls import build_url_rules
from corpus_builder.stages.base import DocumentStep


class UrlFilter(DocumentStep):
    type = "🔻 URL"
    name = "url_filter"
    stage = "url_filter"

    def __init__(self, config: UrlFilterStage, base_dir: str | None = None) -> None:
        super().__init__()
        root = config.blocklist_root
        if root and base_dir and not Path(root).is_absolute():
            root = str(Path(base_dir) / root)
        self.rules = build_url_rules(
            preset=config.preset,
            host_suffixes=config.host_suffixes,
            blocklist_root=root,
            blocklist_categories=config.blocklist_categories,
            allowed_tlds=config.allowed_tlds,
            match_parent_domains=config.match_parent_domains,
        )

    def process(self, doc: Document) -> str | None:
        return self.rules.check(doc.metadata.get("url"))
