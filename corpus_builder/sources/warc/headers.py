"""WARC framing shared by the fast and the careful path: size bounds, the version-line and header-end
patterns, header fields, and the check for whole records swallowed by a block whose length is wrong."""

from __future__ import annotations

import re

GZIP_MAGIC = b"\x1f\x8b\x08"
CHUNK = 1 << 20  # raw read size
MAX_HEADER = 64 << 10  # WARC and HTTP header block limit
BLOCK_SLACK = 64 << 10  # room for HTTP headers on top of max_payload_bytes
INFLATE_INPUT = 16 << 10  # compressed bytes handed to zlib at a time
RESYNC_PROBE = 4096  # compressed bytes inflated to validate a resync candidate
# a WARC version line; not anchored to a line start: a record cut short runs straight into the next one
VERSION_FIND = re.compile(rb"WARC/\d+\.\d+[ \t]*\r?\n")
HEADER_END = re.compile(rb"\r?\n\r?\n")  # end of a header block, CRLF or bare LF (as warcio accepts)


def header_fields(text: bytes) -> dict[str, str]:
    """Header lines (CRLF or bare LF) as lower-cased name -> value; first occurrence wins.

    Names are matched whatever their case and whitespace around them; an obsolete folded line continues
    the previous value; lines without a colon are ignored.
    """
    headers: dict[str, str] = {}
    if b"\n " in text or b"\n\t" in text:  # obsolete line folding: unfold first (rare)
        text = re.sub(rb"\r?\n[ \t]+", b" ", text)
    for line in text.decode("utf-8", "replace").split("\n"):  # one decode: ~2x faster than per field
        name, sep, value = line.partition(":")
        if sep:
            key = name.strip().lower()
            if key not in headers:
                headers[key] = value.strip()
    return headers


def swallowed_records_start(block: bytes | bytearray, after: bytes, straddle: bool = False) -> int:
    """Offset in ``block`` of the first of whole WARC records that fill it to its end, else -1.

    A record cut short and followed directly by the next one can have a Content-Length that ends exactly
    where a later record ends: its block then holds those records whole.  They are told from a page that
    quotes WARC headers by their chain: each one's Content-Length leads to the next header or to the block's
    end (the last may run on into the line breaks in ``after``, the bytes that follow the block).  A chain
    starting right at the body (a WARC file served as the page) is content, not damage.  With ``straddle``
    (the careful reader, which only runs once a file showed damage) a chain whose last record runs past
    the block's end counts too: the block ends inside a record it swallowed in part.
    """
    if block.find(b"WARC/", 1) < 0:  # the common case, at C speed
        return -1
    body = HEADER_END.search(block, 0, MAX_HEADER) if block.startswith(b"HTTP/") else None
    content_start = body.end() if body is not None else 0
    n = len(block)
    plausible = 0
    for m in VERSION_FIND.finditer(block, 1):
        first = pos = m.start()
        if first == content_start:
            continue
        while True:
            version = VERSION_FIND.match(block, pos)
            end = HEADER_END.search(block, pos, pos + MAX_HEADER)
            if version is None or end is None:
                break
            fields = header_fields(bytes(block[version.end() : end.start()]))
            clen = fields.get("content-length", "")
            if not (clen.isascii() and clen.isdigit()) or not (
                "warc-type" in fields or "warc-record-id" in fields
            ):
                break
            if pos == first:
                plausible += 1
                if plausible > 16:  # bound the work on a page that quotes many headers
                    return -1
            nxt = end.end() + int(clen)
            if nxt > n:
                over = nxt - n
                if straddle or (over <= len(after) and not after[:over].strip(b"\r\n")):
                    return first
                break
            while nxt < n and block[nxt] in (0x0D, 0x0A):
                nxt += 1
            if nxt == n:
                return first
            pos = nxt
    return -1
