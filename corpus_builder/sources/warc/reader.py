"""The public entry :func:`iter_warc`: opens the input, tells gzip, plain WARC and ARC apart (without
needing a seekable stream) and runs the matching path, keeping only the requested record types."""

from __future__ import annotations

import contextlib
import io
import zlib
from collections.abc import Callable, Iterator
from typing import BinaryIO

from corpus_builder.sources.warc.arc_fallback import warcio_arc_records
from corpus_builder.sources.warc.fast_path import fast_gzip_records, fast_plain_records
from corpus_builder.sources.warc.headers import CHUNK, GZIP_MAGIC, RESYNC_PROBE
from corpus_builder.sources.warc.record import RawRecord, WarcReadError, WarcRecord, build_record

__all__ = ["iter_warc"]


_SNIFF = 64 << 10  # bytes looked at to tell gzip from plain WARC


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
    i = head.find(GZIP_MAGIC)
    while i >= 0:
        with contextlib.suppress(zlib.error):
            if zlib.decompressobj(31).decompress(head[i : i + RESYNC_PROBE], 16).startswith(b"WARC/"):
                return True
        i = head.find(GZIP_MAGIC, i + 1)
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
        while self._pos < target and self.read(min(target - self._pos, CHUNK)):
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

    def emit(item: RawRecord | WarcReadError) -> WarcRecord | WarcReadError | None:
        if isinstance(item, WarcReadError):
            return item
        rtype = item.headers.get("warc-type")
        if rtype is not None and rtype not in wanted:
            return None
        return build_record(item, path, max_payload_bytes)

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
            for item in warcio_arc_records(f, path, max_payload_bytes):
                out = emit(item)
                if out is not None:
                    yield out
            return
        fast = fast_gzip_records if gz else fast_plain_records
        for item in fast(f, path, max_payload_bytes):
            out = emit(item)
            if out is not None:
                yield out
    finally:
        f.close()
