"""Robust, streaming WARC record reading.

``iter_warc`` yields one item per WARC record of the requested types: a :class:`WarcRecord` for a good
record, a :class:`WarcReadError` for a bad one.  A bad record never ends the iteration: every good record
before *and after* it still comes out.

Three readers cooperate:

* **fast path** -- :func:`_fast_gzip_records` (one gzip member per record, as Common Crawl writes) and
  :func:`_fast_plain_records`.  They emit a record only when it is exactly well formed: CRLF headers with one
  version line and a decimal ``Content-Length``, the block followed by CRLF CRLF and then the next record
  (or the member's / file's end).  At the first record that is not, they hand the rest of the file, from
  that record's own offset and with the bytes already read, to the careful path: nothing is read twice and
  nothing is emitted twice.  (fastwarc was the fast path before: it skips records with bare-LF headers
  without a word, so a reader built on it could not promise that no record is lost.)
* **careful path** -- :class:`_Parser` over :class:`_GzipStream` / :class:`_PlainStream`.  It tracks gzip
  member boundaries itself and resynchronises after any framing error: at the next gzip member start
  (``1f 8b 08`` whose inflated start is ``WARC/``) or the next ``WARC/x.y`` line in the decompressed stream,
  which also lets a single-member ``.warc.gz`` go on after damage.  A block is checked against what follows
  it: when it runs into a plausible record header (a version line, header lines, a blank line, a numeric
  Content-Length) the record was cut short or its Content-Length is too large, and reading goes on at that
  header.  It is lenient where the meaning is clear, as warcio is: bare-LF line endings, any header-name
  case and whitespace, any run of line breaks (or none) between records.
* **legacy path** -- warcio, only for ARC files (``filedesc://`` first line), which neither of the above
  understands.  warcio cannot resynchronise, so an exception there ends the file with one error.

The HTTP head and body are parsed by :mod:`corpus_builder.sources.http_body` (status-line and line-ending
leniency, chunked transfer coding, Content-Encoding).  Every leniency applied is named in
``WarcRecord.lenient`` (e.g. ``lenient_status_line``); the read step counts them in its stats.

Bounds (no input may make us loop forever or use unbounded memory): the raw input is read in 1 MiB chunks;
a WARC header is at most 64 KiB; a record block is kept up to ``max_payload_bytes`` + 64 KiB and the rest is
streamed past; every resynchronisation step moves strictly forward.

Policy decisions:

* A payload longer than ``max_payload_bytes`` is cut and the record is emitted with ``truncated="length"``
  (unless the WARC already carries ``WARC-Truncated``), so callers can still use the head of a big page.
* HTTP ``Content-Encoding`` (gzip, deflate, br) is decoded with an output bound of ``max_payload_bytes``.
  When the bound is hit and the expansion ratio is > 100x the record is reported as
  ``"payload decompression bomb"``; otherwise it is emitted cut, with ``truncated="length"``.
* A record whose block is incomplete (truncated gzip member, truncated file, corrupt member, a block that
  runs into the next record) is reported as an error whose reason says ``truncated``, never emitted with a
  partial payload: a half page cannot be told apart from a whole one later.  Records flagged by their writer
  (``WARC-Truncated``) are kept with that flag; so is a block whose Content-Length stops at most 8 stray
  bytes before CRLF CRLF and the next record (``truncated="length"``, as warcio reads it), and an HTTP body
  whose chunked or gzip stream ends early (``truncated="disconnect"``).
* A ``Content-Length`` beyond 64 bits is an invalid header; one larger than the rest of the file is read to
  the end and then checked for swallowed records like any other.  Bounded memory means a damaged block is
  only searched for swallowed records within its first ``max_payload_bytes`` + 64 KiB.
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
from dataclasses import dataclass, field
from typing import BinaryIO

from corpus_builder.sources.http_body import dechunk, decode_content, looks_like_text, parse_head

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
    lenient: tuple[str, ...] = ()  # leniencies applied to read this record, as stat names (see read step)


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
_SNIFF = 64 << 10  # bytes looked at to tell gzip from plain WARC
_INFLATE_INPUT = 16 << 10  # compressed bytes handed to zlib at a time
_RESYNC_PROBE = 4096  # compressed bytes inflated to validate a resync candidate
_MAX_MEMBER_REWIND = 16 << 20  # raw bytes of the current member kept for rescanning after corruption
# a WARC version line; not anchored to a line start: a record cut short runs straight into the next one
_VERSION_FIND = re.compile(rb"WARC/\d+\.\d+[ \t]*\r?\n")
_HEADER_END = re.compile(rb"\r?\n\r?\n")  # end of a header block, CRLF or bare LF (as warcio accepts)
_MAX_CONTENT_LENGTH = (1 << 63) - 1  # a WARC Content-Length beyond 64 bits is damage, not a size
_TAIL_PROBE = 24  # bytes looked at after a block to check that the next record (or the end) follows
_MAX_STRAY = 8  # bytes after a block (before CRLF CRLF and the next record) still taken for a short length


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
    lenient: list[str] = field(default_factory=list)  # leniencies applied, as stat names


def _header_fields(text: bytes) -> dict[str, str]:
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
    lenient = list(raw.lenient)
    if is_http:
        head = parse_head(block, _MAX_HEADER)
        if isinstance(head, str):
            if head == "HTTP header too long" and not raw.block_cut and len(block) < _MAX_HEADER:
                head = "truncated HTTP header"
            return WarcReadError(path, raw.offset, rid_clean, head)
        http_status = head.status
        lenient += head.lenient
        hh = head.fields
        content_type, charset = _split_content_type(hh.get("content-type"))
        language = hh.get("content-language") or None
        body = block[head.body_start :]
        if "chunked" in hh.get("transfer-encoding", "").lower():
            dechunked = dechunk(body, max_payload)
            if dechunked is not None:
                body, complete = dechunked
                if not complete and not truncated:
                    truncated = "disconnect"  # the chunked body ends before its last chunk
        enc = hh.get("content-encoding", "").strip()
        if enc and enc.lower() != "identity":
            decoded = decode_content(body, enc, max_payload)
            if isinstance(decoded, str):
                if not looks_like_text(body):
                    return WarcReadError(path, raw.offset, rid_clean, decoded)
                # the header lies: the body is plain text (a writer stored it decoded), kept as warcio does
                lenient.append("content_encoding_not_applied")
            else:
                if len(decoded.data) > max_payload:
                    if len(decoded.data) > _BOMB_RATIO * max(decoded.consumed, 1):
                        return WarcReadError(
                            path,
                            raw.offset,
                            rid_clean,
                            f"payload decompression bomb (>{max_payload} bytes from {len(body)})",
                        )
                    cut = True
                elif not decoded.complete and not truncated:
                    truncated = "disconnect"  # the encoded body stops mid-stream
                body = decoded.data
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
        lenient=tuple(lenient),
        identified_type=(h.get("warc-identified-payload-type") or "").split(";")[0].strip().lower() or None,
    )


# ---------------------------------------------------------------------------------------------------------
# Slow path: our own framing with resynchronisation
# ---------------------------------------------------------------------------------------------------------


class _RawSource:
    """Buffered raw bytes with absolute offsets; keeps bytes from ``keep_from`` on for rescanning."""

    __slots__ = ("f", "buf", "start", "cur", "eof", "keep_from")

    def __init__(self, f: BinaryIO, start: int, initial: bytes = b"") -> None:
        self.f = f
        self.buf = bytearray(initial)  # bytes already read from f, starting at ``start``
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
        """Move rpos to the next possible record start after it: a ``WARC/x.y`` line or a gzip member start.

        Scanning the decoded bytes (not only member starts) lets a single-member ``.warc.gz`` go on after
        damage inside it.  Memory stays bounded: scanned data is dropped but for a short tail.
        """
        frm = self.rpos + 1
        while True:
            mark = next((mpos for mpos, _, _ in self.marks if mpos >= frm), None)
            hi = mark if mark is not None else self.end
            m = _VERSION_FIND.search(self.data, max(frm - self.base, 0), max(hi - self.base, 0))
            if m is not None:
                self.rpos = self.base + m.start()
                return
            if mark is not None:
                self.rpos = mark
                return
            # nothing yet: keep a short tail in case a version line straddles the end of the data
            frm = max(frm, self.end - 16)
            self.rpos = frm
            self.compact()
            if not self.more():
                self.rpos = self.end
                return


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


class _GzipStream(_Stream):
    gz = True

    def __init__(self, raw: _RawSource) -> None:
        super().__init__(raw)
        self.d: zlib._Decompress | None = None  # type: ignore[name-defined]
        self.member_off = raw.pos
        self.pending: _Break | None = None  # break to attach to the next member mark

    def _add_mark(self, off: int) -> None:
        self.marks.append((self.end, off, self.pending))
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
            # EOF inside a member: a cut member may have been inflated on into the members after it (zlib
            # does not always notice), so look for a member start after its own
            self.d = None
            self.pending = _Break(self.member_off, "truncated gzip member")
            self._scan_member(max(self.member_off + 1, raw.start))
            self._add_mark(raw.pos)
            return True
        # small input slices: zlib copies whatever follows the member end into unused_data
        inp = bytes(raw.buf[raw.cur : raw.cur + _INFLATE_INPUT])
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
        # at the member's end zlib leaves the input after it in unused_data *and* (when an earlier call hit
        # the output bound) in unconsumed_tail: count only one of them
        used = len(inp) - (len(d.unused_data) if d.eof else len(d.unconsumed_tail))
        raw.cur += used
        if raw.pos - raw.keep_from > _MAX_MEMBER_REWIND:
            raw.keep_from = raw.pos - _MAX_MEMBER_REWIND
        self.data += out
        if d.eof:
            self.d = None
            raw.keep_from = raw.pos
        return True


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

    def _header_at(self, start: int) -> tuple[int, int] | None:
        """(end of the header text, end of the blank line) of the WARC header at ``start``, or None.

        Waits for more data until the header is complete, the 64 KiB bound is hit or a break is in the way.
        """
        s = self.s
        while True:
            stop = min(s.limit_from(start), start + _MAX_HEADER)
            m = _HEADER_END.search(s.data, start - s.base, stop - s.base)
            if m is not None:
                return s.base + m.start(), s.base + m.end()
            if stop - start >= _MAX_HEADER or not s.ensure(s.end - start + 1):
                return None

    def _record_start_in(self, frm: int, to: int) -> int:
        """Absolute position of the first plausible WARC record header starting in [frm, to), or -1.

        Plausible = a ``WARC/x.y`` line followed by header lines that end in a blank line and carry a numeric
        Content-Length and a WARC-Type or WARC-Record-ID: a page that merely quotes ``WARC/1.0`` is skipped.
        """
        s = self.s
        s.ensure(_MAX_HEADER)  # the header of a record starting near ``to`` ends after it
        data = s.data
        lo, hi = max(frm - s.base, 0), to - s.base
        for m in _VERSION_FIND.finditer(data, lo):  # not bounded by ``to``: the line may run past it
            if m.start() >= hi:
                break
            end = _HEADER_END.search(data, m.start(), m.start() + _MAX_HEADER)
            if end is None:
                continue
            fields = _header_fields(bytes(data[m.end() : end.start()]))
            if fields.get("content-length", "").strip().isdigit() and (
                "warc-type" in fields or "warc-record-id" in fields
            ):
                return s.base + m.start()
        return -1

    def _member_failed(self, off: int) -> str | None:
        """Reason if a gzip member holding the record just read (from member ``off`` on) failed its checks.

        zlib hands out a member's data before it reads the CRC at its end, so the record is only trusted
        once that member has ended (looked for up to 1 MiB ahead: a single-member file is not waited for).
        """
        s = self.s
        assert isinstance(s, _GzipStream)
        while s.d is not None and s.end - s.rpos < (1 << 20) and s.more():
            pass
        last = s.offset_at(s.rpos)
        for i, (mpos, moff, brk) in enumerate(s.marks):
            if brk is not None and off <= brk.offset <= last and mpos >= s.rpos:
                s.marks[i] = (mpos, moff, None)  # reported here, once
                s.rpos = mpos
                return brk.reason
        return None

    def _tail_ok(self, bare_lf: bool) -> bool | str | None:
        """Is the block just read followed by a record separator and the next record (or the end)?

        True: yes. None: a proper separator follows but then bytes that are no record (garbage after a
        whole record, reported when the main loop reaches it). "short": the Content-Length stops a few bytes
        early (rpos is moved to the next record). False: the Content-Length does not fit.
        """
        s = self.s
        s.ensure(_TAIL_PROBE)
        lo = s.rpos - s.base
        tail = bytes(s.data[lo : min(s.rpos + _TAIL_PROBE, s.limit_from(s.rpos)) - s.base])
        rest = tail.lstrip(b"\r\n")
        sep = tail[: len(tail) - len(rest)]
        # CRLF CRLF is the standard; like warcio we accept any run of line breaks (or none) before the next
        # record, so a Content-Length short by a body's trailing line breaks goes unnoticed
        if not rest or rest.startswith(b"WARC/"[: len(rest)]):
            return True
        proper = sep.startswith(b"\r\n\r\n") or (bare_lf and sep.startswith(b"\n\n"))
        if proper:
            return None
        # a few stray bytes, a separator, then the next record: a Content-Length short by those bytes (seen
        # in warcio's example-trunc.warc, which warcio reads). The record is kept, flagged as cut.
        nxt = tail.find(b"WARC/")
        stray = tail[:nxt].rstrip(b"\r\n") if nxt > 0 else b""
        if stray and len(stray) <= _MAX_STRAY and tail[len(stray) : nxt] in (b"\r\n\r\n", b"\n\n"):
            s.rpos += nxt
            return "short"
        return False

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
                frm = s.rpos
                s.resync()
                yield self._err(off, None, f"{s.rpos - frm} bytes of garbage between records (skipped)")
                continue
            found = self._header_at(start)
            if found is None:
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
            htext_end, hend = found
            text = bytes(s.data[start - s.base : htext_end - s.base])
            first_eol = text.find(b"\n")
            # a second version line inside the header: this record was cut in its header and the next one
            # starts there
            again = _VERSION_FIND.search(text, first_eol + 1) if first_eol >= 0 else None
            if again is not None:
                s.rpos = start + again.start()
                yield self._err(off, None, "truncated record (in WARC header; the next record starts in it)")
                continue
            headers = _header_fields(text[first_eol + 1 :] if first_eol >= 0 else b"")
            lenient = ["lenient_warc_line_endings"] if text.count(b"\n") != text.count(b"\r\n") else []
            rid = headers.get("warc-record-id")
            rid_clean = rid.strip().strip("<>") if rid else None
            clen_text = headers.get("content-length", "").strip()
            clen = int(clen_text) if clen_text.isascii() and clen_text.isdigit() else -1
            if clen < 0 or clen > _MAX_CONTENT_LENGTH:
                s.rpos = start
                s.resync()
                what = "too large" if clen > 0 else "missing/invalid"
                yield self._err(
                    off, rid_clean, f"invalid WARC header ({what} Content-Length {clen_text[:40]!r})"
                )
                continue
            # --- block: keep at most self.keep bytes, stream past the rest
            bstart = hend
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
            fits = self._tail_ok(bool(lenient)) if brk is None and got == clen else False
            if fits is True and s.gz and any(bstart < mpos < bstart + len(kept) for mpos, _, _ in s.marks):
                fits = None  # a block across gzip members: check below that none of them starts a record
            swallowed = -1
            if fits is True and len(kept) == clen:
                swallowed = _swallowed(kept, bytes(s.data[s.rpos - s.base : s.rpos - s.base + 8]), True)
                if swallowed >= 0:
                    fits = None  # the block holds whole records up to its end
            inner = -1
            if fits is not True and brk is None:
                # a block that runs into a record header swallowed its successor: the record was cut short
                # (or its Content-Length is too large); go on at the successor
                inner = (
                    bstart + swallowed
                    if swallowed >= 0
                    else self._record_start_in(bstart, bstart + len(kept))
                )
            if inner >= 0:
                s.rpos = inner
                inner -= bstart
                reason = (
                    "truncated record or Content-Length mismatch "
                    f"(declared {clen}, but a record starts at block byte {inner})"
                )
                yield self._err(off, rid_clean, reason)
                continue
            if brk is not None:
                yield self._err(off, rid_clean, brk.reason)
                continue
            if got < clen:
                reason = f"truncated record at end of file (block {got} of {clen} bytes)"
                yield self._err(off, rid_clean, reason)
                continue
            if fits is False:
                yield self._err(
                    off, rid_clean, f"Content-Length mismatch (declared {clen}; no record follows)"
                )
                s.resync()
                continue
            failed = self._member_failed(off) if isinstance(s, _GzipStream) else None
            if failed is not None:
                yield self._err(off, rid_clean, failed)
                continue
            if fits == "short":
                lenient.append("lenient_short_content_length")
                headers.setdefault("warc-truncated", "length")
            yield _Raw(off, headers, bytes(kept), clen > len(kept), lenient)


def _slow_records(
    f: BinaryIO, start: int, path: str, max_payload: int, gz: bool, initial: bytes = b""
) -> Iterator[_Raw | WarcReadError]:
    """The careful reader from raw offset ``start``; ``initial`` = bytes from there already read from f."""
    raw = _RawSource(f, start, initial)
    stream: _Stream = _GzipStream(raw) if gz else _PlainStream(raw)
    stream.floor_off = start  # gzip: offset of the member in effect; plain: start + decoded position
    yield from _Parser(stream, path, max_payload)


# ---------------------------------------------------------------------------------------------------------
# Fast path: clean records in the usual layouts, handing over to the careful reader at the first anomaly
# ---------------------------------------------------------------------------------------------------------


def _swallowed(block: bytes | bytearray, after: bytes, straddle: bool = False) -> int:
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
    body = _HEADER_END.search(block, 0, _MAX_HEADER) if block.startswith(b"HTTP/") else None
    content_start = body.end() if body is not None else 0
    n = len(block)
    plausible = 0
    for m in _VERSION_FIND.finditer(block, 1):
        first = pos = m.start()
        if first == content_start:
            continue
        while True:
            version = _VERSION_FIND.match(block, pos)
            end = _HEADER_END.search(block, pos, pos + _MAX_HEADER)
            if version is None or end is None:
                break
            fields = _header_fields(bytes(block[version.end() : end.start()]))
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


def _clean_head(data: bytes, pos: int) -> tuple[dict[str, str], int, int] | None:
    """(headers, block start, Content-Length) of a well-formed WARC header at ``pos``, else None.

    Well-formed = CRLF line endings only, one version line, a decimal Content-Length; anything else is left
    to the careful reader, which knows the leniencies and the damage.
    """
    if not data.startswith(b"WARC/", pos):
        return None
    hend = data.find(b"\r\n\r\n", pos, pos + _MAX_HEADER)
    if hend < 0:
        return None
    text = data[pos:hend]
    if text.find(b"WARC/", 1) >= 0 or text.count(b"\n") != text.count(b"\r\n"):
        return None
    headers = _header_fields(text[text.find(b"\n") + 1 :])
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
            chunk = self.f.read(max(_CHUNK, end - len(self.buf)))
            if chunk:
                self.buf += chunk
            else:
                self.eof = True

    def drop_before(self, pos: int) -> int:
        """Forget bytes before buffer position ``pos`` when that frees a lot; returns pos's new index."""
        if pos > _CHUNK:
            self.buf = self.buf[pos:]
            self.base += pos
            return 0
        return pos


def _fast_gzip_records(f: BinaryIO, path: str, max_payload: int) -> Iterator[_Raw | WarcReadError]:
    """One record per gzip member, as Common Crawl writes: inflate, check, emit.

    The first member that is not exactly one well-formed record followed by its CRLF CRLF (or that is not a
    gzip member at all) hands the rest of the file, from that member's offset, to the careful reader.
    """
    r = _Reader(f)
    limit = max_payload + _BLOCK_SLACK
    pos = 0
    while True:
        pos = r.drop_before(pos)
        r.fill(pos + 3)
        if pos >= len(r.buf):
            return
        if not r.buf.startswith(_GZIP_MAGIC, pos):
            break
        d = zlib.decompressobj(31)
        parts: list[bytes] = []
        total = 0
        p = pos
        head = None
        ok = True
        while True:
            r.fill(p + _INFLATE_INPUT)
            if p >= len(r.buf):
                ok = False  # cut member
                break
            inp = r.buf[p : p + _INFLATE_INPUT]
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
        if _swallowed(rec[bstart:end], b"\r\n\r\n") >= 0:
            break
        yield _Raw(r.base + pos, headers, rec[bstart:end], False)
        pos = p
    yield from _slow_records(f, r.base + pos, path, max_payload, True, r.buf[pos:])


def _fast_plain_records(f: BinaryIO, path: str, max_payload: int) -> Iterator[_Raw | WarcReadError]:
    """Well-formed records of a plain ``.warc``, each followed by CRLF CRLF and the next record; the first
    anomaly (and the last record) hands the rest of the file, from that record's offset, to the careful
    reader."""
    r = _Reader(f)
    limit = max_payload + _BLOCK_SLACK
    pos = 0
    while True:
        pos = r.drop_before(pos)
        r.fill(pos + _MAX_HEADER)
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
        if _swallowed(r.buf[bstart:end], b"\r\n\r\n") >= 0:
            break
        yield _Raw(r.base + pos, headers, r.buf[bstart:end], False)
        pos = end + 4
    yield from _slow_records(f, r.base + pos, path, max_payload, False, r.buf[pos:])


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


def _is_gzip(head: bytes) -> bool:
    """Gzip file? Also when its first member is damaged and a later member in ``head`` starts a record."""
    if head[:2] == b"\x1f\x8b":
        return True
    if head.lstrip(b"\r\n").startswith(b"WARC/"):
        return False
    i = head.find(_GZIP_MAGIC)
    while i >= 0:
        with contextlib.suppress(zlib.error):
            if zlib.decompressobj(31).decompress(head[i : i + _RESYNC_PROBE], 16).startswith(b"WARC/"):
                return True
        i = head.find(_GZIP_MAGIC, i + 1)
    return False


def _sniff(f: BinaryIO) -> tuple[bytes, BinaryIO]:
    """Peek at the first bytes without requiring a seekable stream."""
    head = f.read(_SNIFF)
    try:
        if f.seekable():
            f.seek(0)
            return head, f
    except (OSError, ValueError):
        pass
    return head, _Prefixed(head, f)  # type: ignore[return-value]


class _Prefixed(io.RawIOBase):
    """A non-seekable stream with some already-read bytes put back in front.

    It also answers tell() and forward/no-op seek(), for readers (warcio for ARC) that probe the stream.
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
        gz = _is_gzip(head)
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
        fast = _fast_gzip_records if gz else _fast_plain_records
        for item in fast(f, path, max_payload_bytes):
            out = emit(item)
            if out is not None:
                yield out
    finally:
        f.close()
