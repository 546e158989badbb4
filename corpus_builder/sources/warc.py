"""Robust, streaming WARC record reading.

``iter_warc`` yields one item per WARC record of the requested types: a :class:`WarcRecord` for a good
record, a :class:`WarcReadError` for a bad one.  A bad record never ends the iteration: every good record
before *and after* it still comes out.

Three readers cooperate:

* **fast path** -- fastwarc (C++).  It frames records and inflates gzip; we ask it for the raw WARC block
  (``parse_http=False``) and parse HTTP ourselves so that the block length can be checked against
  ``Content-Length`` and both paths decode payloads identically.  fastwarc has no recovery: on broken input
  it raises ``OSError`` (and ends the iteration) or silently returns a short block.  Either makes us hand
  over to the slow path.  The record fastwarc returned last is held back until fastwarc has read the next
  one cleanly, because a too-long ``Content-Length`` makes fastwarc return a record that swallowed its
  successor and only fails on the record after it.
* **slow path** -- our own pure-Python reader (:class:`_Parser` over :class:`_GzipStream` /
  :class:`_PlainStream`).  It tracks gzip member boundaries itself, so it can resynchronise: after a corrupt
  or truncated member it scans for the next ``1f 8b 08`` whose inflated start is ``WARC/``; in plain files
  it scans for the next ``WARC/x.y`` line.  It starts at the last record fastwarc delivered (seeking when
  the stream allows and the offset is verified, otherwise re-reading from 0 and skipping records already
  delivered) and then reads to the end of the file.
* **legacy path** -- warcio, only for ARC files (``filedesc://`` first line), which neither of the above
  understands.  warcio cannot resynchronise, so an exception there ends the file with one error.

Bounds (no input may make us loop forever or use unbounded memory): the raw input is read in 1 MiB chunks;
a WARC header is at most 64 KiB; a record block is kept up to ``max_payload_bytes`` + 64 KiB and the rest is
streamed past; every resynchronisation step moves strictly forward.

Policy decisions:

* A payload longer than ``max_payload_bytes`` is cut and the record is emitted with ``truncated="length"``
  (unless the WARC already carries ``WARC-Truncated``), so callers can still use the head of a big page.
* HTTP ``Content-Encoding`` (gzip, deflate, br) is decoded with an output bound of ``max_payload_bytes``.
  When the bound is hit and the expansion ratio is > 100x the record is reported as
  ``"payload decompression bomb"``; otherwise it is emitted cut, with ``truncated="length"``.
* A record whose block is incomplete (truncated gzip member, truncated file, corrupt member) is reported as
  an error, never emitted with a partial payload: a half page cannot be told apart from a whole one later.
* Offsets: for gzip files, the offset of the gzip member the record starts in (equal to warcio's
  ``get_record_offset()`` for the usual one-member-per-record layout; records sharing a member share its
  offset); for plain files, the byte offset of the ``WARC/`` line.
"""

from __future__ import annotations

import contextlib
import io
import re
import zlib
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

__all__ = ["WarcRecord", "WarcReadError", "iter_warc"]


@dataclass(slots=True)
class WarcRecord:
    warc_path: str
    offset: int
    record_id: str
    record_type: str
    target_uri: str
    date: str
    http_status: int | None
    content_type: str | None
    http_charset: str | None
    content_language: str | None
    payload: bytes
    truncated: str | None
    identified_type: str | None = None  # WARC-Identified-Payload-Type: media type detected from the bytes


@dataclass(slots=True)
class WarcReadError:
    warc_path: str
    offset: int | None
    record_id: str | None
    reason: str


_GZIP_MAGIC = b"\x1f\x8b\x08"
_CHUNK = 1 << 20  # raw read size
_MAX_HEADER = 64 << 10  # WARC and HTTP header block limit
_BLOCK_SLACK = 64 << 10  # room for HTTP headers on top of max_payload_bytes
_BOMB_RATIO = 100
_RESYNC_PROBE = 4096  # compressed bytes inflated to validate a resync candidate
_MAX_MEMBER_REWIND = 16 << 20  # raw bytes of the current member kept for rescanning after corruption
_HTTP_FIELDS = re.compile(
    rb"^(content-type|content-language|transfer-encoding|content-encoding)[ \t]*:[ \t]*([^\r\n]*?)[ \t]*\r?$",
    re.I | re.M,
)
_WARC_LINE = re.compile(rb"\nWARC/\d+\.\d+\r?\n")


# ---------------------------------------------------------------------------------------------------------
# Record construction shared by all paths
# ---------------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Raw:
    """One framed WARC record before HTTP parsing."""

    offset: int
    headers: dict[str, str]  # lower-cased names; first occurrence wins
    block: bytes  # at most max_payload_bytes + _BLOCK_SLACK bytes of the block
    block_cut: bool  # block was longer than what we kept


def _parse_header_lines(lines: list[bytes]) -> dict[str, str]:
    headers: dict[str, str] = {}
    last: str | None = None
    for line in lines:
        if not line:
            continue
        if line[:1] in (b" ", b"\t") and last is not None:  # obsolete line folding
            headers[last] += " " + line.strip().decode("utf-8", "replace")
            continue
        name, sep, value = line.partition(b":")
        if not sep:
            continue
        key = name.strip().decode("latin-1").lower()
        last = key
        headers.setdefault(key, value.strip().decode("utf-8", "replace"))
    return headers


def _split_content_type(value: str | None) -> tuple[str | None, str | None]:
    if not value:
        return None, None
    parts = value.split(";")
    mime = parts[0].strip().lower() or None
    charset = None
    for p in parts[1:]:
        k, _, v = p.partition("=")
        if k.strip().lower() == "charset":
            charset = v.strip().strip("\"'").lower() or None
    return mime, charset


def _dechunk(body: bytes, limit: int) -> bytes | None:
    """Decode HTTP chunked transfer-encoding; None if the body is not validly chunked.

    Common Crawl stores bodies already de-chunked but may keep the header, so callers fall back to the raw
    body on None (as warcio does).
    """
    out = bytearray()
    pos = 0
    n = len(body)
    while pos < n:
        eol = body.find(b"\r\n", pos, pos + 1024)
        if eol < 0:
            return None
        size_s = body[pos:eol].split(b";", 1)[0].strip()
        try:
            size = int(size_s, 16)
        except ValueError:
            return None
        pos = eol + 2
        if size == 0:
            return bytes(out)
        if pos + size > n:  # last chunk cut short: keep what there is
            out += body[pos:]
            return bytes(out)
        out += body[pos : pos + size]
        if len(out) > limit:
            return bytes(out)
        pos += size
        if body[pos : pos + 2] == b"\r\n":
            pos += 2
    return bytes(out)


def _decode_content(body: bytes, encoding: str, limit: int) -> tuple[bytes | None, int, str | None]:
    """Undo Content-Encoding with at most ``limit + 1`` output bytes.

    Returns (data, input bytes consumed, error); data is None when the encoding is unknown (keep the raw
    body).  The consumed count gives the real expansion ratio when the output bound was hit.
    """
    enc = encoding.strip().lower()
    try:
        if enc in ("gzip", "x-gzip", "deflate"):
            # gzip: 16+; deflate is zlib-wrapped per RFC but often raw in the wild: try both
            wbits_options = (47,) if enc != "deflate" else (15, -15)
            last_err: Exception | None = None
            for wbits in wbits_options:
                try:
                    d = zlib.decompressobj(wbits)
                    out = d.decompress(body, limit + 1)
                    return out, len(body) - len(d.unconsumed_tail), None
                except zlib.error as e:
                    last_err = e
            raise last_err if last_err else zlib.error("undecodable")
        if enc == "br":
            try:
                import brotli  # optional dependency
            except ImportError:
                return None, 0, None
            dec = brotli.Decompressor()
            out = dec.process(body, output_buffer_limit=limit + 1)
            return out, len(body), None  # brotli does not report consumption: ratio is a lower bound
    except Exception as e:  # zlib.error, brotli.error
        return b"", 0, f"{enc} Content-Encoding decode failed: {e}"
    return None, 0, None


def _build(raw: _Raw, path: str, max_payload: int) -> WarcRecord | WarcReadError:
    h = raw.headers
    rid = h.get("warc-record-id")
    rid_clean = rid.strip().strip("<>") if rid else None
    if not rid_clean:
        return WarcReadError(path, raw.offset, None, "missing WARC-Record-ID header")
    rtype = h.get("warc-type")
    if not rtype:
        return WarcReadError(path, raw.offset, rid_clean, "missing WARC-Type header")
    truncated = h.get("warc-truncated") or None
    block = raw.block
    http_status = content_type = charset = language = None
    cut = raw.block_cut
    warc_ct = h.get("content-type", "")
    is_http = block[:5] == b"HTTP/" and (rtype in ("response", "revisit") or "application/http" in warc_ct)
    if is_http:
        end = block.find(b"\r\n\r\n", 0, _MAX_HEADER)
        sep = 4
        if end < 0:
            end = block.find(b"\n\n", 0, _MAX_HEADER)
            sep = 2
        if end < 0:
            if len(block) >= _MAX_HEADER or raw.block_cut:
                return WarcReadError(path, raw.offset, rid_clean, "HTTP header too long")
            end, sep = len(block), 0  # headers only, no body
        status_parts = block[: block.find(b"\n", 0, end) if b"\n" in block[:end] else end].split(None, 2)
        try:
            http_status = int(status_parts[1])
        except (IndexError, ValueError):
            return WarcReadError(path, raw.offset, rid_clean, "invalid HTTP status line")
        # only the four headers we use are extracted: a full parse costs ~25% of the fast path
        hh: dict[str, str] = {}
        for m in _HTTP_FIELDS.finditer(block, 0, end):
            hh.setdefault(m.group(1).lower().decode("ascii"), m.group(2).decode("utf-8", "replace"))
        content_type, charset = _split_content_type(hh.get("content-type"))
        language = hh.get("content-language") or None
        body = block[end + sep :]
        if "chunked" in hh.get("transfer-encoding", "").lower():
            dechunked = _dechunk(body, max_payload)
            if dechunked is not None:
                body = dechunked
        enc = hh.get("content-encoding", "")
        if enc and enc.lower() != "identity":
            # only the last encoding is undone; stacked encodings are vanishingly rare
            decoded, used, err = _decode_content(body, enc.split(",")[-1], max_payload)
            if err is not None:
                if body[:2] == b"\x1f\x8b" or enc.strip().lower() == "br":
                    return WarcReadError(path, raw.offset, rid_clean, err)
                # header lies (body is not compressed); keep raw body as warcio does
            elif decoded is not None:
                if len(decoded) > max_payload:
                    if len(decoded) > _BOMB_RATIO * max(used, 1):
                        return WarcReadError(
                            path,
                            raw.offset,
                            rid_clean,
                            f"payload decompression bomb (>{max_payload} bytes from {len(body)})",
                        )
                    cut = True
                body = decoded
    else:
        content_type, charset = _split_content_type(warc_ct or None)
        body = block
    if len(body) > max_payload:
        body = body[:max_payload]
        cut = True
    if cut and not truncated:
        truncated = "length"
    return WarcRecord(
        warc_path=path,
        offset=raw.offset,
        record_id=rid_clean,
        record_type=rtype,
        target_uri=h.get("warc-target-uri", "").strip("<>"),
        date=h.get("warc-date", ""),
        http_status=http_status,
        content_type=content_type,
        http_charset=charset,
        content_language=language,
        payload=bytes(body),
        truncated=truncated,
        identified_type=(h.get("warc-identified-payload-type") or "").split(";")[0].strip().lower() or None,
    )


# ---------------------------------------------------------------------------------------------------------
# Slow path: our own framing with resynchronisation
# ---------------------------------------------------------------------------------------------------------


class _RawSource:
    """Buffered raw bytes with absolute offsets; keeps bytes from ``keep_from`` on for rescanning."""

    __slots__ = ("f", "buf", "start", "cur", "eof", "keep_from")

    def __init__(self, f: BinaryIO, start: int) -> None:
        self.f = f
        self.buf = bytearray()
        self.start = start  # absolute offset of buf[0]
        self.cur = 0  # read cursor in buf
        self.eof = False
        self.keep_from = start

    @property
    def pos(self) -> int:
        return self.start + self.cur

    def avail(self) -> int:
        return len(self.buf) - self.cur

    def fill(self, n: int) -> bool:
        """Make at least n unread bytes available (False at EOF before that)."""
        while self.avail() < n and not self.eof:
            drop = min(self.cur, max(0, self.keep_from - self.start))
            if drop > _CHUNK:
                del self.buf[:drop]
                self.start += drop
                self.cur -= drop
            chunk = self.f.read(_CHUNK)
            if not chunk:
                self.eof = True
            else:
                self.buf += chunk
        return self.avail() >= n

    def seek_back(self, pos: int) -> int:
        """Move the cursor to ``pos`` if still buffered, else as close as possible; returns new pos."""
        self.cur = max(0, min(pos - self.start, len(self.buf)))
        return self.pos


class _Break:
    """A discontinuity in the decoded stream (corrupt/truncated member, garbage)."""

    __slots__ = ("offset", "reason")

    def __init__(self, offset: int, reason: str) -> None:
        self.offset = offset
        self.reason = reason


class _Stream:
    """Decoded bytes with positions mapped back to record offsets.

    ``data[rpos:]`` is unread.  ``marks`` holds (absolute decoded position, member offset, break-or-None):
    a member starting there, possibly preceded by a discontinuity.
    """

    gz = False

    def __init__(self, raw: _RawSource) -> None:
        self.raw = raw
        self.data = bytearray()
        self.base = 0  # absolute decoded position of data[0]
        self.rpos = 0  # absolute read position
        self.marks: deque[tuple[int, int, _Break | None]] = deque()
        self.floor_off = raw.pos  # member offset in effect before the first mark
        self.done = False

    # -- to be provided by subclasses
    def _produce(self) -> bool:  # append more data/marks; False when nothing more will come
        raise NotImplementedError

    def offset_at(self, apos: int) -> int:
        off = self.floor_off
        for mpos, moff, _ in self.marks:
            if mpos > apos:
                break
            off = moff
        return off

    @property
    def end(self) -> int:
        return self.base + len(self.data)

    def more(self) -> bool:
        if self.done:
            return False
        if not self._produce():
            self.done = True
            return False
        return True

    def break_at(self, apos: int) -> _Break | None:
        for mpos, _, brk in self.marks:
            if mpos > apos:
                break
            if mpos == apos and brk is not None:
                return brk
        return None

    def limit_from(self, apos: int) -> int:
        """End of the data readable from ``apos`` without crossing a break mark (marks at apos excluded)."""
        for mpos, _, brk in self.marks:
            if mpos > apos and brk is not None:
                return min(mpos, self.end)
        return self.end

    def ensure(self, n: int) -> bool:
        """Produce until n bytes are readable from rpos; False at EOF or when a break mark is in the way."""
        while self.limit_from(self.rpos) - self.rpos < n:
            if self.limit_from(self.rpos) < self.end or self.break_at(self.rpos) is not None:
                return False
            if not self.more():
                return False
        return True

    def drop_before(self, apos: int) -> None:
        drop = apos - self.base
        if drop > 0:
            del self.data[:drop]
            self.base = apos

    def compact(self) -> None:
        """Forget everything before rpos (called at record starts)."""
        while self.marks and self.marks[0][0] <= self.rpos:
            mpos, moff, brk = self.marks[0]
            if brk is not None and mpos == self.rpos:
                break  # an unreported break sits exactly here
            self.floor_off = moff
            self.marks.popleft()
        drop = self.rpos - self.base
        if drop > (256 << 10):
            del self.data[:drop]
            self.base = self.rpos

    def resync(self) -> None:
        raise NotImplementedError


class _PlainStream(_Stream):
    def _produce(self) -> bool:
        raw = self.raw
        if not raw.fill(1):
            return False
        chunk = raw.buf[raw.cur :]
        raw.cur = len(raw.buf)
        raw.keep_from = raw.pos
        self.data += chunk
        return True

    def offset_at(self, apos: int) -> int:
        return self.floor_off + apos

    def resync(self) -> None:
        """Skip to the next ``WARC/x.y`` line after rpos (bounded memory)."""
        frm = self.rpos + 1  # first position a new record may start at
        while True:
            m = _WARC_LINE.search(self.data, max(frm - 1 - self.base, 0))
            if m is not None:
                self.rpos = self.base + m.start() + 1
                return
            # nothing yet: drop what we scanned, keep a short tail in case the marker straddles chunks
            frm = max(frm, self.end - 32)
            self.rpos = max(self.rpos, frm - 1)
            self.drop_before(self.rpos)
            if not self.more():
                self.rpos = self.end
                return


class _GzipStream(_Stream):
    gz = True

    def __init__(self, raw: _RawSource) -> None:
        super().__init__(raw)
        self.d: zlib._Decompress | None = None  # type: ignore[name-defined]
        self.member_off = raw.pos
        self.pending: _Break | None = None  # break to attach to the next member mark
        self.n_marks = 0  # marks ever added (lets resync recognise members opened after it started)

    def _add_mark(self, off: int) -> None:
        self.marks.append((self.end, off, self.pending))
        self.n_marks += 1
        self.pending = None

    def _scan_member(self, frm: int) -> bool:
        """Find the next plausible member start at or after absolute raw offset ``frm``.

        Plausible = gzip magic whose first inflated bytes are ``WARC/``.  Leaves raw.cur there.
        """
        raw = self.raw
        raw.seek_back(frm)
        while True:
            raw.fill(3)
            if raw.avail() < 3:
                raw.cur = len(raw.buf)
                return False
            i = raw.buf.find(_GZIP_MAGIC, raw.cur)
            if i < 0:
                raw.cur = max(raw.cur, len(raw.buf) - 2)
                raw.keep_from = raw.pos
                if raw.eof:
                    raw.cur = len(raw.buf)
                    return False
                raw.fill(raw.avail() + 1)
                continue
            raw.cur = i
            raw.keep_from = raw.pos
            raw.fill(_RESYNC_PROBE)
            probe = bytes(raw.buf[raw.cur : raw.cur + _RESYNC_PROBE])
            try:
                head = zlib.decompressobj(31).decompress(probe, 16)
            except zlib.error:
                head = b""
            if head.startswith(b"WARC/"):
                return True
            raw.cur += 1

    def _produce(self) -> bool:
        raw = self.raw
        if self.d is None:  # at a member boundary
            if not raw.fill(1):
                if self.pending is not None:
                    self._add_mark(raw.pos)
                    return True
                return False
            raw.fill(3)
            if raw.buf[raw.cur : raw.cur + 3] != _GZIP_MAGIC:
                # NUL padding after the last member is common and harmless
                if raw.eof and not raw.buf[raw.cur :].strip(b"\x00\r\n"):
                    raw.cur = len(raw.buf)
                    return self._produce()
                gstart = raw.pos
                found = self._scan_member(gstart)
                reason = (
                    f"{raw.pos - gstart} bytes of garbage between gzip members"
                    if found
                    else f"{raw.pos - gstart} trailing bytes are not gzip/WARC data"
                )
                if self.pending is None:
                    self.pending = _Break(gstart, reason)
                if not found:
                    self._add_mark(raw.pos)
                    return True
            self.member_off = raw.pos
            raw.keep_from = raw.pos
            self.d = zlib.decompressobj(31)
            self._add_mark(self.member_off)
        d = self.d
        assert d is not None
        if raw.avail() == 0 and not raw.fill(1):
            tail = d.flush()  # output zlib may still hold back
            if tail:
                self.data += tail
            if d.eof:
                self.d = None
                return True
            # EOF inside a member
            self.d = None
            self.pending = _Break(self.member_off, "truncated gzip member")
            self._add_mark(raw.pos)
            return True
        inp = bytes(raw.buf[raw.cur : raw.cur + (256 << 10)])
        try:
            out = d.decompress(inp, 1 << 20)
        except zlib.error as e:
            self.d = None
            self.pending = _Break(self.member_off, f"corrupt gzip member ({e})")
            # the next member may start inside the bytes we already fed to zlib: rescan from here
            rescan_from = self.member_off + 1
            if rescan_from < raw.start:  # member larger than the rewind window; cannot go back further
                rescan_from = raw.start
            self._scan_member(rescan_from)
            self._add_mark(raw.pos)
            # the mark above is a placeholder discontinuity; the next _produce call opens the member
            return True
        used = len(inp) - len(d.unconsumed_tail) - (len(d.unused_data) if d.eof else 0)
        raw.cur += used
        if raw.pos - raw.keep_from > _MAX_MEMBER_REWIND:
            raw.keep_from = raw.pos - _MAX_MEMBER_REWIND
        self.data += out
        if d.eof:
            self.d = None
            raw.keep_from = raw.pos
        return True

    def resync(self) -> None:
        """Skip to the next member boundary after rpos."""
        before = self.n_marks
        while True:
            new = self.n_marks - before
            if new:  # a member opened while we were discarding: it starts at or after rpos
                self.rpos = max(self.rpos, self.marks[len(self.marks) - new][0])
                return
            for mpos, _, _ in self.marks:
                if mpos > self.rpos:
                    self.rpos = mpos
                    return
            # discard data while waiting for the member to end (bounded memory)
            self.rpos = self.end
            self.compact()
            if not self.more():
                self.rpos = self.end
                return


class _Parser:
    """Frames WARC records from a :class:`_Stream`; yields _Raw or WarcReadError.

    Every break mark produces exactly one error: attached to the record it cuts, or on its own when it
    sits between records.
    """

    def __init__(self, stream: _Stream, path: str, max_payload: int) -> None:
        self.s = stream
        self.path = path
        self.keep = max_payload + _BLOCK_SLACK

    def _err(self, off: int | None, rid: str | None, reason: str) -> WarcReadError:
        return WarcReadError(self.path, off, rid, reason)

    def _take_break(self, apos: int) -> _Break | None:
        """Return and clear the break mark at ``apos``, if any."""
        s = self.s
        for i, (mpos, moff, brk) in enumerate(s.marks):
            if mpos > apos:
                break
            if mpos == apos and brk is not None:
                s.marks[i] = (mpos, moff, None)
                return brk
        return None

    def __iter__(self) -> Iterator[_Raw | WarcReadError]:
        s = self.s
        while True:
            s.compact()
            # skip blank lines between records, stopping at discontinuities
            while s.break_at(s.rpos) is None and s.ensure(1) and s.data[s.rpos - s.base] in (0x0D, 0x0A):
                s.rpos += 1
            brk = self._take_break(s.rpos)
            if brk is not None:
                yield self._err(brk.offset, None, brk.reason)
                continue
            if s.end <= s.rpos:
                if not s.more():
                    return
                continue
            s.compact()
            start = s.rpos
            off = s.offset_at(start)
            # --- WARC header
            s.ensure(5)
            rel = start - s.base
            if s.data[rel : rel + 5] != b"WARC/":
                yield self._err(off, None, "invalid WARC header (no WARC/ version line)")
                s.resync()
                continue
            while True:
                stop = min(s.limit_from(start), start + _MAX_HEADER)
                hend = s.data.find(b"\r\n\r\n", start - s.base, stop - s.base)
                if hend >= 0 or stop - start >= _MAX_HEADER or not s.ensure(s.end - start + 1):
                    break
            if hend < 0:
                stop = s.limit_from(start)
                if stop - start >= _MAX_HEADER:
                    yield self._err(off, None, "invalid WARC header (too long)")
                    s.resync()
                    continue
                s.rpos = stop
                brk = self._take_break(stop)
                reason = brk.reason if brk is not None else "truncated record at end of file"
                yield self._err(off, None, f"{reason} (in WARC header)")
                continue
            lines = bytes(s.data[start - s.base : hend]).split(b"\r\n")
            headers = _parse_header_lines(lines[1:])
            rid = headers.get("warc-record-id")
            rid_clean = rid.strip().strip("<>") if rid else None
            try:
                clen = int(headers.get("content-length", ""))
                if clen < 0:
                    raise ValueError
            except ValueError:
                s.rpos = s.base + hend + 4
                yield self._err(off, rid_clean, "invalid WARC header (missing/invalid Content-Length)")
                s.resync()
                continue
            # --- block: keep at most self.keep bytes, stream past the rest
            bstart = s.base + hend + 4
            s.rpos = bstart
            kept = bytearray()
            got = 0
            brk = None
            while got < clen:
                brk = self._take_break(s.rpos)
                if brk is not None:
                    break
                if s.end <= s.rpos:
                    if not s.more():
                        break
                    continue
                hi = min(s.rpos + (clen - got), s.limit_from(s.rpos))
                room = self.keep - len(kept)
                if room > 0:
                    kept += s.data[s.rpos - s.base : min(hi, s.rpos + room) - s.base]
                got += hi - s.rpos
                s.rpos = hi
                if len(kept) >= self.keep and s.rpos - s.base > (1 << 20):
                    s.drop_before(s.rpos)  # we will not push back into a cut block
            if brk is not None:
                yield self._err(off, rid_clean, brk.reason)
                continue
            if got < clen:
                reason = f"truncated record at end of file (block {got} of {clen} bytes)"
                yield self._err(off, rid_clean, reason)
                continue
            # --- the block must be followed by CRLF CRLF; tolerate missing/short separators
            s.ensure(4)
            tail = bytes(s.data[s.rpos - s.base : min(s.rpos + 4, s.limit_from(s.rpos)) - s.base])
            rest = tail.lstrip(b"\r\n")
            if rest and not b"WARC/".startswith(rest[:5]):
                # Content-Length too long? find where the next record really starts inside the block
                cand = []
                j = kept.find(b"\r\n\r\nWARC/")
                if j >= 0:
                    cand.append(j + 4)
                if s.gz:
                    for mpos, _, _ in s.marks:
                        r0 = mpos - bstart
                        if 0 < r0 < len(kept) and kept[r0 : r0 + 5] == b"WARC/":
                            cand.append(r0)
                            break
                back = min(cand) if cand else -1
                if back >= 0 and bstart + back >= s.base:
                    s.rpos = bstart + back
                    reason = f"Content-Length mismatch (declared {clen}, next record at block byte {back})"
                    yield self._err(off, rid_clean, reason)
                else:
                    yield self._err(off, rid_clean, f"Content-Length mismatch (declared {clen})")
                    s.resync()
                continue
            yield _Raw(off, headers, bytes(kept), clen > len(kept))


def _slow_records(
    f: BinaryIO, start: int, path: str, max_payload: int, gz: bool
) -> Iterator[_Raw | WarcReadError]:
    raw = _RawSource(f, start)
    stream: _Stream = _GzipStream(raw) if gz else _PlainStream(raw)
    stream.floor_off = start
    if not gz:
        stream.floor_off = start  # plain: offset = start + decoded position
    yield from _Parser(stream, path, max_payload)


# ---------------------------------------------------------------------------------------------------------
# Fast path: fastwarc
# ---------------------------------------------------------------------------------------------------------


class _FastFailed(Exception):
    def __init__(self, anchor_off: int, anchor_index: int, anchor_id: str | None, reason: str) -> None:
        super().__init__(reason)
        self.anchor_off = anchor_off
        self.anchor_index = anchor_index  # records before the anchor were all handled
        self.anchor_id = anchor_id


def _gzip_tail_left(f: BinaryIO, off: int) -> bool:
    """Do bytes follow the gzip member at ``off`` (the member of fastwarc's last record)?

    fastwarc takes an empty gzip member for the end of the file and stops without an error, dropping
    every record after it. One member is inflated to find its end; unseekable streams are not checked.
    """
    try:
        if not f.seekable():
            return False
        f.seek(off)
        d = zlib.decompressobj(31)
        while not d.eof:
            chunk = f.read(_CHUNK)
            if not chunk:
                return False  # a cut member: fastwarc would have raised; nothing to add here
            d.decompress(chunk, 1 << 16)
            while d.unconsumed_tail and not d.eof:
                d.decompress(d.unconsumed_tail, 1 << 16)
        return bool(d.unused_data) or bool(f.read(1))
    except (OSError, ValueError, zlib.error):
        return False


def _fast_records(f: BinaryIO, path: str, max_payload: int, gz: bool, wanted: set[str]) -> Iterator[_Raw]:
    """fastwarc framing; raises _FastFailed(anchor) when it cannot continue reliably.

    Yields every record (all types) so the index count matches the slow path's enumeration.
    """
    from fastwarc.stream_io import GzipReader
    from fastwarc.warc import ArchiveIterator, WarcRecordType

    keep = max_payload + _BLOCK_SLACK
    # With our own GzipReader, frame_start_position() is the start of the gzip member the record header
    # was read from (warcio's offset); ArchiveIterator's stream_pos is not, for multi-record members.
    try:
        gzr = GzipReader(f) if gz else None
        it = iter(
            ArchiveIterator(
                gzr if gzr is not None else f,
                record_types=WarcRecordType.any_type,
                parse_http=False,
                stream_detect=False,
            )
        )
    except (KeyboardInterrupt, SystemExit, GeneratorExit):
        raise
    except BaseException as e:  # see _Prefixed: fastwarc can panic on unusual streams
        raise _FastFailed(0, 0, None, str(e)) from e
    held: _Raw | None = None
    held_id: str | None = None
    index = 0  # index of the held record
    while True:
        try:
            rec = next(it)
        except StopIteration:
            if gz and _gzip_tail_left(f, held.offset if held is not None else 0):
                # fastwarc ends silently at an empty gzip member: the slow path reads on from here
                raise _FastFailed(
                    held.offset if held is not None else 0, index, held_id, "stopped before end of file"
                ) from None
            if held is not None:
                yield held
            return
        except (KeyboardInterrupt, SystemExit, GeneratorExit):
            raise
        except BaseException as e:  # OSError on broken input; BaseException for pyo3 PanicException
            if held is None:
                raise _FastFailed(0, index, None, str(e)) from e
            raise _FastFailed(held.offset, index, held_id, str(e)) from e
        off = (gzr.frame_start_position() or 0) if gzr is not None else rec.stream_pos
        if held is not None:
            yield held
            index += 1
        hmap = rec.headers
        rtype = hmap.get("WARC-Type")
        if rtype is not None and rtype not in wanted:
            # not reading the block lets fastwarc skip it cheaply; it still counts for the slow-path skip
            held = _Raw(off, {"warc-type": rtype}, b"", False)
            held_id = (hmap.get("WARC-Record-ID") or "").strip("<>") or None
            continue
        headers = {k.lower(): v for k, v in reversed(hmap.items())}
        clen = rec.content_length
        reader = rec.reader
        rid = headers.get("warc-record-id", "").strip("<>") or None
        try:
            block = reader.read(min(clen, keep))
            got = len(block)
            if clen > keep:
                got += reader.consume()
        except (KeyboardInterrupt, SystemExit, GeneratorExit):
            raise
        except BaseException as e:  # corrupt data inside the block: the slow path re-reads this record
            raise _FastFailed(off, index, rid, str(e)) from e
        if got != clen:  # short block: truncated member/file or bad Content-Length -> let slow path judge
            raise _FastFailed(off, index, headers.get("warc-record-id", "").strip("<>") or None, "short")
        held = _Raw(off, headers, block, clen > keep)
        held_id = headers.get("warc-record-id", "").strip("<>") or None


# ---------------------------------------------------------------------------------------------------------
# Legacy path: warcio for ARC
# ---------------------------------------------------------------------------------------------------------


def _warcio_records(f: BinaryIO, path: str, max_payload: int) -> Iterator[_Raw | WarcReadError]:
    from warcio.archiveiterator import ArchiveIterator

    it = ArchiveIterator(f, arc2warc=True)
    keep = max_payload + _BLOCK_SLACK
    off: int | None = 0
    try:
        for rec in it:
            headers = {k.lower(): v for k, v in reversed(rec.rec_headers.headers)}
            # rebuild the raw HTTP block so that _build parses it like the other paths
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
            yield _Raw(off, headers, block[: keep + len(block) - len(body)], cut)
    except Exception as e:
        yield WarcReadError(path, off, None, f"ARC/WARC read error (warcio): {e}"[:300])


# ---------------------------------------------------------------------------------------------------------
# Public entry point
# ---------------------------------------------------------------------------------------------------------


def _open_default(path: str) -> BinaryIO:
    if "://" in path and not path.startswith("file://"):
        import fsspec

        return fsspec.open(path, "rb").open()  # type: ignore[no-any-return]
    return open(path.removeprefix("file://"), "rb")


def _sniff(f: BinaryIO) -> tuple[bytes, BinaryIO]:
    """Peek at the first bytes without requiring a seekable stream."""
    head = f.read(4096)
    try:
        if f.seekable():
            f.seek(0)
            return head, f
    except (OSError, ValueError):
        pass
    return head, _Prefixed(head, f)  # type: ignore[return-value]


class _Prefixed(io.RawIOBase):
    """A non-seekable stream with some already-read bytes put back in front.

    It also answers tell() and forward/no-op seek(): fastwarc probes the stream with seek and *panics*
    (pyo3 PanicException, not OSError) when seek raises UnsupportedOperation, e.g. on an HTTP body.
    """

    def __init__(self, prefix: bytes, inner: BinaryIO) -> None:
        self._prefix = prefix
        self._inner = inner
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = 0) -> int:
        target = offset if whence == 0 else self._pos + offset if whence == 1 else -1
        if target < self._pos:
            raise OSError("backward seek on a non-seekable stream")
        while self._pos < target and self.read(min(target - self._pos, _CHUNK)):
            pass
        return self._pos

    def read(self, n: int | None = -1) -> bytes:  # type: ignore[override]
        if self._prefix:
            if n is None or n < 0:
                out, self._prefix = self._prefix + self._inner.read(), b""
            else:
                out, self._prefix = self._prefix[:n], self._prefix[n:]
        else:
            out = self._inner.read(-1 if n is None else n)
        self._pos += len(out)
        return out

    def readinto(self, b: bytearray) -> int:  # type: ignore[override]
        data = self.read(len(b))
        b[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._inner.close()
        super().close()


def _anchor_ok(f: BinaryIO, off: int, gz: bool, rid: str | None) -> bool:
    """Is ``off`` the start of a gzip member / WARC record whose first record is ``rid``?"""
    try:
        f.seek(off)
        probe = f.read(64 << 10)
        f.seek(off)
    except (OSError, ValueError):
        return False
    if gz:
        if probe[:3] != _GZIP_MAGIC:
            return False
        # the damage may be further on; the header check below decides
        with contextlib.suppress(zlib.error):
            probe = zlib.decompressobj(31).decompress(probe, 32 << 10)
    if not probe.startswith(b"WARC/"):
        return False
    if rid is None:
        return True
    m = re.search(rb"\r\nWARC-Record-ID:[ \t]*<?([^\r\n>]*)", probe[: probe.find(b"\r\n\r\n") + 2])
    return m is not None and m.group(1).decode("utf-8", "replace").strip() == rid


def iter_warc(
    path: str,
    *,
    open_fn: Callable[[str], BinaryIO] | None = None,
    record_types: tuple[str, ...] = ("response", "resource"),
    max_payload_bytes: int = 10_000_000,
) -> Iterator[WarcRecord | WarcReadError]:
    """Yield the records of the requested types (and errors) from a WARC/ARC file; never raises on bad data.

    Opening errors (file missing, HTTP 404 ...) are raised: they are about the input, not its content.
    """
    opener = open_fn or _open_default
    wanted = set(record_types)

    def emit(item: _Raw | WarcReadError) -> WarcRecord | WarcReadError | None:
        if isinstance(item, WarcReadError):
            return item
        rtype = item.headers.get("warc-type")
        if rtype is not None and rtype not in wanted:
            return None
        return _build(item, path, max_payload_bytes)

    f = opener(path)
    try:
        head, f = _sniff(f)
        if not head:
            return
        gz = head[:2] == b"\x1f\x8b"
        text = head
        if gz:
            try:
                text = zlib.decompressobj(31).decompress(head, 64)
            except zlib.error:
                text = b""
        if text.lstrip()[:11] == b"filedesc://":
            for item in _warcio_records(f, path, max_payload_bytes):
                out = emit(item)
                if out is not None:
                    yield out
            return
        try:
            for item in _fast_records(f, path, max_payload_bytes, gz, wanted):
                out = emit(item)
                if out is not None:
                    yield out
            return
        except _FastFailed as ff:
            failure = ff
        # --- slow path from the best anchor we can trust
        g = f
        seekable = False
        with contextlib.suppress(OSError, ValueError):
            seekable = g.seekable()
        if not seekable:
            g.close()
            g = opener(path)
            try:
                seekable = g.seekable()
            except (OSError, ValueError):
                seekable = False
        start, skip = 0, failure.anchor_index
        if seekable and failure.anchor_index > 0 and _anchor_ok(g, failure.anchor_off, gz, failure.anchor_id):
            start, skip = failure.anchor_off, 0
        elif seekable:
            g.seek(0)
        f = g
        seen = 0
        for item in _slow_records(g, start, path, max_payload_bytes, gz):
            if isinstance(item, _Raw):
                seen += 1
                if seen <= skip:
                    continue
            elif seen < skip:
                continue  # errors before the anchor cannot exist (fastwarc read that part cleanly)
            out = emit(item)
            if out is not None:
                yield out
    finally:
        f.close()
