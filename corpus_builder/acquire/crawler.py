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
again (at most ``global_concurrency`` of them); a URL that was logged is never fetched again.  An
exclusive lock on ``out_dir/crawl.lock`` keeps a second crawler out of the same directory
(:class:`CrawlLockedError` names the holder).

Hostile input costs one URL: a malformed line, host or ``Location`` header is logged as ``invalid`` with
its reason (nothing is sent), and an unexpected failure as ``error``; the crawl goes on either way.

Politeness and limits (all in :class:`CrawlSettings`):

* ``robots.txt`` per RFC 9309, matched by Protego (Scrapy's parser: ``*`` and ``$``, the longest match
  wins, ``Allow`` wins a tie) for the user agent's product token; fetched once per scheme+host+port per
  run (userinfo ignored), following up to 5 redirects (§2.3.1.2) and reading at most 500 KiB (§2.5).
  HTTP 4xx -> no restrictions ("unavailable"); HTTP 5xx, timeouts, connection errors, a refused address or
  a robots redirect loop -> the whole host is disallowed for this run ("unreachable", §2.3.1.4), outcome
  ``robots_unavailable`` (retried by ``retry_failed``).  ``respect_robots=False`` switches it off.
  ``Crawl-delay`` (not in RFC 9309) raises the host's delay to ``max(per_host_delay_s, Crawl-delay)``,
  at most ``max_crawl_delay_s``;
* per scheme+host+port (userinfo ignored): at most ``per_host_concurrency`` requests at once, and request
  *starts* at least the host's delay apart (robots.txt, retries and redirect hops included); at most
  ``global_concurrency`` requests overall;
* retries with exponential back-off (``backoff_s * 2**attempt``, ``Retry-After`` honoured up to
  ``max_retry_after_s``) on connection errors, timeouts, 408/425/429/500/502/503/504;
* ``timeout_s`` bounds a whole request (connect + headers + body); ``connect_timeout_s`` the connect;
* bodies are read up to ``max_body_bytes`` (raw, as sent); a longer body is cut, stored with
  ``WARC-Truncated: length`` and logged with the reason ``body cut at N bytes``;
* redirects are followed by hand up to ``max_redirects`` hops; a URL seen twice in one chain ends it as
  ``redirect_loop``;
* only ``http``/``https``, and only public addresses (:mod:`corpus_builder.acquire.crawler_guard`): the
  host is read as aiohttp reads it (yarl, UTS-46) and as the URL Standard reads IPv4 numbers, and every
  address the connector is about to connect to -- after DNS, on every hop and retry -- is checked in the
  socket factory, so no spelling and no DNS answer reaches a non-public address.  ``allow_networks``
  (CIDRs) or ``allow_private=True`` lift this (tests use 127.0.0.1/32).

The WARC files are read back by :func:`corpus_builder.sources.warc.reader.iter_warc` like Common Crawl files;
PDF responses become documents through :mod:`corpus_builder.sources.pdf`.

Command line: ``corpus-build crawl URLS --out DIR`` (``--help`` lists every option with its default).
"""

import asyncio
import io
import os
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import aiohttp
from protego import Protego
from warcio.statusandheaders import StatusAndHeaders

from corpus_builder.acquire.crawl_settings import CrawlSettings, CrawlSummary, Outcome
from corpus_builder.acquire.crawl_store import (
    CrawlLock,
    CrawlLog,
    WarcOutput,
    normalise_url,
    read_url_list,
    repair_warcs,
)
from corpus_builder.acquire.crawler_guard import (
    AddressPolicy,
    InvalidTarget,
    RefusedTarget,
    Target,
    guarded_socket_factory,
    parse_target,
    refusal_in,
)
from corpus_builder.sources.remote import RETRY_STATUS, backoff_delay

_REDIRECT_STATUS = frozenset({301, 302, 303, 307, 308})
_ROBOTS_MAX_BYTES = 500 * 1024  # RFC 9309 §2.5: at least 500 KiB must be parsed
_ROBOTS_MAX_REDIRECTS = 5  # RFC 9309 §2.3.1.2
_CHUNK = 64 * 1024


# ---------------------------------------------------------------------------------------------------------
# The crawler
# ---------------------------------------------------------------------------------------------------------


class _Host:
    """Politeness state of one scheme+host+port."""

    def __init__(self, concurrency: int, delay_s: float) -> None:
        self.sem = asyncio.Semaphore(concurrency)
        self.lock = asyncio.Lock()
        self.delay_s = delay_s  # raised by robots.txt Crawl-delay
        self.last_start = float("-inf")


# Credentials a URL's userinfo turns into (or a server's cookies): sent, never written into the archive,
# whose records end up as corpus provenance.
_CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie"})
_NOT_ARCHIVED = _CREDENTIAL_HEADERS | {"host"}  # Host is rewritten from the URL as archived


def without_userinfo(url: str) -> str:
    """The URL as archived: any ``user:password@`` removed from the authority."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()


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

    def header(self, name: str) -> str | None:
        """A header's value; UTF-8 bytes are read as UTF-8 (as browsers read a Location), else Latin-1."""
        value = next((v for k, v in self.raw_headers if k.lower() == name), None)
        if value is None:
            return None
        try:
            return value.encode("latin-1").decode("utf-8")
        except UnicodeDecodeError:
            return value


@dataclass
class _Chain:
    """One input URL's redirect chain as it is fetched."""

    url: str
    final: str
    hops: int = 0
    status: int | None = None
    nbytes: int = 0
    reason: str | None = None
    records: list = field(default_factory=list)


class _Fail(Exception):
    def __init__(self, outcome: str, reason: str) -> None:
        super().__init__(reason)
        self.outcome = outcome
        self.reason = reason


class _Crawler:
    def __init__(self, settings: CrawlSettings, log: CrawlLog, warc: WarcOutput) -> None:
        self.s = settings
        self.log = log
        self.warc = warc
        self.policy = AddressPolicy(
            allow_private=settings.allow_private, allow_networks=settings.allow_networks
        )
        self.global_sem = asyncio.Semaphore(settings.global_concurrency)
        self.hosts: dict[str, _Host] = defaultdict(
            lambda: _Host(settings.per_host_concurrency, settings.per_host_delay_s)
        )
        self.robots: dict[str, asyncio.Future] = {}
        self.outcomes: Counter[str] = Counter()
        self.requests = 0
        self.bytes = 0
        self.truncated = 0
        self.agent_token = settings.user_agent.split("/", 1)[0].split()[0]
        self.session: aiohttp.ClientSession | None = None

    def _target(self, url: str) -> Target:
        """Where ``url`` goes, as the client will connect; raises _Fail (invalid / refused)."""
        try:
            return parse_target(url, self.policy)
        except InvalidTarget as e:
            raise _Fail(Outcome.INVALID, str(e)) from None
        except RefusedTarget as e:
            raise _Fail(Outcome.REFUSED, str(e)) from None

    # -- HTTP -------------------------------------------------------------------------------------------

    async def _host_slot_wait(self, host: _Host) -> None:
        """Request starts of one host at least ``host.delay_s`` apart (robots.txt and retries included)."""
        async with host.lock:
            now = time.monotonic()
            start = max(now, host.last_start + host.delay_s)
            host.last_start = start
        if start > now:
            await asyncio.sleep(start - now)

    async def _request(self, url: str, limit: int) -> _Response:
        """One GET (no redirects followed), politeness applied; raises _Fail / aiohttp / timeout errors."""
        target = self._target(url)
        assert self.session is not None
        host = self.hosts[target.key]
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
                target_path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
                return _Response(
                    url=url,
                    status=resp.status,
                    reason=resp.reason or "",
                    raw_headers=[(k.decode("latin-1"), v.decode("latin-1")) for k, v in resp.raw_headers],
                    body=b"".join(chunks),
                    cut=cut,
                    peer_ip=peer,
                    request_headers=req_headers,
                    request_line=f"GET {target_path} HTTP/1.1",
                )

    async def _with_retries(self, url: str, limit: int) -> _Response:
        last = "unknown error"
        for attempt in range(self.s.retries + 1):
            delay = backoff_delay(attempt, self.s.backoff_s)
            try:
                resp = await self._request(url, limit)
            except (asyncio.TimeoutError, TimeoutError):
                last = f"timeout after {self.s.timeout_s:g} s"
            except aiohttp.InvalidURL as e:
                raise _Fail(Outcome.INVALID, f"malformed URL: {e}") from None
            except (aiohttp.ClientError, OSError) as e:
                refused = refusal_in(e)
                if refused is not None:  # the socket factory refused every address: nothing was sent
                    raise _Fail(Outcome.REFUSED, refused) from None
                last = (
                    f"connection error: {e}"
                    if isinstance(e, aiohttp.ClientConnectorError)
                    else (f"{type(e).__name__}: {e}")
                )
            else:
                if resp.status not in RETRY_STATUS or attempt == self.s.retries:
                    return resp
                last = f"HTTP {resp.status}"
                ra = (resp.header("retry-after") or "").strip()
                if ra.isdigit():
                    delay = max(delay, min(float(ra), self.s.max_retry_after_s))
            if attempt < self.s.retries:
                await asyncio.sleep(delay)
        raise _Fail(Outcome.ERROR, f"{last} (after {self.s.retries + 1} attempts)")

    # -- robots.txt -------------------------------------------------------------------------------------

    async def _robots_for(self, target: Target) -> Protego | None:
        """The host's parsed robots.txt (None = everything allowed), fetched once per scheme+host+port
        per crawl whatever the userinfo; raises _Fail when unreachable."""
        future = self.robots.get(target.key)
        if future is None:
            future = asyncio.ensure_future(self._fetch_robots(target))
            self.robots[target.key] = future
        return await future

    async def _fetch_robots(self, target: Target) -> Protego | None:
        url = target.origin + "/robots.txt"
        seen = {url}
        for _ in range(_ROBOTS_MAX_REDIRECTS + 1):
            try:
                resp = await self._with_retries(url, _ROBOTS_MAX_BYTES)
            except _Fail as f:
                if f.outcome == Outcome.REFUSED and url == target.origin + "/robots.txt":
                    raise  # the host itself is refused: so is the page
                raise _Fail(
                    Outcome.ROBOTS_UNAVAILABLE, f"robots.txt unreachable ({f.reason}): host disallowed"
                ) from None
            loc = resp.header("location")
            if resp.status in _REDIRECT_STATUS and loc:
                try:
                    url = normalise_url(urljoin(url, loc))
                except ValueError as e:
                    raise _Fail(
                        Outcome.ROBOTS_UNAVAILABLE,
                        f"robots.txt redirects to a malformed Location {loc[:200]!r} ({e}): host disallowed",
                    ) from None
                if url in seen:
                    break
                seen.add(url)
                continue
            if 200 <= resp.status < 300:
                # a 500 KiB file of wildcard rules takes ~1.6 s to parse: off the event loop, so that
                # other hosts' requests and timeouts keep running meanwhile
                rules = await asyncio.to_thread(Protego.parse, resp.body.decode("utf-8", "replace"))
                self._apply_crawl_delay(target, rules)
                return rules
            if 400 <= resp.status < 500:
                return None  # "unavailable": no restrictions (RFC 9309 §2.3.1.3)
            raise _Fail(
                Outcome.ROBOTS_UNAVAILABLE, f"robots.txt unreachable (HTTP {resp.status}): host disallowed"
            )
        raise _Fail(Outcome.ROBOTS_UNAVAILABLE, "robots.txt redirects loop or exceed 5 hops: host disallowed")

    def _apply_crawl_delay(self, target: Target, rules: Protego) -> None:
        asked = rules.crawl_delay(self.agent_token)
        if asked:
            host = self.hosts[target.key]
            host.delay_s = max(self.s.per_host_delay_s, min(float(asked), self.s.max_crawl_delay_s))

    async def _check_robots(self, url: str, target: Target) -> None:
        if not self.s.respect_robots:
            return
        rules = await self._robots_for(target)
        if rules is not None and not rules.can_fetch(url, self.agent_token):
            raise _Fail(Outcome.ROBOTS_DISALLOWED, f"robots.txt disallows {urlsplit(url).path or '/'}")

    # -- one URL ----------------------------------------------------------------------------------------

    def _records(self, resp: _Response) -> list:
        w = self.warc._writer
        date = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        req_id = f"<urn:uuid:{uuid.uuid4()}>"
        stored_url = without_userinfo(resp.url)
        host = urlsplit(stored_url).netloc  # what the Host header carried
        req_headers = [(k, v) for k, v in resp.request_headers if k.lower() not in _NOT_ARCHIVED]
        req_http = StatusAndHeaders(resp.request_line, [("Host", host), *req_headers], is_http_request=True)
        req = w.create_warc_record(
            stored_url,
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
            stored_url,
            "response",
            payload=io.BytesIO(resp.body),
            length=len(resp.body),
            http_headers=http,
            warc_headers_dict=warc_headers,
        )
        return [req, res]

    def _next_hop(self, current: str, location: str) -> str:
        try:
            return normalise_url(urljoin(current, location))
        except ValueError as e:
            raise _Fail(Outcome.INVALID, f"malformed Location header {location[:200]!r}: {e}") from None

    async def _follow(self, chain: _Chain) -> None:
        """Fetch ``chain.url`` and its redirects into ``chain``; raises _Fail on the hop that fails, the
        responses received before it staying in ``chain.records``."""
        seen = {chain.url}
        while True:
            try:
                target = self._target(chain.final)  # before robots: nothing is sent to a refused target
                await self._check_robots(chain.final, target)
                resp = await self._with_retries(chain.final, self.s.max_body_bytes)
            except _Fail as f:
                if chain.hops:
                    f.reason = f"redirect to {chain.final[:200]!r}: {f.reason}"
                raise
            chain.records += self._records(resp)
            chain.nbytes += len(resp.body)
            chain.status = resp.status
            if resp.cut:
                self.truncated += 1
                chain.reason = f"body cut at {self.s.max_body_bytes} bytes"
            loc = resp.header("location")
            if resp.status not in _REDIRECT_STATUS or not loc:
                return
            nxt = self._next_hop(chain.final, loc)
            if nxt in seen:
                raise _Fail(Outcome.REDIRECT_LOOP, f"redirect loop: {chain.final} -> {nxt}")
            if chain.hops >= self.s.max_redirects:
                raise _Fail(Outcome.TOO_MANY_REDIRECTS, f"more than {self.s.max_redirects} redirects")
            seen.add(nxt)
            chain.final = nxt
            chain.hops += 1

    async def process(self, url: str) -> None:
        """Fetch one URL of the list and log it; whatever goes wrong costs this URL, never the crawl."""
        chain = _Chain(url, url)
        try:
            await self._follow(chain)
            ok = chain.status is not None and 200 <= chain.status < 300
            outcome = Outcome.FETCHED if ok else Outcome.HTTP_ERROR
        except _Fail as f:
            outcome, chain.reason = f.outcome, f.reason
        except Exception as e:  # noqa: BLE001 - hostile input must cost one URL, not the crawl
            outcome, chain.reason = Outcome.ERROR, f"unexpected {type(e).__name__}: {e}"
        warc = self.warc.write(chain.records) if chain.records else None
        self.log.record(url, outcome, chain.status, chain.final, chain.hops, warc, chain.nbytes, chain.reason)
        self.outcomes[outcome] += 1

    def _lane(self, url: str) -> str:
        """The politeness key a URL's first request falls under ("" for URLs that are never sent)."""
        try:
            return parse_target(url, self.policy).key
        except (InvalidTarget, RefusedTarget):
            return ""

    async def run(self, urls: list[str]) -> None:
        by_host: dict[str, list[str]] = defaultdict(list)
        for u in urls:
            by_host[self._lane(u)].append(u)
        queue: asyncio.Queue[list[str]] = asyncio.Queue()
        for lst in by_host.values():
            lst.reverse()  # pop() from the end keeps file order
            queue.put_nowait(lst)
        connector = aiohttp.TCPConnector(
            socket_factory=guarded_socket_factory(self.policy),
            limit=self.s.global_concurrency,
            limit_per_host=self.s.per_host_concurrency,
            ttl_dns_cache=300,
        )
        async with aiohttp.ClientSession(
            connector=connector, auto_decompress=False, cookie_jar=aiohttp.DummyCookieJar(), trust_env=False
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
    """Crawl ``urls`` into ``out_dir``; raises CrawlLockedError if another crawler is using it."""
    start = time.monotonic()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    lock = CrawlLock(out)
    try:
        log = CrawlLog(out / "crawl.sqlite")
        try:
            done = log.done(settings.retry_failed)
            repair_warcs(out, settings.warc_prefix, log.warc_ends())
            todo = [u for u in urls if u not in done]
            warc = WarcOutput(out, settings)
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
    finally:
        lock.release()


def crawl(
    urls_file: str | os.PathLike, out_dir: str | os.PathLike, settings: CrawlSettings | None = None
) -> CrawlSummary:
    """Crawl every URL of ``urls_file`` into ``out_dir`` (see the module docstring); resumable."""
    return asyncio.run(crawl_async(read_url_list(urls_file), out_dir, settings or CrawlSettings()))
