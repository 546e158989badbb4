"""Reader of MediaWiki XML dumps (``*-pages-articles*.xml``, plain or compressed): streams the pages with
``iterparse``, clearing each finished one, and turns a dump that ends early into one error after every
complete page."""

from __future__ import annotations

import xml.etree.ElementTree as ET
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from corpus_builder.sources.documents import SourceDocument, SourceError, open_decompressed
from corpus_builder.sources.wikipedia.dump_page import (
    DumpInfo,
    PageRules,
    child,
    child_text,
    local_name,
    page_item,
)
from corpus_builder.sources.wikipedia.vocabulary import STOP_SECTIONS

__all__ = ["iter_wikipedia"]


@dataclass
class _Progress:
    """How far a dump was read, for the error that ends it early."""

    page_index: int = -1
    last_id: str | None = None


def iter_wikipedia(
    path: str,
    *,
    namespaces: Iterable[int] = (0,),
    lang: str | None = None,
    keep_headings: bool = True,
    skip_disambiguation: bool = True,
    stop_sections: Iterable[str] = STOP_SECTIONS,
    min_chars: int = 1,
    open_fn: Callable[[str], BinaryIO] | None = None,
    stats: dict[str, int] | None = None,
) -> Iterator[SourceDocument | SourceError]:
    """Yield one document per article of a MediaWiki XML dump (policy: the package docstring).

    ``lang`` overrides the language hint (default: the dump's ``xml:lang``, else the dbname prefix).
    ``stats`` (optional dict) receives counts: pages, articles, redirects, disambiguation, other_namespace,
    empty, errors.
    """
    counts = stats if stats is not None else {}
    for key in ("pages", "articles", "redirects", "disambiguation", "other_namespace", "empty", "errors"):
        counts.setdefault(key, 0)
    rules = PageRules(
        frozenset(str(n) for n in namespaces), keep_headings, skip_disambiguation, stop_sections, min_chars
    )
    stream = open_decompressed(path, open_fn)
    dump = DumpInfo(path, lang_hint=lang)
    progress = _Progress()
    try:
        try:
            yield from _dump_items(stream, dump, rules, counts, progress)
        except ET.ParseError as e:
            counts["errors"] += 1
            yield SourceError(
                path,
                progress.page_index + 1,
                None,
                f"XML dump ends early or is malformed after {progress.page_index + 1} pages"
                f" (last complete page id {progress.last_id}): {e}",
            )
    except (EOFError, OSError, zlib.error, ValueError) as e:
        counts["errors"] += 1
        yield _stream_error(path, progress, e)
    finally:
        stream.close()


def _dump_items(
    stream: BinaryIO, dump: DumpInfo, rules: PageRules, counts: dict[str, int], progress: _Progress
) -> Iterator[SourceDocument | SourceError]:
    """Documents and page errors of the dump's pages in order; XML and stream errors propagate."""
    root: ET.Element | None = None
    for event, elem in ET.iterparse(stream, events=("start", "end")):
        tag = local_name(elem.tag)
        if event == "start":
            if root is None:
                root = elem
                if dump.lang_hint is None:
                    dump.lang_hint = elem.get("{http://www.w3.org/XML/1998/namespace}lang")
            continue
        if tag == "siteinfo":
            _read_siteinfo(elem, dump)
            if root is not None:
                root.clear()
            continue
        if tag != "page":
            continue
        progress.page_index += 1
        counts["pages"] += 1
        try:
            item = page_item(elem, progress.page_index, dump, rules, counts)
        finally:
            progress.last_id = child_text(elem, "id") or progress.last_id
            if root is not None:
                root.clear()  # drop the finished page (and anything before it) from the tree
        if item is not None:
            if isinstance(item, SourceError):
                counts["errors"] += 1
            yield item


def _read_siteinfo(elem: ET.Element, dump: DumpInfo) -> None:
    """Fill ``dump`` from ``<siteinfo>``: dbname, base URL, the localised namespaces whose links are dropped
    (File, Category, Media) and, when the root had no ``xml:lang``, the language from the dbname."""
    dump.dbname = dbname = child_text(elem, "dbname")
    dump.base = child_text(elem, "base")
    nss = child(elem, "namespaces")
    if nss is not None:
        for ns in nss:
            if ns.get("key") in ("6", "14", "-2") and ns.text:
                dump.drop_ns.add(ns.text.strip().casefold())
    if dump.lang_hint is None and dbname and dbname.endswith("wiki"):
        dump.lang_hint = dbname[: -len("wiki")].replace("_", "-") or None


def _stream_error(path: str, progress: _Progress, e: Exception) -> SourceError:
    """The error for a compressed stream that ends early or is damaged, with how far the dump was read."""
    import lzma

    kind = "compressed stream ends early" if isinstance(e, EOFError) else "compressed stream is damaged"
    if isinstance(e, lzma.LZMAError):
        kind = "xz stream is damaged"
    return SourceError(
        path,
        progress.page_index + 1,
        None,
        f"{kind} after {progress.page_index + 1} pages (last complete page id {progress.last_id}): {e}",
    )
