"""A polite, resumable web crawler for a fixed URL list (the WARP-style crawl of the LLM-jp corpus).

``crawl(urls_file, out_dir, settings) -> CrawlSummary`` fetches every URL of ``urls_file`` (one per line,
plain or gzip; blank lines and ``#`` comments ignored; duplicates and fragments dropped) and writes:

* ``out_dir/crawl-NNNNN.warc.gz`` -- WARC/1.0 files: a ``warcinfo`` record, then for every fetch a
  ``request`` and a ``response`` record (redirect hops included), each record its own gzip member
  (``mtime=0``), as Common Crawl does.  A new file starts when the current one reaches
  ``warc_max_bytes``, and every run starts a new file;
* ``out_dir/crawl.sqlite`` -- the crawl log: one row per input URL with its outcome, HTTP status, final
  URL, number of redirects, WARC file/offset/length, bytes and reason (see ``Outcome``).

Resuming: run the same command again.  URLs with a row in the log are not fetched again (pass
``retry_failed=True`` to retry ``error``/``robots_unavailable`` rows).  The records of one URL (its
redirect chain) are written contiguously and flushed *before* its log row is committed; at start-up every
WARC file is cut back to the end of the last logged record, so a record half-written when the process was
killed disappears and its URL is fetched again.  A URL whose request was in flight at the kill is fetched
again (at most ``global_concurrency`` of them); a URL that was logged is never fetched again.

Politeness and limits (all in :class:`CrawlSettings`):

* ``robots.txt`` is fetched once per host (scheme+host+port) per run, cached in memory, and applied with
  ``urllib.robotparser`` to the user agent's product token.  Policy on failure, after RFC 9309 §2.3.1:
  HTTP 4xx -> no restrictions ("unavailable"); HTTP 5xx, timeouts, connection errors, a refused address or a
  robots redirect loop -> the whole host is treated as disallowed for this run ("unreachable"), outcome
  ``robots_unavailable`` (retried by ``retry_failed``).  ``respect_robots=False`` switches it off.
* per host (``host:port``): at most ``per_host_concurrency`` requests at once, and request *starts* at
  least ``per_host_delay_s`` apart (robots.txt, retries and redirect hops included); at most
  ``global_concurrency`` requests overall;
* retries with exponential back-off (``backoff_s * 2**attempt``, ``Retry-After`` honoured up to
  ``max_retry_after_s``) on connection errors, timeouts, 408/425/429/500/502/503/504;
* ``timeout_s`` bounds a whole request (connect + headers + body); ``connect_timeout_s`` the connect;
* bodies are read up to ``max_body_bytes`` (raw, as sent); a longer body is cut, stored with
  ``WARC-Truncated: length`` and logged with the reason ``body cut at N bytes``;
* redirects are followed by hand up to ``max_redirects`` hops; a URL seen twice in one chain ends it as
  ``redirect_loop``;
* only ``http``/``https``; addresses that are not globally routable (loopback, RFC 1918 private,
  link-local incl. the 169.254.169.254 metadata service, CGNAT, multicast, reserved, unspecified,
  IPv4-mapped forms of those) are refused -- for IP-literal hosts before any connection, for names
  inside the resolver, i.e. after DNS resolution and on the addresses the connection will use, on every
  redirect hop.  ``allow_networks`` (CIDRs) or ``allow_private=True`` lift this (tests use 127.0.0.1/32).

The WARC files are read back by :func:`corpus_builder.sources.warc.iter_warc` like Common Crawl files;
PDF responses become documents through :mod:`corpus_builder.sources.pdf`.

Command line (until ``corpus-build crawl`` is wired):
``python -m corpus_builder.sources.crawler URLS --out DIR``.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import io
import ipaddress
import json
import os
import re
import socket
import sqlite3
import sys
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urljoin, urlsplit, urlunsplit
from urllib.robotparser import RobotFileParser

import aiohttp
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from corpus_builder.sources.remote import RETRY_STATUS, backoff_delay

__all__ = [
    "CrawlSettings",
    "CrawlSummary",
    "Outcome",
    "crawl",
    "crawl_async",
    "read_url_list",
    "address_allowed",
]

_VERSION = "0.1"
DEFAULT_USER_AGENT = (
    f"corpus_builder-crawler/{_VERSION} (LLM pre-training corpus research; +contact in README)"
)
_REDIRECT_STATUS = frozenset({301, 302, 303, 307, 308})
_ROBOTS_MAX_BYTES = 500 * 1024  # RFC 9309 §2.5: at least 500 KiB must be parsed
_ROBOTS_MAX_REDIRECTS = 5  # RFC 9309 §2.3.1.2
_CHUNK = 64 * 1024
_NOT_GLOBAL_EXTRA = (ipaddress.ip_network("100.64.0.0/10"),)  # CGNAT; also 100.100.100.200 (a metadata IP)


class Outcome:
    """Values of the ``outcome`` column of the crawl log."""

    FETCHED = "fetched"  # final response 2xx (possibly cut: see reason)
    HTTP_ERROR = "http_error"  # final response 4xx/5xx/other (written to the WARC too)
    REDIRECT_LOOP = "redirect_loop"
    TOO_MANY_REDIRECTS = "too_many_redirects"
    ROBOTS_DISALLOWED = "robots_disallowed"
    ROBOTS_UNAVAILABLE = "robots_unavailable"  # robots.txt unreachable: host treated as disallowed
    REFUSED = "refused"  # scheme or address not allowed; nothing was sent
    ERROR = "error"  # timeout / connection error after all retries

    RETRYABLE = frozenset({ERROR, ROBOTS_UNAVAILABLE})


@dataclass
class CrawlSettings:
    user_agent: str = DEFAULT_USER_AGENT
    global_concurrency: int = 32
    per_host_concurrency: int = 1
    per_host_delay_s: float = 1.0
    timeout_s: float = 30.0
    connect_timeout_s: float = 10.0
    retries: int = 2
    backoff_s: float = 1.0
    max_retry_after_s: float = 60.0
    max_body_bytes: int = 10_000_000
    max_redirects: int = 5
    respect_robots: bool = True
    allow_private: bool = False
    allow_networks: list[str] = field(default_factory=list)
    warc_max_bytes: int = 1_000_000_000
    warc_prefix: str = "crawl"
    retry_failed: bool = False
    accept_language: str | None = "ja,en;q=0.8"

    def __post_init__(self) -> None:
        if self.global_concurrency < 1 or self.per_host_concurrency < 1:
            raise ValueError("concurrency limits must be >= 1")
        if self.per_host_delay_s < 0 or self.timeout_s <= 0 or self.max_body_bytes <= 0:
            raise ValueError("per_host_delay_s >= 0, timeout_s > 0 and max_body_bytes > 0 are required")
        if self.max_redirects < 0 or self.retries < 0:
            raise ValueError("max_redirects and retries must be >= 0")
        for net in self.allow_networks:
            ipaddress.ip_network(net, strict=False)  # raises ValueError on a bad CIDR


@dataclass
class CrawlSummary:
    urls: int  # distinct URLs in the list
    skipped: int  # already in the log (resumed run)
    outcomes: dict[str, int]  # outcome -> count, for this run
    truncated: int  # bodies cut at max_body_bytes in this run
    requests: int  # HTTP requests sent in this run (robots.txt, retries, redirect hops included)
    bytes: int  # body bytes received in this run
    warc_files: list[str]  # files written in this run
    elapsed_s: float


# ---------------------------------------------------------------------------------------------------------
# Address policy
# ---------------------------------------------------------------------------------------------------------


class _Refused(Exception):
    """A target that must not be contacted."""


def _parse_networks(nets: Iterable[str]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(n, strict=False) for n in nets]


def address_allowed(ip: str, *, allow_private: bool = False, allow_networks: Iterable[str] = ()) -> bool:
    """Is ``ip`` a globally routable unicast address (or explicitly allowed)?"""
    addr = ipaddress.ip_address(ip.split("%", 1)[0])
    if allow_private:
        return True
    nets = _parse_networks(allow_networks)
    if any(addr in n for n in nets if n.version == addr.version):
        return True
    if isinstance(addr, ipaddress.IPv6Address):
        mapped = addr.ipv4_mapped or addr.sixtofour
        if mapped is not None:
            return address_allowed(str(mapped), allow_networks=allow_networks)
        if addr.teredo is not None:
            return False
    if any(addr in n for n in _NOT_GLOBAL_EXTRA if n.version == addr.version):
        return False
    return addr.is_global and not addr.is_multicast


class _Guard:
    def __init__(self, settings: CrawlSettings) -> None:
        self.allow_private = settings.allow_private
        self.nets = list(settings.allow_networks)

    def check_ip(self, ip: str, host: str) -> None:
        if not address_allowed(ip, allow_private=self.allow_private, allow_networks=self.nets):
            raise _Refused(f"refused: {host} is a non-public address ({ip})")

    def check_url(self, url: str) -> None:
        """Scheme and IP-literal checks, before anything is sent."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise _Refused(f"refused: unsupported scheme {parts.scheme!r}")
        host = parts.hostname
        if not host:
            raise _Refused("refused: URL has no host")
        try:
            ipaddress.ip_address(host.split("%", 1)[0])
        except ValueError:
            if re.fullmatch(r"[0-9.x]+|0x[0-9a-f.x]+", host, re.I):  # 2130706433, 127.1, 0x7f.1 ...
                raise _Refused(f"refused: non-canonical numeric host {host!r}") from None
            return  # a name: checked after resolution
        self.check_ip(host, host)


class _GuardedResolver(aiohttp.abc.AbstractResolver):
    """Resolves with the system resolver, then refuses the whole name if any address is not allowed."""

    def __init__(self, guard: _Guard) -> None:
        self._inner = aiohttp.ThreadedResolver()
        self._guard = guard

    async def resolve(self, host: str, port: int = 0, family: int = socket.AF_INET):  # type: ignore[override]
        infos = await self._inner.resolve(host, port, family)
        for info in infos:
            self._guard.check_ip(info["host"], host)
        return infos

    async def close(self) -> None:
        await self._inner.close()


# ---------------------------------------------------------------------------------------------------------
# URL list, log, WARC writer
# ---------------------------------------------------------------------------------------------------------


def _normalise(url: str) -> str:
    parts = urlsplit(url.strip())
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", parts.query, ""))


def read_url_list(path: str | os.PathLike) -> list[str]:
    """URLs of a list file (plain or .gz), normalised (lower-case scheme/host, no fragment), deduplicated."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    out, seen = [], set()
    for line in data.decode("utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        url = _normalise(line)
        if url not in seen:
            seen.add(url)
            out.append(url)
    return out


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


class _Log:
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


class _WarcOut:
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
            f"software: corpus_builder.sources.crawler/{_VERSION}\r\nformat: WARC File Format 1.0\r\n"
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


def _repair_warcs(out_dir: Path, prefix: str, ends: dict[str, int]) -> None:
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


# ---------------------------------------------------------------------------------------------------------
# The crawler
# ---------------------------------------------------------------------------------------------------------


class _Host:
    def __init__(self, concurrency: int) -> None:
        self.sem = asyncio.Semaphore(concurrency)
        self.lock = asyncio.Lock()
        self.next_start = 0.0


@dataclass
class _Response:
    url: str
    status: int
    reason: str
    raw_headers: list[tuple[str, str]]
    body: bytes
    cut: bool
    peer_ip: str | None
    request_headers: list[tuple[str, str]]
    request_line: str


class _Fail(Exception):
    def __init__(self, outcome: str, reason: str) -> None:
        super().__init__(reason)
        self.outcome = outcome
        self.reason = reason


class _Crawler:
    def __init__(self, settings: CrawlSettings, log: _Log, warc: _WarcOut) -> None:
        self.s = settings
        self.log = log
        self.warc = warc
        self.guard = _Guard(settings)
        self.global_sem = asyncio.Semaphore(settings.global_concurrency)
        self.hosts: dict[str, _Host] = defaultdict(lambda: _Host(settings.per_host_concurrency))
        self.robots: dict[str, asyncio.Task] = {}
        self.outcomes: Counter[str] = Counter()
        self.requests = 0
        self.bytes = 0
        self.truncated = 0
        self.agent_token = settings.user_agent.split("/", 1)[0].split()[0]
        self.session: aiohttp.ClientSession | None = None

    # -- HTTP -------------------------------------------------------------------------------------------

    async def _host_slot_wait(self, host: _Host) -> None:
        async with host.lock:
            now = time.monotonic()
            wait = host.next_start - now
            host.next_start = max(now, host.next_start) + self.s.per_host_delay_s
        if wait > 0:
            await asyncio.sleep(wait)

    async def _request(self, url: str, limit: int) -> _Response:
        """One GET (no redirects followed), politeness applied; raises _Refused / aiohttp / timeout errors."""
        self.guard.check_url(url)
        assert self.session is not None
        key = urlsplit(url).netloc
        host = self.hosts[key]
        headers = {"User-Agent": self.s.user_agent, "Accept-Encoding": "gzip, deflate", "Accept": "*/*"}
        if self.s.accept_language:
            headers["Accept-Language"] = self.s.accept_language
        async with host.sem, self.global_sem:
            await self._host_slot_wait(host)
            self.requests += 1
            timeout = aiohttp.ClientTimeout(total=self.s.timeout_s, connect=self.s.connect_timeout_s)
            async with self.session.get(url, headers=headers, allow_redirects=False, timeout=timeout) as resp:
                peer = None
                if resp.connection is not None and resp.connection.transport is not None:
                    pn = resp.connection.transport.get_extra_info("peername")
                    peer = pn[0] if pn else None
                chunks, total, cut = [], 0, False
                async for chunk in resp.content.iter_chunked(_CHUNK):
                    if total + len(chunk) > limit:
                        chunks.append(chunk[: limit - total])
                        total = limit
                        cut = True
                        break
                    chunks.append(chunk)
                    total += len(chunk)
                self.bytes += total
                req_headers = [(k, v) for k, v in resp.request_info.headers.items()]
                parts = urlsplit(url)
                target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
                return _Response(
                    url=url,
                    status=resp.status,
                    reason=resp.reason or "",
                    raw_headers=[(k.decode("latin-1"), v.decode("latin-1")) for k, v in resp.raw_headers],
                    body=b"".join(chunks),
                    cut=cut,
                    peer_ip=peer,
                    request_headers=req_headers,
                    request_line=f"GET {target} HTTP/1.1",
                )

    async def _with_retries(self, url: str, limit: int) -> _Response:
        last = "unknown error"
        for attempt in range(self.s.retries + 1):
            delay = backoff_delay(attempt, self.s.backoff_s)
            try:
                resp = await self._request(url, limit)
            except _Refused as e:
                raise _Fail(Outcome.REFUSED, str(e)) from None
            except (asyncio.TimeoutError, TimeoutError):
                last = f"timeout after {self.s.timeout_s:g} s"
            except aiohttp.ClientConnectorError as e:
                cause = e.__cause__ or e.__context__
                if isinstance(cause, _Refused):
                    raise _Fail(Outcome.REFUSED, str(cause)) from None
                last = f"connection error: {e}"
            except (aiohttp.ClientError, OSError) as e:
                if isinstance(e.__cause__, _Refused):
                    raise _Fail(Outcome.REFUSED, str(e.__cause__)) from None
                last = f"{type(e).__name__}: {e}"
            else:
                if resp.status not in RETRY_STATUS or attempt == self.s.retries:
                    return resp
                last = f"HTTP {resp.status}"
                ra = dict((k.lower(), v) for k, v in resp.raw_headers).get("retry-after", "")
                if ra.strip().isdigit():
                    delay = max(delay, min(float(ra), self.s.max_retry_after_s))
            if attempt < self.s.retries:
                await asyncio.sleep(delay)
        raise _Fail(Outcome.ERROR, f"{last} (after {self.s.retries + 1} attempts)")

    # -- robots.txt -------------------------------------------------------------------------------------

    async def _robots_for(self, url: str) -> RobotFileParser | None:
        """The host's parsed robots.txt; None = everything allowed; raises _Fail when unreachable."""
        parts = urlsplit(url)
        key = f"{parts.scheme}://{parts.netloc}"
        task = self.robots.get(key)
        if task is None:
            task = asyncio.ensure_future(self._fetch_robots(key))
            self.robots[key] = task
        return await task

    async def _fetch_robots(self, origin: str) -> RobotFileParser | None:
        url = origin + "/robots.txt"
        seen = {url}
        for _ in range(_ROBOTS_MAX_REDIRECTS + 1):
            try:
                resp = await self._with_retries(url, _ROBOTS_MAX_BYTES)
            except _Fail as f:
                if f.outcome == Outcome.REFUSED:
                    raise
                raise _Fail(
                    Outcome.ROBOTS_UNAVAILABLE, f"robots.txt unreachable ({f.reason}): host disallowed"
                ) from None
            if resp.status in _REDIRECT_STATUS:
                loc = dict((k.lower(), v) for k, v in resp.raw_headers).get("location")
                nxt = _normalise(urljoin(url, loc)) if loc else None
                if nxt is None or nxt in seen:
                    break
                seen.add(nxt)
                url = nxt
                continue
            if 200 <= resp.status < 300:
                rp = RobotFileParser()
                rp.parse(resp.body.decode("utf-8", "replace").splitlines())
                return rp
            if 400 <= resp.status < 500:
                return None  # "unavailable": no restrictions
            raise _Fail(
                Outcome.ROBOTS_UNAVAILABLE, f"robots.txt unreachable (HTTP {resp.status}): host disallowed"
            )
        raise _Fail(Outcome.ROBOTS_UNAVAILABLE, "robots.txt redirects loop or exceed 5 hops: host disallowed")

    async def _check_robots(self, url: str) -> None:
        if not self.s.respect_robots:
            return
        rp = await self._robots_for(url)
        if rp is not None and not rp.can_fetch(self.agent_token, url):
            raise _Fail(Outcome.ROBOTS_DISALLOWED, f"robots.txt disallows {urlsplit(url).path or '/'}")

    # -- one URL ----------------------------------------------------------------------------------------

    def _records(self, resp: _Response) -> list:
        w = self.warc._writer
        date = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        req_id = f"<urn:uuid:{uuid.uuid4()}>"
        host = urlsplit(resp.url).netloc
        req_headers = [(k, v) for k, v in resp.request_headers if k.lower() != "host"]
        req_http = StatusAndHeaders(resp.request_line, [("Host", host), *req_headers], is_http_request=True)
        req = w.create_warc_record(
            resp.url,
            "request",
            payload=io.BytesIO(b""),
            length=0,
            http_headers=req_http,
            warc_headers_dict={"WARC-Date": date, "WARC-Record-ID": req_id},
        )
        headers = []
        for k, v in resp.raw_headers:
            # the body is stored de-chunked (aiohttp undoes chunking): keep the fact, not the framing
            headers.append((f"X-Crawler-{k}", v) if k.lower() == "transfer-encoding" else (k, v))
        http = StatusAndHeaders(f"{resp.status} {resp.reason}".strip(), headers, protocol="HTTP/1.1")
        warc_headers = {"WARC-Date": date, "WARC-Concurrent-To": req_id}
        if resp.peer_ip:
            warc_headers["WARC-IP-Address"] = resp.peer_ip
        if resp.cut:
            warc_headers["WARC-Truncated"] = "length"
        res = w.create_warc_record(
            resp.url,
            "response",
            payload=io.BytesIO(resp.body),
            length=len(resp.body),
            http_headers=http,
            warc_headers_dict=warc_headers,
        )
        return [req, res]

    async def process(self, url: str) -> None:
        records: list = []
        current, seen, hops = url, {url}, 0
        status: int | None = None
        outcome, reason = Outcome.FETCHED, None
        nbytes = 0
        try:
            while True:
                self.guard.check_url(current)  # before robots: nothing is sent to a refused target
                await self._check_robots(current)
                resp = await self._with_retries(current, self.s.max_body_bytes)
                records += self._records(resp)
                nbytes += len(resp.body)
                status = resp.status
                if resp.cut:
                    self.truncated += 1
                    reason = f"body cut at {self.s.max_body_bytes} bytes"
                loc = dict((k.lower(), v) for k, v in resp.raw_headers).get("location")
                if resp.status in _REDIRECT_STATUS and loc:
                    nxt = _normalise(urljoin(current, loc))
                    if nxt in seen:
                        raise _Fail(Outcome.REDIRECT_LOOP, f"redirect loop: {current} -> {nxt}")
                    if hops >= self.s.max_redirects:
                        raise _Fail(Outcome.TOO_MANY_REDIRECTS, f"more than {self.s.max_redirects} redirects")
                    seen.add(nxt)
                    current = nxt
                    hops += 1
                    continue
                outcome = Outcome.FETCHED if 200 <= resp.status < 300 else Outcome.HTTP_ERROR
                break
        except _Refused as e:
            outcome, reason = Outcome.REFUSED, str(e)
        except _Fail as f:
            outcome, reason = f.outcome, f.reason
        warc = self.warc.write(records) if records else None
        self.log.record(url, outcome, status, current, hops, warc, nbytes, reason)
        self.outcomes[outcome] += 1

    async def run(self, urls: list[str]) -> None:
        by_host: dict[str, list[str]] = defaultdict(list)
        for u in urls:
            by_host[urlsplit(u).netloc].append(u)
        queue: asyncio.Queue[list[str]] = asyncio.Queue()
        for lst in by_host.values():
            lst.reverse()  # pop() from the end keeps file order
            queue.put_nowait(lst)
        connector = aiohttp.TCPConnector(
            resolver=_GuardedResolver(self.guard),
            limit=self.s.global_concurrency,
            limit_per_host=self.s.per_host_concurrency,
            ttl_dns_cache=300,
        )
        async with aiohttp.ClientSession(
            connector=connector, auto_decompress=False, cookie_jar=aiohttp.DummyCookieJar()
        ) as session:
            self.session = session

            async def host_lane(lst: list[str]) -> None:
                while lst:
                    await self.process(lst.pop())

            async def worker() -> None:
                while not queue.empty():
                    lst = queue.get_nowait()
                    await asyncio.gather(*(host_lane(lst) for _ in range(self.s.per_host_concurrency)))

            n_workers = min(self.s.global_concurrency, max(1, len(by_host)))
            await asyncio.gather(*(worker() for _ in range(n_workers)))
            for t in self.robots.values():
                if t.done() and not t.cancelled():
                    t.exception()  # mark retrieved


async def crawl_async(urls: list[str], out_dir: str | os.PathLike, settings: CrawlSettings) -> CrawlSummary:
    start = time.monotonic()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    log = _Log(out / "crawl.sqlite")
    try:
        done = log.done(settings.retry_failed)
        _repair_warcs(out, settings.warc_prefix, log.warc_ends())
        todo = [u for u in urls if u not in done]
        warc = _WarcOut(out, settings)
        crawler = _Crawler(settings, log, warc)
        try:
            if todo:
                await crawler.run(todo)
        finally:
            warc.close()
        return CrawlSummary(
            urls=len(urls),
            skipped=len(urls) - len(todo),
            outcomes=dict(crawler.outcomes),
            truncated=crawler.truncated,
            requests=crawler.requests,
            bytes=crawler.bytes,
            warc_files=warc.written,
            elapsed_s=round(time.monotonic() - start, 3),
        )
    finally:
        log.close()


def crawl(
    urls_file: str | os.PathLike, out_dir: str | os.PathLike, settings: CrawlSettings | None = None
) -> CrawlSummary:
    """Crawl every URL of ``urls_file`` into ``out_dir`` (see the module docstring); resumable."""
    return asyncio.run(crawl_async(read_url_list(urls_file), out_dir, settings or CrawlSettings()))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="corpus_builder.sources.crawler", description="Crawl a URL list into WARC files."
    )
    p.add_argument("urls")
    p.add_argument("--out", required=True)
    p.add_argument("--user-agent", default=DEFAULT_USER_AGENT)
    p.add_argument("--concurrency", type=int, default=32)
    p.add_argument("--per-host-concurrency", type=int, default=1)
    p.add_argument("--per-host-delay", type=float, default=1.0)
    p.add_argument("--timeout", type=float, default=30.0)
    p.add_argument("--retries", type=int, default=2)
    p.add_argument("--backoff", type=float, default=1.0)
    p.add_argument("--max-body-bytes", type=int, default=10_000_000)
    p.add_argument("--max-redirects", type=int, default=5)
    p.add_argument("--warc-max-bytes", type=int, default=1_000_000_000)
    p.add_argument("--ignore-robots", action="store_true")
    p.add_argument(
        "--allow-network", action="append", default=[], help="CIDR allowed despite being non-public"
    )
    p.add_argument("--retry-failed", action="store_true")
    a = p.parse_args(argv)
    settings = CrawlSettings(
        user_agent=a.user_agent,
        global_concurrency=a.concurrency,
        per_host_concurrency=a.per_host_concurrency,
        per_host_delay_s=a.per_host_delay,
        timeout_s=a.timeout,
        retries=a.retries,
        backoff_s=a.backoff,
        max_body_bytes=a.max_body_bytes,
        max_redirects=a.max_redirects,
        warc_max_bytes=a.warc_max_bytes,
        respect_robots=not a.ignore_robots,
        allow_networks=a.allow_network,
        retry_failed=a.retry_failed,
    )
    summary = crawl(a.urls, a.out, settings)
    print(json.dumps(asdict(summary), ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
