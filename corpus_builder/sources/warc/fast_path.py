"""The fast path: clean records in the usual layouts (one gzip member per record, or a plain ``.warc``),
handing the rest of the file to the careful path at the first record that is not exactly well formed."""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from typing import BinaryIO

from corpus_builder.sources.warc.careful_path import careful_records
from corpus_builder.sources.warc.headers import (
    BLOCK_SLACK,
    CHUNK,
    GZIP_MAGIC,
    INFLATE_INPUT,
    MAX_HEADER,
    header_fields,
    swallowed_records_start,
)
from corpus_builder.sources.warc.record import RawRecord, WarcReadError


def _clean_head(data: bytes, pos: int) -> tuple[dict[str, str], int, int] | None:
    """(headers, block start, Content-Length) of a well-formed WARC header at ``pos``, else None.

    Well-formed = CRLF line endings only, one version line, a decimal Content-Length; anything else is left
    to the careful reader, which knows the leniencies and the damage.
    """
    if not data.startswith(b"WARC/", pos):
        return None
    hend = data.find(b"\r\n\r\n", pos, pos + MAX_HEADER)
    if hend < 0:
        return None
    text = data[pos:hend]
    if text.find(b"WARC/", 1) >= 0 or text.count(b"\n") != text.count(b"\r\n"):
        return None
    headers = header_fields(text[text.find(b"\n") + 1 :])
    clen = headers.get("content-length", "")
    if not (clen.isascii() and clen.isdigit()) or len(clen) > 18:
        return None
    return headers, hend + 4, int(clen)


class _Reader:
    """Raw bytes of ``f`` as one immutable buffer with absolute offsets (the fast paths' input)."""

    def __init__(self, f: BinaryIO) -> None:
        self.f = f
        self.buf = b""
        self.base = 0  # absolute offset of buf[0]
        self.eof = False

    def fill(self, end: int) -> None:
        """Read until ``buf`` holds ``end`` bytes (or the file ends)."""
        while len(self.buf) < end and not self.eof:
            chunk = self.f.read(max(CHUNK, end - len(self.buf)))
            if chunk:
                self.buf += chunk
            else:
                self.eof = True

    def drop_before(self, pos: int) -> int:
        """Forget bytes before buffer position ``pos`` when that frees a lot; returns pos's new index."""
        if pos > CHUNK:
            self.buf = self.buf[pos:]
            self.base += pos
            return 0
        return pos


def fast_gzip_records(f: BinaryIO, path: str, max_payload: int) -> Iterator[RawRecord | WarcReadError]:
    """One record per gzip member, as Common Crawl writes: inflate, check, emit.

    The first member that is not exactly one well-formed record followed by its CRLF CRLF (or that is not a
    gzip member at all) hands the rest of the file, from that member's offset, to the careful reader.
    """
    r = _Reader(f)
    limit = max_payload + BLOCK_SLACK
    pos = 0
    while True:
        pos = r.drop_before(pos)
        r.fill(pos + 3)
        if pos >= len(r.buf):
            return
        if not r.buf.startswith(GZIP_MAGIC, pos):
            break
        d = zlib.decompressobj(31)
        parts: list[bytes] = []
        total = 0
        p = pos
        head = None
        ok = True
        while True:
            r.fill(p + INFLATE_INPUT)
            if p >= len(r.buf):
                ok = False  # cut member
                break
            inp = r.buf[p : p + INFLATE_INPUT]
            try:
                out = d.decompress(inp, limit - total)
            except zlib.error:
                ok = False
                break
            parts.append(out)
            total += len(out)
            if d.eof:
                p += len(inp) - len(d.unused_data)
                break
            if d.unconsumed_tail:
                ok = False  # over the size bound: the careful reader keeps the head and streams the rest
                break
            p += len(inp)
            if head is None:
                head = _clean_head(b"".join(parts), 0)
                if head is None or head[1] + head[2] + 4 < total or head[1] + head[2] > limit:
                    ok = False  # not one record of a size we keep whole
                    break
        if not ok:
            break
        rec = b"".join(parts)
        head = _clean_head(rec, 0)
        if head is None:
            break
        headers, bstart, clen = head
        end = bstart + clen
        if len(rec) != end + 4 or not rec.endswith(b"\r\n\r\n"):
            break
        if swallowed_records_start(rec[bstart:end], b"\r\n\r\n") >= 0:
            break
        yield RawRecord(r.base + pos, headers, rec[bstart:end], False)
        pos = p
    yield from careful_records(f, r.base + pos, path, max_payload, True, r.buf[pos:])


def fast_plain_records(f: BinaryIO, path: str, max_payload: int) -> Iterator[RawRecord | WarcReadError]:
    """Well-formed records of a plain ``.warc``, each followed by CRLF CRLF and the next record; the first
    anomaly (and the last record) hands the rest of the file, from that record's offset, to the careful
    reader."""
    r = _Reader(f)
    limit = max_payload + BLOCK_SLACK
    pos = 0
    while True:
        pos = r.drop_before(pos)
        r.fill(pos + MAX_HEADER)
        if pos >= len(r.buf):
            return
        head = _clean_head(r.buf, pos)
        if head is None:
            break
        headers, bstart, clen = head
        end = bstart + clen
        if end - pos > limit:
            break
        r.fill(end + 9)
        nxt = r.buf[end + 4 : end + 9]
        # the last record is left to the careful reader, which checks that it did not swallow the ones before
        # the end (a Content-Length of exactly the rest of the file)
        if r.buf[end : end + 4] != b"\r\n\r\n" or nxt != b"WARC/":
            break
        if swallowed_records_start(r.buf[bstart:end], b"\r\n\r\n") >= 0:
            break
        yield RawRecord(r.base + pos, headers, r.buf[bstart:end], False)
        pos = end + 4
    yield from careful_records(f, r.base + pos, path, max_payload, False, r.buf[pos:])
