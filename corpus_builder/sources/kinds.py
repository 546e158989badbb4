"""Source model → the reader of its files: from a `kind:` key of a pipeline file to code in one hop.

Every reader takes (the source's settings, the file to open, the body-size cap of WARC records) and
yields records: `WarcRecord`s (HTTP bodies, decoded and extracted by later stages) or
`SourceDocument`s (plain text), with `WarcReadError`/`SourceError` rows for what cannot be read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from corpus_builder.config.sources import (
    CommonCrawlSource,
    DolmaSource,
    KakenSource,
    StackSource,
    WarpSource,
    WikipediaSource,
)
from corpus_builder.sources import dolma, kaken, pdf, stack
from corpus_builder.sources.documents import SourceDocument, SourceError
from corpus_builder.sources.remote import open_input
from corpus_builder.sources.warc.reader import iter_warc
from corpus_builder.sources.warc.record import WarcReadError, WarcRecord
from corpus_builder.sources.wikipedia.dump import iter_wikipedia
from corpus_builder.sources.wikipedia.parquet import iter_wikipedia_parquet

Record = WarcRecord | WarcReadError | SourceDocument | SourceError
Reader = Callable[[Any, str, int], Iterator[Record]]


def read_warc(source: CommonCrawlSource, path: str, max_payload_bytes: int) -> Iterator[Record]:
    return iter_warc(path, open_fn=open_input, max_payload_bytes=max_payload_bytes)


def read_warp(source: WarpSource, path: str, max_payload_bytes: int) -> Iterator[Record]:
    if source.content == "pdf":
        return pdf.iter_warc_pdfs(path, open_fn=open_input, max_pages=source.max_pdf_pages)
    return iter_warc(path, open_fn=open_input, max_payload_bytes=max_payload_bytes)


def read_wikipedia(source: WikipediaSource, path: str, max_payload_bytes: int) -> Iterator[Record]:
    if source.format == "parquet":
        return iter_wikipedia_parquet(path, lang=source.lang, open_fn=open_input)
    return iter_wikipedia(
        path,
        namespaces=source.namespaces,
        lang=source.lang,
        keep_headings=source.keep_headings,
        skip_disambiguation=source.skip_disambiguation,
        min_chars=source.min_chars,
        open_fn=open_input,
    )


def read_kaken(source: KakenSource, path: str, max_payload_bytes: int) -> Iterator[Record]:
    return kaken.iter_kaken(path, lang=source.lang, types=source.paragraph_types, open_fn=open_input)


def read_dolma(source: DolmaSource, path: str, max_payload_bytes: int) -> Iterator[Record]:
    return dolma.iter_dolma(path, lang=source.lang)


def read_stack(source: StackSource, path: str, max_payload_bytes: int) -> Iterator[Record]:
    return stack.iter_stack(path, lang=source.lang)


READERS: dict[type, Reader] = {
    CommonCrawlSource: read_warc,
    WarpSource: read_warp,
    WikipediaSource: read_wikipedia,
    KakenSource: read_kaken,
    DolmaSource: read_dolma,
    StackSource: read_stack,
}
