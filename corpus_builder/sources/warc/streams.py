"""The careful path's input: raw bytes with absolute offsets (:class:`RawSource`), decoded into one stream
(:class:`PlainStream`, or :class:`GzipStream`, which tracks gzip member boundaries, skips garbage between
members and marks every discontinuity as a :class:`StreamBreak`), with resynchronisation at the next
``WARC/x.y`` line or gzip member start."""

from __future__ import annotations

import zlib
from collections import deque
from typing import BinaryIO

from corpus_builder.sources.warc.headers import CHUNK, GZIP_MAGIC, INFLATE_INPUT, RESYNC_PROBE, VERSION_FIND

_MAX_MEMBER_REWIND = 16 << 20  # raw bytes of the current member kept for rescanning after corruption


class RawSource:
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
            if drop > CHUNK:
                del self.buf[:drop]
                self.start += drop
                self.cur -= drop
            chunk = self.f.read(CHUNK)
            if not chunk:
                self.eof = True
            else:
                self.buf += chunk
        return self.avail() >= n

    def seek_back(self, pos: int) -> int:
        """Move the cursor to ``pos`` if still buffered, else as close as possible; returns new pos."""
        self.cur = max(0, min(pos - self.start, len(self.buf)))
        return self.pos


class StreamBreak:
    """A discontinuity in the decoded stream (corrupt/truncated member, garbage)."""

    __slots__ = ("offset", "reason")

    def __init__(self, offset: int, reason: str) -> None:
        self.offset = offset
        self.reason = reason


class DecodedStream:
    """Decoded bytes with positions mapped back to record offsets.

    ``data[rpos:]`` is unread.  ``marks`` holds (absolute decoded position, member offset, break-or-None):
    a member starting there, possibly preceded by a discontinuity.
    """

    gz = False

    def __init__(self, raw: RawSource) -> None:
        self.raw = raw
        self.data = bytearray()
        self.base = 0  # absolute decoded position of data[0]
        self.rpos = 0  # absolute read position
        self.marks: deque[tuple[int, int, StreamBreak | None]] = deque()
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

    def break_at(self, apos: int) -> StreamBreak | None:
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
            m = VERSION_FIND.search(self.data, max(frm - self.base, 0), max(hi - self.base, 0))
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


class PlainStream(DecodedStream):
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


class GzipStream(DecodedStream):
    gz = True

    def __init__(self, raw: RawSource) -> None:
        super().__init__(raw)
        self.d: zlib._Decompress | None = None  # type: ignore[name-defined]
        self.member_off = raw.pos
        self.pending: StreamBreak | None = None  # break to attach to the next member mark

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
            i = raw.buf.find(GZIP_MAGIC, raw.cur)
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
            raw.fill(RESYNC_PROBE)
            probe = bytes(raw.buf[raw.cur : raw.cur + RESYNC_PROBE])
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
            if raw.buf[raw.cur : raw.cur + 3] != GZIP_MAGIC:
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
                    self.pending = StreamBreak(gstart, reason)
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
            self.pending = StreamBreak(self.member_off, "truncated gzip member")
            self._scan_member(max(self.member_off + 1, raw.start))
            self._add_mark(raw.pos)
            return True
        # small input slices: zlib copies whatever follows the member end into unused_data
        inp = bytes(raw.buf[raw.cur : raw.cur + INFLATE_INPUT])
        try:
            out = d.decompress(inp, 1 << 20)
        except zlib.error as e:
            self.d = None
            self.pending = StreamBreak(self.member_off, f"corrupt gzip member ({e})")
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
