"""What a crawl writes and resumes from: the URL list it reads, the crawl log (SQLite), the WARC
files (cut back to the last logged record at start-up) and the lock that keeps a second crawler out.
"""

import fcntl
import gzip
import io
import os
import re
import socket
import sqlite3
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from warcio.warcwriter import WARCWriter

from corpus_builder.acquire.crawl_settings import LOCK_FILE, VERSION, CrawlSettings, Outcome
from corpus_builder.contracts.errors import RunFailedError


def normalise_url(url: str) -> str:
    """Lower-case scheme and host, no fragment; a line that does not even split is kept as it is, so that
    the crawl logs it as ``invalid`` under the text the user wrote."""
    text = url.strip()
    try:
        parts = urlsplit(text)
    except ValueError:
        return text
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", parts.query, ""))


def read_url_list(path: str | os.PathLike) -> list[str]:
    """URLs of a list file (plain or .gz), normalised (lower-case scheme/host, no fragment), deduplicated.

    Nothing is rejected here: bytes that are not UTF-8 become U+FFFD, and a malformed line is crawled
    (and logged as ``invalid`` with its reason) like any other, so one bad line costs one row.
    """
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    out, seen = [], set()
    for line in data.decode("utf-8", "replace").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        url = normalise_url(line)
        if url not in seen:
            seen.add(url)
            out.append(url)
    return out


class CrawlLockedError(RunFailedError):
    """Another crawler holds the lock on the output directory."""


class CrawlLock:
    """An exclusive ``flock`` on ``out_dir/crawl.lock``, so two crawlers never share a log and WARC files.

    The kernel drops the lock when its holder exits, however it exits (a SIGKILL included); the file's
    text (pid, host, start time) only serves to name the holder in the message.
    """

    def __init__(self, out_dir: Path) -> None:
        self.path = out_dir / LOCK_FILE
        self.f = open(self.path, "a+")  # noqa: SIM115 - held for the whole crawl
        try:
            fcntl.flock(self.f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.f.seek(0)
            holder = self.f.read().strip() or "unknown process"
            self.f.close()
            raise CrawlLockedError(
                f"{out_dir} is in use by another crawler ({holder}); wait for it to finish"
                " or use another --out"
            ) from None
        self.f.seek(0)
        self.f.truncate()
        started = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        self.f.write(f"pid {os.getpid()} on {socket.gethostname()}, started {started}")
        self.f.flush()

    def release(self) -> None:
        self.f.seek(0)
        self.f.truncate()
        fcntl.flock(self.f, fcntl.LOCK_UN)
        self.f.close()


_SCHEMA = """
CREATE TABLE IF NOT EXISTS urls (
    url TEXT PRIMARY KEY,
    outcome TEXT NOT NULL,
    http_status INTEGER,
    final_url TEXT,
    redirects INTEGER NOT NULL DEFAULT 0,
    warc_file TEXT,
    warc_offset INTEGER,
    warc_length INTEGER,
    bytes INTEGER NOT NULL DEFAULT 0,
    reason TEXT,
    fetched_at TEXT NOT NULL
)
"""


class CrawlLog:
    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute(_SCHEMA)

    def done(self, retry_failed: bool) -> set[str]:
        rows = self.db.execute("SELECT url, outcome FROM urls").fetchall()
        return {u for u, o in rows if not (retry_failed and o in Outcome.RETRYABLE)}

    def warc_ends(self) -> dict[str, int]:
        rows = self.db.execute(
            "SELECT warc_file, MAX(warc_offset + warc_length) FROM urls"
            " WHERE warc_file IS NOT NULL GROUP BY warc_file"
        ).fetchall()
        return {f: int(end) for f, end in rows}

    def record(
        self,
        url: str,
        outcome: str,
        status: int | None,
        final_url: str | None,
        redirects: int,
        warc: tuple[str, int, int] | None,
        nbytes: int,
        reason: str | None,
    ) -> None:
        wf, wo, wl = warc if warc else (None, None, None)
        self.db.execute(
            "INSERT OR REPLACE INTO urls VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (
                url,
                outcome,
                status,
                final_url,
                redirects,
                wf,
                wo,
                wl,
                nbytes,
                reason,
                datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            ),
        )

    def close(self) -> None:
        self.db.close()


class WarcOutput:
    """Appends gzip members to rotating WARC files; one call writes one URL's records contiguously."""

    def __init__(self, out_dir: Path, settings: CrawlSettings) -> None:
        self.dir = out_dir
        self.prefix = settings.warc_prefix
        self.max_bytes = settings.warc_max_bytes
        self.user_agent = settings.user_agent
        self._buf = io.BytesIO()
        self._writer = WARCWriter(self._buf, gzip=False)
        existing = [
            int(m.group(1))
            for p in out_dir.glob(f"{self.prefix}-*.warc.gz")
            if (m := re.fullmatch(rf"{re.escape(self.prefix)}-(\d+)\.warc\.gz", p.name))
        ]
        self.seq = max(existing, default=-1)
        self.f = None
        self.name: str | None = None
        self.size = 0
        self.written: list[str] = []

    def _serialise(self, record) -> bytes:
        self._buf.seek(0)
        self._buf.truncate()
        self._writer.write_record(record)
        return gzip.compress(self._buf.getvalue(), compresslevel=6, mtime=0)

    def _open_next(self) -> None:
        if self.f is not None:
            self.f.close()
        self.seq += 1
        self.name = f"{self.prefix}-{self.seq:05d}.warc.gz"
        self.f = open(self.dir / self.name, "ab")  # noqa: SIM115 - kept open across calls
        self.size = self.f.tell()
        self.written.append(self.name)
        info = (
            f"software: corpus_builder.acquire.crawler/{VERSION}\r\nformat: WARC File Format 1.0\r\n"
            f"http-header-user-agent: {self.user_agent}\r\nrobots: classic\r\n"
        ).encode()
        rec = self._writer.create_warc_record(
            self.name,
            "warcinfo",
            payload=io.BytesIO(info),
            length=len(info),
            warc_headers_dict={"WARC-Filename": self.name, "Content-Type": "application/warc-fields"},
        )
        data = self._serialise(rec)
        self.f.write(data)
        self.f.flush()
        self.size += len(data)

    def write(self, records: list) -> tuple[str, int, int]:
        """Write the records; returns (file name, offset, length) once they are flushed to the OS."""
        if self.f is None or self.size >= self.max_bytes:
            self._open_next()
        data = b"".join(self._serialise(r) for r in records)
        offset = self.size
        self.f.write(data)
        self.f.flush()
        self.size += len(data)
        return self.name, offset, len(data)  # type: ignore[return-value]

    def close(self) -> None:
        if self.f is not None:
            self.f.close()
            self.f = None


def repair_warcs(out_dir: Path, prefix: str, ends: dict[str, int]) -> None:
    """Cut every WARC file back to the end of its last logged record (drops a half-written tail).

    A file without any logged record keeps only its warcinfo member (or nothing, if even that is damaged).
    """
    for p in sorted(out_dir.glob(f"{prefix}-*.warc.gz")):
        size = p.stat().st_size
        end = ends.get(p.name)
        if end is None:
            end = _first_member_end(p)
        if end < size:
            with open(p, "r+b") as f:
                f.truncate(end)


def _first_member_end(path: Path) -> int:
    """Byte length of the first complete gzip member (the warcinfo record), 0 if there is none."""
    import zlib

    data = path.read_bytes()[: 1 << 20]
    d = zlib.decompressobj(31)
    try:
        d.decompress(data)
    except zlib.error:
        return 0
    return len(data) - len(d.unused_data) if d.eof else 0
