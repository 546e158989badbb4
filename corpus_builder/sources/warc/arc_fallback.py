"""The legacy path: warcio reads ARC files (``filedesc://``), which neither of our paths understands."""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

from corpus_builder.sources.warc.headers import BLOCK_SLACK
from corpus_builder.sources.warc.record import RawRecord, WarcReadError


def warcio_arc_records(f: BinaryIO, path: str, max_payload: int) -> Iterator[RawRecord | WarcReadError]:
    from warcio.archiveiterator import ArchiveIterator

    it = ArchiveIterator(f, arc2warc=True)
    keep = max_payload + BLOCK_SLACK
    off: int | None = 0
    try:
        for rec in it:
            headers = {k.lower(): v for k, v in reversed(rec.rec_headers.headers)}
            # rebuild the raw HTTP block so that build_record parses it like the other paths
            block = b""
            if rec.http_headers is not None and rec.http_headers.protocol.startswith("HTTP"):
                block = rec.http_headers.to_bytes()
            stream = rec.raw_stream
            body = stream.read(keep + 1)
            block += body
            cut = len(body) > keep
            while stream.read(1 << 16):  # let warcio skip the rest itself
                pass
            off = it.get_record_offset()  # only valid once the record was read (warcio quirk)
            yield RawRecord(off, headers, block[: keep + len(block) - len(body)], cut)
    except Exception as e:
        yield WarcReadError(path, off, None, f"ARC/WARC read error (warcio): {e}"[:300])
