"""The HTTP part of a WARC response record: status line, header block and the body as the server meant it.

Lenient where the meaning is clear, as browsers and warcio are: a doubled protocol token
(``HTTP/1.1 HTTP/1.1 200 OK``, written by some archiving tools), a status line without reason phrase,
bare-LF line endings and any header-name case or whitespace.  Each leniency is reported by name so that
the reader step can count it in its stats.

Bodies: chunked transfer coding is undone (Common Crawl stores bodies de-chunked but may keep the header, so
a body that is not validly chunked is kept as is); ``Content-Encoding`` gzip (every member), deflate (zlib
or raw, both are seen in the wild), br and stacked codings are decoded with an output bound.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass

__all__ = ["HttpHead", "parse_head", "dechunk", "decode_content", "looks_like_text"]

_HEAD_END = re.compile(rb"\r?\n\r?\n")
# one or more protocol tokens (the doubled one is a writer bug), a 3-digit code, an optional reason
_STATUS_LINE = re.compile(rb"((?:HTTP/\d+(?:\.\d+)?[ \t]+)+)(\d{3})(?:([ \t])[^\r\n]*)?\r?", re.I)
_FIELDS = re.compile(
    rb"^[ \t]*(content-type|content-language|transfer-encoding|content-encoding)[ \t]*:"
    rb"[ \t]*([^\r\n]*?)[ \t]*\r?$",
    re.I | re.M,
)
_CHUNK_SIZE = re.compile(rb"[ \t]*([0-9a-fA-F]{1,16})[ \t]*(?:;[^\r\n]*)?\r?\n")


@dataclass(slots=True)
class HttpHead:
    status: int
    fields: dict[str, str]  # the four fields the pipeline uses, lower-cased names; first occurrence wins
    body_start: int
    lenient: list[str]


def parse_head(block: bytes, max_head: int) -> HttpHead | str:
    """Parse the HTTP status line and header block at the start of ``block``; an error reason on failure."""
    m = _HEAD_END.search(block, 0, max_head)
    if m is None:
        if len(block) >= max_head:
            return "HTTP header too long"
        end = body_start = len(block)  # headers only, no body
    else:
        end, body_start = m.start(), m.end()
    eol = block.find(b"\n", 0, end)
    first = block[: eol if eol >= 0 else end]
    sm = _STATUS_LINE.fullmatch(first)
    if sm is None:
        return f"invalid HTTP status line {first[:60]!r}"
    lenient = []
    if sm.group(1).upper().count(b"HTTP/") > 1 or sm.group(3) is None:
        lenient.append("lenient_status_line")
    head = block[:end]
    if head.count(b"\n") != head.count(b"\r\n") or (m is not None and m.group() != b"\r\n\r\n"):
        lenient.append("lenient_http_line_endings")
    fields: dict[str, str] = {}
    for f in _FIELDS.finditer(block, 0, end):
        fields.setdefault(f.group(1).lower().decode("ascii"), f.group(2).decode("utf-8", "replace"))
    return HttpHead(int(sm.group(2)), fields, body_start, lenient)


def dechunk(body: bytes, limit: int) -> tuple[bytes, bool] | None:
    """Undo chunked transfer coding: (data, complete), or None if ``body`` is not chunked at all.

    ``complete`` is False when the body ends before the last (zero-size) chunk: the server's response was
    cut.  Output stops after ``limit`` bytes.
    """
    out = bytearray()
    pos = 0
    n = len(body)
    while pos < n:
        m = _CHUNK_SIZE.match(body, pos)
        if m is None:
            return None if pos == 0 else (bytes(out), False)
        size = int(m.group(1), 16)
        pos = m.end()
        if size == 0:
            return bytes(out), True
        out += body[pos : pos + size]
        if pos + size > n:
            return bytes(out), False
        if len(out) > limit:
            return bytes(out), True
        pos += size
        if body[pos : pos + 2] == b"\r\n":
            pos += 2
        elif body[pos : pos + 1] == b"\n":
            pos += 1
    return bytes(out), False


@dataclass(slots=True)
class Decoded:
    data: bytes
    consumed: int  # input bytes that produced ``data`` (the expansion ratio when the bound was hit)
    complete: bool  # False: the encoded stream ended early (data is what it held)


def _gunzip_members(body: bytes, limit: int) -> Decoded:
    """Every gzip member of ``body`` (a zlib stream too), at most ``limit + 1`` bytes out."""
    out = bytearray()
    pos = 0
    while True:
        d = zlib.decompressobj(47)  # 32 + 15: gzip or zlib header
        rest = body[pos:]
        out += d.decompress(rest, limit + 1 - len(out))
        if not d.eof:
            full = len(out) > limit
            return Decoded(bytes(out), pos + len(rest) - len(d.unconsumed_tail), full)
        pos = len(body) - len(d.unused_data)
        if len(out) > limit or body[pos : pos + 2] != b"\x1f\x8b":
            # trailing NULs or junk after the last member are ignored, as gzip(1) does
            return Decoded(bytes(out), pos, True)


def _decode_one(body: bytes, coding: str, limit: int) -> Decoded:
    if coding in ("gzip", "x-gzip"):
        return _gunzip_members(body, limit)
    if coding == "deflate":
        try:  # RFC 9110 says zlib-wrapped; raw deflate is common in the wild
            return _gunzip_members(body, limit)
        except zlib.error:
            d = zlib.decompressobj(-15)
            out = d.decompress(body, limit + 1)
            return Decoded(out, len(body) - len(d.unconsumed_tail), d.eof or len(out) > limit)
    if coding == "br":
        import brotli  # pyproject dependency

        dec = brotli.Decompressor()
        out = dec.process(body, output_buffer_limit=limit + 1)
        # brotli does not report what it consumed: the ratio is a lower bound
        return Decoded(out, len(body), dec.is_finished() or len(out) > limit)
    raise ValueError(f"unsupported Content-Encoding {coding!r}")


def decode_content(body: bytes, codings: str, limit: int) -> Decoded | str:
    """Undo a ``Content-Encoding`` list (applied left to right, undone right to left); a reason on failure."""
    data = Decoded(body, len(body), True)
    for coding in reversed([c.strip().lower() for c in codings.split(",")]):
        if coding in ("", "identity"):
            continue
        try:
            step = _decode_one(data.data, coding, limit)
        except Exception as e:  # zlib.error, brotli.error, ValueError
            return f"{coding} Content-Encoding decode failed: {e}"[:200]
        data = Decoded(
            step.data,
            step.consumed if data.consumed == len(body) else data.consumed,
            data.complete and step.complete,
        )
    return data


def looks_like_text(data: bytes) -> bool:
    """Do the first bytes look like text (no more than 1% C0 controls besides whitespace and ESC)?"""
    head = data[:2048]
    if not head:
        return True
    controls = sum(1 for b in head if b < 0x20 and b not in (0x09, 0x0A, 0x0C, 0x0D, 0x1B))
    return controls * 100 <= len(head)
