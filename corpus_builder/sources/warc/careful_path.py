"""The careful path: frames WARC records from a decoded stream, checks every block against what follows
it and turns each discontinuity into exactly one :class:`WarcReadError`, going on at the next record."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from corpus_builder.sources.warc.headers import (
    BLOCK_SLACK,
    HEADER_END,
    MAX_HEADER,
    VERSION_FIND,
    header_fields,
    swallowed_records_start,
)
from corpus_builder.sources.warc.record import RawRecord, WarcReadError
from corpus_builder.sources.warc.streams import DecodedStream, GzipStream, PlainStream, RawSource, StreamBreak

_MAX_CONTENT_LENGTH = (1 << 63) - 1  # a WARC Content-Length beyond 64 bits is damage, not a size
_TAIL_PROBE = 24  # bytes looked at after a block to check that the next record (or the end) follows
_MAX_STRAY = 8  # bytes after a block (before CRLF CRLF and the next record) still taken for a short length


@dataclass(slots=True)
class _Header:
    """A WARC header framed by :class:`CarefulParser`, its block not read yet."""

    offset: int  # the record's offset (see the package docstring)
    fields: dict[str, str]
    record_id: str | None
    content_length: int
    block_start: int  # decoded position of the block
    lenient: list[str]  # leniencies applied so far, as stat names


class CarefulParser:
    """Frames WARC records from a :class:`DecodedStream`; yields RawRecord or WarcReadError.

    Every break mark produces exactly one error: attached to the record it cuts, or on its own when it
    sits between records.
    """

    def __init__(self, stream: DecodedStream, path: str, max_payload: int) -> None:
        self.s = stream
        self.path = path
        self.keep = max_payload + BLOCK_SLACK

    def _err(self, off: int | None, rid: str | None, reason: str) -> WarcReadError:
        return WarcReadError(self.path, off, rid, reason)

    def _take_break(self, apos: int) -> StreamBreak | None:
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
            stop = min(s.limit_from(start), start + MAX_HEADER)
            m = HEADER_END.search(s.data, start - s.base, stop - s.base)
            if m is not None:
                return s.base + m.start(), s.base + m.end()
            if stop - start >= MAX_HEADER or not s.ensure(s.end - start + 1):
                return None

    def _record_start_in(self, frm: int, to: int) -> int:
        """Absolute position of the first plausible WARC record header starting in [frm, to), or -1.

        Plausible = a ``WARC/x.y`` line followed by header lines that end in a blank line and carry a numeric
        Content-Length and a WARC-Type or WARC-Record-ID: a page that merely quotes ``WARC/1.0`` is skipped.
        """
        s = self.s
        s.ensure(MAX_HEADER)  # the header of a record starting near ``to`` ends after it
        data = s.data
        lo, hi = max(frm - s.base, 0), to - s.base
        for m in VERSION_FIND.finditer(data, lo):  # not bounded by ``to``: the line may run past it
            if m.start() >= hi:
                break
            end = HEADER_END.search(data, m.start(), m.start() + MAX_HEADER)
            if end is None:
                continue
            fields = header_fields(bytes(data[m.end() : end.start()]))
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
        assert isinstance(s, GzipStream)
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

    def __iter__(self) -> Iterator[RawRecord | WarcReadError]:
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
            yield self._next_record()

    def _next_record(self) -> RawRecord | WarcReadError:
        """The record (or the error) starting at rpos, which is not a line break; rpos moves past it."""
        head = self._read_header()
        if isinstance(head, WarcReadError):
            return head
        kept, got, brk = self._read_block(head.block_start, head.content_length)
        return self._judge_block(head, kept, got, brk)

    def _read_header(self) -> _Header | WarcReadError:
        """The WARC header at rpos; on damage the error, with rpos moved to where reading goes on."""
        s = self.s
        start = s.rpos
        off = s.offset_at(start)
        s.ensure(5)
        rel = start - s.base
        if s.data[rel : rel + 5] != b"WARC/":
            s.resync()
            return self._err(off, None, f"{s.rpos - start} bytes of garbage between records (skipped)")
        found = self._header_at(start)
        if found is None:
            stop = s.limit_from(start)
            if stop - start >= MAX_HEADER:
                s.resync()
                return self._err(off, None, "invalid WARC header (too long)")
            s.rpos = stop
            brk = self._take_break(stop)
            reason = brk.reason if brk is not None else "truncated record at end of file"
            return self._err(off, None, f"{reason} (in WARC header)")
        htext_end, hend = found
        text = bytes(s.data[start - s.base : htext_end - s.base])
        first_eol = text.find(b"\n")
        # a second version line inside the header: this record was cut in its header and the next one
        # starts there
        again = VERSION_FIND.search(text, first_eol + 1) if first_eol >= 0 else None
        if again is not None:
            s.rpos = start + again.start()
            return self._err(off, None, "truncated record (in WARC header; the next record starts in it)")
        fields = header_fields(text[first_eol + 1 :] if first_eol >= 0 else b"")
        lenient = ["lenient_warc_line_endings"] if text.count(b"\n") != text.count(b"\r\n") else []
        rid = fields.get("warc-record-id")
        rid_clean = rid.strip().strip("<>") if rid else None
        clen_text = fields.get("content-length", "").strip()
        clen = int(clen_text) if clen_text.isascii() and clen_text.isdigit() else -1
        if clen < 0 or clen > _MAX_CONTENT_LENGTH:
            s.rpos = start
            s.resync()
            what = "too large" if clen > 0 else "missing/invalid"
            return self._err(
                off, rid_clean, f"invalid WARC header ({what} Content-Length {clen_text[:40]!r})"
            )
        return _Header(off, fields, rid_clean, clen, hend, lenient)

    def _read_block(self, bstart: int, clen: int) -> tuple[bytearray, int, StreamBreak | None]:
        """(kept bytes, bytes passed, the break met) of the block at ``bstart``: at most ``self.keep`` bytes
        are kept and the rest is streamed past; reading stops early at a break or the end of the input."""
        s = self.s
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
        return kept, got, brk

    def _judge_block(
        self, head: _Header, kept: bytearray, got: int, brk: StreamBreak | None
    ) -> RawRecord | WarcReadError:
        """The record, or why its block is not whole (rpos then moves to where reading goes on)."""
        s = self.s
        off, rid, clen = head.offset, head.record_id, head.content_length
        fits, inner = self._block_fit(head, kept, got, brk)
        if inner >= 0:
            s.rpos = head.block_start + inner
            reason = (
                "truncated record or Content-Length mismatch "
                f"(declared {clen}, but a record starts at block byte {inner})"
            )
            return self._err(off, rid, reason)
        if brk is not None:
            return self._err(off, rid, brk.reason)
        if got < clen:
            return self._err(off, rid, f"truncated record at end of file (block {got} of {clen} bytes)")
        if fits is False:
            error = self._err(off, rid, f"Content-Length mismatch (declared {clen}; no record follows)")
            s.resync()
            return error
        failed = self._member_failed(off) if isinstance(s, GzipStream) else None
        if failed is not None:
            return self._err(off, rid, failed)
        if fits == "short":
            head.lenient.append("lenient_short_content_length")
            head.fields.setdefault("warc-truncated", "length")
        return RawRecord(off, head.fields, bytes(kept), clen > len(kept), head.lenient)

    def _block_fit(
        self, head: _Header, kept: bytearray, got: int, brk: StreamBreak | None
    ) -> tuple[bool | str | None, int]:
        """How the block meets what follows it (as :meth:`_tail_ok`, with None also for a block holding
        records it swallowed), and the block byte where a swallowed successor starts, else -1."""
        s = self.s
        bstart = head.block_start
        fits = self._tail_ok(bool(head.lenient)) if brk is None and got == head.content_length else False
        if fits is True and s.gz and any(bstart < mpos < bstart + len(kept) for mpos, _, _ in s.marks):
            fits = None  # a block across gzip members: check below that none of them starts a record
        swallowed = -1
        if fits is True and len(kept) == head.content_length:
            swallowed = swallowed_records_start(
                kept, bytes(s.data[s.rpos - s.base : s.rpos - s.base + 8]), True
            )
            if swallowed >= 0:
                fits = None  # the block holds whole records up to its end
        if fits is True or brk is not None:
            return fits, -1
        if swallowed >= 0:
            return fits, swallowed
        # a block that runs into a record header swallowed its successor: the record was cut short (or its
        # Content-Length is too large); go on at the successor
        inner = self._record_start_in(bstart, bstart + len(kept))
        return fits, inner - bstart if inner >= 0 else -1


def careful_records(
    f: BinaryIO, start: int, path: str, max_payload: int, gz: bool, initial: bytes = b""
) -> Iterator[RawRecord | WarcReadError]:
    """The careful reader from raw offset ``start``; ``initial`` = bytes from there already read from f."""
    raw = RawSource(f, start, initial)
    stream: DecodedStream = GzipStream(raw) if gz else PlainStream(raw)
    stream.floor_off = start  # gzip: offset of the member in effect; plain: start + decoded position
    yield from CarefulParser(stream, path, max_payload)
