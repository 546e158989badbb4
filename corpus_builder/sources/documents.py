"""The common contract of the non-WARC readers (Wikipedia, KAKEN, Dolma, The Stack, crawled PDFs).

Every reader is a generator ``iter_<kind>(path, **options)`` that yields, in file order, one
:class:`SourceDocument` per usable record and one :class:`SourceError` per record that could not be read.
An error never ends the iteration (except when the file itself ends early, which is reported as one final
error): the caller counts and records it, and reading goes on.  Opening errors (missing file, HTTP 404)
are raised, as :func:`corpus_builder.sources.warc.reader.iter_warc` does: they concern the input, not a
record.

Documents that come from these readers are already plain text: the pipeline must skip the decode /
pre-detection / extraction stages for them and send them to language ID and quality filtering.

Determinism: ``id`` is derived from the source record only (page id, award number, dolma id, repo+path),
never from time or from the order of workers, so a rerun gives the same ids.
"""

from __future__ import annotations

import bz2
import gzip
import hashlib
import io
import lzma
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import BinaryIO

__all__ = ["SourceDocument", "SourceError", "open_decompressed", "open_raw", "stable_id"]


@dataclass(slots=True)
class SourceDocument:
    id: str  # stable, derived from the source record (page id, award number, dolma id, ...)
    text: str
    url: str | None
    source_path: str  # the file it came from (goes to the `warc_path` provenance column)
    record_id: str | None  # page id / revision id / award number / repo+path
    offset: int | None  # byte offset or running index within the file
    date: str | None  # ISO date if known
    lang_hint: str | None  # e.g. "ja" from a dump's language, None if unknown
    # source-specific provenance; a list value (e.g. The Stack's licences) is written comma-separated
    extra: dict[str, str | list[str]] = field(default_factory=dict)


@dataclass(slots=True)
class SourceError:
    """A record that could not be read; reading goes on after it."""

    source_path: str
    offset: int | None
    record_id: str | None
    reason: str


def stable_id(*parts: object) -> str:
    """A short deterministic id from the given parts (used when the source has no usable id)."""
    h = hashlib.sha1("\x1f".join("" if p is None else str(p) for p in parts).encode("utf-8"))
    return h.hexdigest()[:32]


def open_raw(path: str) -> BinaryIO:
    """Open a local path or URL (with ``open_input``'s retries) as stored: compressed stays compressed."""
    from corpus_builder.sources.remote import open_input  # here: requests loads only when an input is opened

    return open_input(path)


def open_decompressed(path: str, open_fn: Callable[[str], BinaryIO] | None = None) -> BinaryIO:
    """Open ``path`` (local or URL through ``open_input``) and undo gzip / bz2 / xz / zstd by magic bytes.

    The result is a streaming binary file; nothing is read into memory as a whole.  Multi-member gzip and
    concatenated bz2/xz streams are read to the end.  Corruption surfaces as an exception from ``read``
    (``EOFError`` for a truncated compressed stream, ``OSError``/``lzma.LZMAError``/``zlib.error`` for
    damage); readers turn that into a final :class:`SourceError`.
    """
    raw = (open_fn or open_raw)(path)
    buffered = raw if isinstance(raw, io.BufferedReader) else io.BufferedReader(_RawWrap(raw), 1 << 20)
    head = buffered.peek(6)[:6]
    if head[:2] == b"\x1f\x8b":
        return gzip.GzipFile(fileobj=buffered, mode="rb")  # type: ignore[return-value]
    if head[:3] == b"BZh":
        return bz2.BZ2File(buffered, "rb")  # type: ignore[return-value]
    if head[:6] == b"\xfd7zXZ\x00":
        return lzma.LZMAFile(buffered, "rb")  # type: ignore[return-value]
    if head[:4] == b"\x28\xb5\x2f\xfd":
        import zstandard

        reader = zstandard.ZstdDecompressor().stream_reader(buffered, read_across_frames=True)
        return io.BufferedReader(reader, 1 << 20)  # type: ignore[arg-type, return-value]
    return buffered  # type: ignore[return-value]


class _RawWrap(io.RawIOBase):
    """Adapts any object with ``read`` to ``io.RawIOBase`` so it can be wrapped in a BufferedReader."""

    def __init__(self, f: BinaryIO) -> None:
        self._f = f

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:  # type: ignore[override]
        data = self._f.read(len(b))
        b[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._f.close()
        super().close()
