"""One ``<page>`` element of a MediaWiki XML dump → a document, an error, or a skip counted in ``stats``:
the namespace, redirect and disambiguation filters, the wikitext conversion, and the page's provenance."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit

from corpus_builder.sources.documents import SourceDocument, SourceError
from corpus_builder.sources.wikipedia.page_filters import is_disambiguation, is_redirect_text
from corpus_builder.sources.wikipedia.wikitext import wikitext_to_text

__all__ = ["DumpInfo", "PageRules", "local_name", "child", "child_text", "page_item"]


def local_name(tag: str) -> str:
    """The tag without its ``{namespace}``: dumps of different export versions use different ones."""
    return tag.rsplit("}", 1)[-1]


def child_text(elem: ET.Element, name: str) -> str | None:
    for kid in elem:
        if local_name(kid.tag) == name:
            return kid.text
    return None


def child(elem: ET.Element, name: str) -> ET.Element | None:
    for kid in elem:
        if local_name(kid.tag) == name:
            return kid
    return None


def _page_url(base: str | None, title: str) -> str | None:
    if not base:
        return None
    parts = urlsplit(base)
    if not parts.scheme or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}/wiki/{quote(title.replace(' ', '_'), safe='/:()_,-.~!*')}"


@dataclass
class DumpInfo:
    """What the dump says about itself (root `xml:lang`, `<siteinfo>`), filled in as it is read."""

    path: str
    lang_hint: str | None
    dbname: str | None = None
    base: str | None = None
    drop_ns: set[str] = field(default_factory=set)  # localised File:/Category:/Media: prefixes


@dataclass(frozen=True)
class PageRules:
    """Which pages become documents, and how their text is cut (iter_wikipedia's options)."""

    namespaces: frozenset[str]
    keep_headings: bool
    skip_disambiguation: bool
    stop_sections: Iterable[str]
    min_chars: int


def page_item(
    elem: ET.Element, index: int, dump: DumpInfo, rules: PageRules, counts: dict[str, int]
) -> SourceDocument | SourceError | None:
    """The document of a finished ``<page>``, an error naming it, or None for a page skipped (and counted)."""
    path, lang_hint = dump.path, dump.lang_hint
    title = child_text(elem, "title") or ""
    ns = (child_text(elem, "ns") or "0").strip()
    page_id = (child_text(elem, "id") or "").strip()
    if ns not in rules.namespaces:
        counts["other_namespace"] += 1
        return None
    if child(elem, "redirect") is not None:
        counts["redirects"] += 1
        return None
    rev = child(elem, "revision")
    if rev is None:
        return SourceError(path, index, page_id or None, f"page {title!r} has no revision")
    wikitext = child_text(rev, "text") or ""
    if is_redirect_text(wikitext):
        counts["redirects"] += 1
        return None
    if rules.skip_disambiguation and is_disambiguation(wikitext):
        counts["disambiguation"] += 1
        return None
    try:
        text = wikitext_to_text(
            wikitext,
            stop_sections=rules.stop_sections,
            keep_headings=rules.keep_headings,
            extra_drop_ns=dump.drop_ns,
        )
    except Exception as e:  # mwparserfromhell bugs on pathological markup: one page, not the file
        return SourceError(
            path, index, page_id or None, f"wikitext conversion failed for {title!r}: {type(e).__name__}: {e}"
        )
    if len(text) < rules.min_chars:
        counts["empty"] += 1
        return None
    counts["articles"] += 1
    rev_id = (child_text(rev, "id") or "").strip()
    db = dump.dbname or (f"{lang_hint}wiki" if lang_hint else "wiki")
    return SourceDocument(
        id=f"{db}:{page_id}",
        text=text,
        url=_page_url(dump.base, title),
        source_path=path,
        record_id=page_id or None,
        offset=index,
        date=(child_text(rev, "timestamp") or None),
        lang_hint=lang_hint,
        extra={"title": title, "namespace": ns, "revision_id": rev_id, "dbname": db},
    )
