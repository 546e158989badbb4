"""The WARP-style crawler against HTTP servers on 127.0.0.1 started (and stopped) by the tests."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

import pytest
from aiohttp import web

from corpus_builder.acquire.crawl_settings import CrawlSettings, Outcome
from corpus_builder.acquire.crawler import crawl, crawl_async
from corpus_builder.acquire.crawler_guard import address_allowed
from corpus_builder.sources.warc.reader import iter_warc
from corpus_builder.sources.warc.record import WarcReadError, WarcRecord

LOCAL = ["127.0.0.1/32"]


class Server:
    """An aiohttp server in its own thread; records (path, monotonic time) of every request."""

    def __init__(self, robots: str | int | None = "User-agent: *\nDisallow: /private/\n") -> None:
        self.robots = robots
        self.hits: list[tuple[str, float]] = []
        self.counts: dict[str, int] = defaultdict(int)
        self.lock = threading.Lock()
        self.flaky_left = 2
        self.extra: dict[str, tuple[bytes, str]] = {}  # path -> (body, content type), set by other tests
        self.extra_redirects: dict[str, str] = {}  # path -> Location (302)
        self.authorizations: list[str] = []  # Authorization headers received
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Server:
        self.thread.start()
        assert self.ready.wait(10)
        return self

    def __exit__(self, *exc) -> None:
        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def page_count(self) -> int:
        with self.lock:
            return sum(c for p, c in self.counts.items() if p.startswith("/page/"))

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path_qs
        with self.lock:
            self.hits.append((path, time.monotonic()))
            self.counts[path] += 1
            if "Authorization" in request.headers:
                self.authorizations.append(request.headers["Authorization"])
        if path in self.extra_redirects:
            raise web.HTTPFound(self.extra_redirects[path])
        if path in self.extra:
            body, ctype = self.extra[path]
            return web.Response(body=body, content_type=ctype)
        if path == "/robots.txt":
            if self.robots is None:
                return web.Response(status=404)
            if isinstance(self.robots, int):
                return web.Response(status=self.robots)
            return web.Response(text=self.robots)
        if path.startswith("/page/") or path.startswith("/private/"):
            return web.Response(text=f"<html><body>ページ {path}</body></html>", content_type="text/html")
        if path == "/loop/a":
            raise web.HTTPFound("/loop/b")
        if path == "/loop/b":
            raise web.HTTPFound("/loop/a")
        if path == "/hop1":
            raise web.HTTPMovedPermanently("/page/target")
        if path == "/to-private":
            raise web.HTTPFound("http://10.0.0.1/secret")
        if path == "/slow":
            await asyncio.sleep(5)
            return web.Response(text="late")
        if path == "/big":
            return web.Response(body=b"x" * 300_000, content_type="text/plain")
        if path == "/gzip":
            resp = web.Response(text="圧縮された本文。" * 200, content_type="text/plain")
            resp.enable_compression()
            return resp
        if path == "/flaky":
            with self.lock:
                self.flaky_left -= 1
                fail = self.flaky_left >= 0
            if fail:
                return web.Response(status=503)
            return web.Response(text="recovered")
        return web.Response(status=404, text="not found")

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        app = web.Application()
        app.router.add_route("GET", "/{tail:.*}", self._handle)
        self.runner = web.AppRunner(app)
        self.loop.run_until_complete(self.runner.setup())
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        self.loop.run_until_complete(site.start())
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.ready.set()
        self.loop.run_forever()


def _settings(**kw) -> CrawlSettings:
    base = dict(allow_networks=LOCAL, per_host_delay_s=0.0, timeout_s=5, retries=0, backoff_s=0.05)
    base.update(kw)
    return CrawlSettings(**base)


def _write_urls(path: Path, urls: list[str]) -> Path:
    path.write_text("# test list\n" + "\n".join(urls) + "\n\n")
    return path


def _log(out: Path) -> dict[str, tuple]:
    db = sqlite3.connect(out / "crawl.sqlite")
    try:
        return {
            r[0]: r[1:] for r in db.execute("SELECT url, outcome, http_status, reason, redirects FROM urls")
        }
    finally:
        db.close()


def test_address_policy() -> None:
    for ip in (
        "10.0.0.1",
        "169.254.169.254",
        "127.0.0.1",
        "192.168.1.1",
        "100.100.100.200",
        "::1",
        "fe80::1",
        "::ffff:10.0.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "fd00:ec2::254",
    ):
        assert not address_allowed(ip), ip
    assert address_allowed("93.184.216.34") and address_allowed("2606:4700::1111")
    assert address_allowed("127.0.0.1", allow_networks=LOCAL)
    assert not address_allowed("127.0.0.2", allow_networks=LOCAL)


def test_private_targets_refused_before_connecting(tmp_path: Path) -> None:
    urls = [
        "http://10.0.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://localhost:9/x",
        "http://127.1/",
        "ftp://example.org/file",
        "http://[::1]/",
    ]
    t0 = time.monotonic()
    summary = crawl(_write_urls(tmp_path / "u.txt", urls), tmp_path / "out", CrawlSettings(timeout_s=30))
    assert time.monotonic() - t0 < 5  # no connect attempt (a blackholed 10.0.0.1 would hang until timeout)
    assert summary.outcomes == {Outcome.REFUSED: len(urls)}
    log = _log(tmp_path / "out")
    assert "connection to non-public address" in log["http://localhost:9/x"][2]  # checked after DNS
    assert "127.0.0.1" in log["http://localhost:9/x"][2]
    assert summary.warc_files == []


def test_crawl_basics_warc_and_resume_skip(tmp_path: Path) -> None:
    with Server() as srv:
        urls = [
            srv.url(p)
            for p in (
                "/page/1",
                "/page/2",
                "/private/x",
                "/loop/a",
                "/hop1",
                "/big",
                "/gzip",
                "/flaky",
                "/missing",
                "/to-private",
            )
        ]
        urls_file = _write_urls(tmp_path / "urls.txt", urls + [srv.url("/page/1#frag")])
        out = tmp_path / "out"
        s = _settings(max_body_bytes=100_000, retries=2, max_redirects=3)
        summary = crawl(urls_file, out, s)
        log = _log(out)
        assert summary.urls == 10
        assert log[srv.url("/page/1")][:2] == (Outcome.FETCHED, 200)
        assert log[srv.url("/private/x")][0] == Outcome.ROBOTS_DISALLOWED
        assert srv.counts["/private/x"] == 0
        assert log[srv.url("/loop/a")][0] == Outcome.REDIRECT_LOOP
        assert srv.counts["/loop/a"] == 1 and srv.counts["/loop/b"] == 1
        assert log[srv.url("/hop1")][0] == Outcome.FETCHED and log[srv.url("/hop1")][3] == 1
        assert (
            log[srv.url("/big")][0] == Outcome.FETCHED
            and log[srv.url("/big")][2] == "body cut at 100000 bytes"
        )
        assert summary.truncated == 1
        assert log[srv.url("/flaky")][:2] == (Outcome.FETCHED, 200) and srv.counts["/flaky"] == 3
        assert log[srv.url("/missing")][:2] == (Outcome.HTTP_ERROR, 404)
        assert log[srv.url("/to-private")][0] == Outcome.REFUSED  # checked on the redirect hop
        assert srv.counts["/robots.txt"] == 1  # cached per host

        # WARC readable by warcio and by our reader
        files = sorted(out.glob("crawl-*.warc.gz"))
        assert [f.name for f in files] == summary.warc_files
        from warcio.archiveiterator import ArchiveIterator

        types = []
        for f in files:
            with open(f, "rb") as fh:
                types += [r.rec_type for r in ArchiveIterator(fh)]
        assert types[0] == "warcinfo" and types.count("request") == types.count("response")
        recs = [r for f in files for r in iter_warc(str(f))]
        assert not [r for r in recs if isinstance(r, WarcReadError)]
        by_uri = {r.target_uri: r for r in recs if isinstance(r, WarcRecord)}
        assert "ページ /page/1" in by_uri[srv.url("/page/1")].payload.decode()
        assert (
            by_uri[srv.url("/big")].truncated == "length" and len(by_uri[srv.url("/big")].payload) == 100_000
        )
        assert (
            by_uri[srv.url("/gzip")].payload.decode() == "圧縮された本文。" * 200
        )  # stored raw, decoded on read
        assert by_uri[srv.url("/hop1")].http_status == 301 and srv.url("/page/target") in by_uri

        # a second run fetches nothing again
        before = dict(srv.counts)
        again = crawl(urls_file, out, s)
        assert again.skipped == 10 and again.requests == 0 and dict(srv.counts) == before


class CrawlerClock:
    """When the crawler meant to send each request, on its own clock, per host.

    A request that waited for its host's slot is timed at the wake-up the crawler asked for (its
    time.monotonic() reading + the requested sleep); one that did not wait, at the crawler's last
    clock reading before it (when it took the slot). Requests are matched by the task that starts
    them (an aiohttp TraceConfig). Arrival times at the test server, or send times, would also carry
    the scheduling delays of a loaded machine (the server's threads and the crawler's loop share the
    process), which shrink single gaps by tens of ms without the crawler having sent early."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        import contextvars
        import types

        import aiohttp

        from corpus_builder.acquire import crawler

        self.sends: dict[str, list[float]] = defaultdict(list)
        wake: contextvars.ContextVar[float | None] = contextvars.ContextVar("wake", default=None)
        real_sleep = asyncio.sleep

        def monotonic() -> float:
            now = time.monotonic()
            wake.set(now)  # a request that does not wait goes out "now", as the crawler saw it
            return now

        async def sleep(delay: float, result=None):
            if delay > 0:  # the same task's next request was meant to go out at this instant
                wake.set(time.monotonic() + delay)
            return await real_sleep(delay, result)

        for name, replacement in (("asyncio", {"sleep": sleep}), ("time", {"monotonic": monotonic})):
            proxy = types.ModuleType(name)
            proxy.__dict__.update(vars(getattr(crawler, name)), **replacement)
            monkeypatch.setattr(crawler, name, proxy)

        async def on_request_start(session, context, params) -> None:
            meant = wake.get()
            self.sends[f"{params.url.host}:{params.url.port}"].append(meant or time.monotonic())

        trace = aiohttp.TraceConfig()
        trace.on_request_start.append(on_request_start)
        real_init = aiohttp.ClientSession.__init__

        def init(session, *args, trace_configs=None, **kwargs) -> None:
            real_init(session, *args, trace_configs=[*(trace_configs or []), trace], **kwargs)

        monkeypatch.setattr(aiohttp.ClientSession, "__init__", init)


@pytest.mark.slow
def test_per_host_rate_and_global_concurrency(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = CrawlerClock(monkeypatch)
    with Server(robots=None) as a, Server(robots=None) as b:
        urls = [a.url(f"/page/{i}") for i in range(6)] + [b.url(f"/page/{i}") for i in range(6)]
        s = _settings(per_host_delay_s=0.25, per_host_concurrency=2, global_concurrency=8)
        t0 = time.monotonic()
        summary = asyncio.run(crawl_async(urls, tmp_path / "out", s))
        elapsed = time.monotonic() - t0
        assert summary.outcomes == {Outcome.FETCHED: 12}
        for srv in (a, b):
            assert len(srv.hits) == 7  # robots.txt included: it counts against the host too
            times = sorted(clock.sends[f"127.0.0.1:{srv.port}"])
            gaps = [y - x for x, y in zip(times, times[1:], strict=False)]
            assert len(times) == 7 and min(gaps) >= 0.24, gaps
        # both hosts were crawled in parallel: ~7 slots of 0.25 s, not 14
        assert elapsed < 7 * 0.25 * 1.8, elapsed


@pytest.mark.slow
def test_slow_server_times_out(tmp_path: Path) -> None:
    with Server(robots=None) as srv:
        t0 = time.monotonic()
        summary = asyncio.run(crawl_async([srv.url("/slow")], tmp_path / "out", _settings(timeout_s=0.5)))
        assert time.monotonic() - t0 < 3
        assert summary.outcomes == {Outcome.ERROR: 1}
        assert "timeout" in _log(tmp_path / "out")[srv.url("/slow")][2]


@pytest.mark.parametrize(("status", "outcome"), [(404, Outcome.FETCHED), (503, Outcome.ROBOTS_UNAVAILABLE)])
def test_robots_failure_policy(tmp_path: Path, status: int, outcome: str) -> None:
    with Server(robots=status) as srv:
        summary = asyncio.run(crawl_async([srv.url("/page/1")], tmp_path / "out", _settings()))
        assert summary.outcomes == {outcome: 1}
        assert srv.counts["/page/1"] == (1 if outcome == Outcome.FETCHED else 0)


def test_rotation_by_size(tmp_path: Path) -> None:
    with Server(robots=None) as srv:
        urls = [srv.url(f"/page/{i}") for i in range(5)]
        summary = asyncio.run(crawl_async(urls, tmp_path / "out", _settings(warc_max_bytes=600)))
        assert len(summary.warc_files) >= 3
        got = [r.target_uri for f in summary.warc_files for r in iter_warc(str(tmp_path / "out" / f))]
        assert sorted(got) == sorted(urls)


@pytest.mark.slow
def test_kill_and_resume_fetches_each_url_once(tmp_path: Path) -> None:
    n = 12
    with Server(robots=None) as srv:
        urls_file = _write_urls(tmp_path / "urls.txt", [srv.url(f"/page/{i}") for i in range(n)])
        out = tmp_path / "out"
        cmd = [
            sys.executable,
            "-m",
            "corpus_builder",
            "crawl",
            str(urls_file),
            "--out",
            str(out),
            "--allow-network",
            "127.0.0.1/32",
            "--per-host-delay",
            "0.3",
            "--retries",
            "0",
        ]
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 30
        while srv.page_count() < 5 and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.12)  # mid-gap: the 5th response is logged, the 6th request not yet sent
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        assert proc.returncode == -signal.SIGKILL
        done_before = len(_log(out))
        assert 0 < done_before < n
        res = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)
        assert res.returncode == 0, res.stderr
        assert all(srv.counts[f"/page/{i}"] == 1 for i in range(n)), dict(srv.counts)
        assert len(_log(out)) == n
        recs = [r for f in sorted(out.glob("*.warc.gz")) for r in iter_warc(str(f))]
        assert not [r for r in recs if isinstance(r, WarcReadError)]
        assert sorted(r.target_uri for r in recs) == sorted(srv.url(f"/page/{i}") for i in range(n))


# ---------------------------------------------------------------------------------------------------------
# SSRF: every spelling of the private target 127.0.0.2 is refused before a connection is made
# ---------------------------------------------------------------------------------------------------------


class RawServer:
    """A bare HTTP/1.0 server on one loopback address that counts the TCP connections it accepts.

    ``routes`` maps a request path to the raw response bytes; anything else gets 200 "ok" (so a guard
    that let a request through would see it fetched). Bytes are sent as given: a Location header can
    carry UTF-8, as hostile servers send it.
    """

    def __init__(self, host: str, port: int = 0, routes: dict[str, bytes] | None = None) -> None:
        self.sock = socket.create_server((host, port))
        self.port = self.sock.getsockname()[1]
        self.routes = routes or {}
        self.accepted = 0
        self.paths: list[str] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> RawServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept() (close() alone does not)
        self.sock.close()
        self.thread.join(5)
        assert not self.thread.is_alive()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            with conn:
                conn.settimeout(5)
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(4096)
                    if not chunk:
                        break
                    data += chunk
                path = data.split(b" ", 2)[1].decode("latin-1") if data.count(b" ") >= 2 else "?"
                self.paths.append(path)
                reply = self.routes.get(path, b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nok")
                with contextlib.suppress(OSError):
                    conn.sendall(reply)


def _redirect(location: str) -> bytes:
    return b"HTTP/1.0 302 Found\r\nLocation: " + location.encode("utf-8") + b"\r\nContent-Length: 0\r\n\r\n"


_NOT_FOUND = b"HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n"

#: (attack class, host spelling) -- each must mean, or be refused as meaning, 127.0.0.2
PRIVATE_SPELLINGS: list[tuple[str, str]] = [
    ("plain", "127.0.0.2"),
    ("decimal", "2130706434"),
    ("octal", "0177.0.0.2"),
    ("octal", "017700000002"),
    ("octal", "0177.0000.0000.0002"),
    ("hex", "0x7f.0.0.2"),
    ("hex", "0x7f000002"),
    ("hex", "0X7F.0X0.0X0.0X2"),
    ("mixed/short", "0x7f.0.2"),
    ("mixed/short", "127.0.2"),
    ("mixed/short", "127.2"),
    ("mixed/short", "0177.0x0.2"),
    ("mixed/short", "0x7f.0x000002"),
    ("fullwidth", "１２７.０.０.２"),
    ("fullwidth", "１２７．０．０．２"),
    ("fullwidth", "０ｘ７ｆ.０.０.２"),
    ("ideographic dots", "127。0。0。2"),
    ("ideographic dots", "127｡0｡0｡2"),
    ("superscript", "127.0.0.²"),
    ("superscript", "¹²⁷.⁰.⁰.²"),
    ("subscript", "₁₂₇.₀.₀.₂"),
    ("other Unicode digits", "①②⑦.⓪.⓪.②"),
    ("other Unicode digits", "𝟏𝟐𝟕.𝟎.𝟎.𝟐"),
    ("other Unicode digits", "𝟙𝟚𝟟.𝟘.𝟘.𝟚"),
    ("other Unicode digits", "١٢٧.٠.٠.٢"),
    ("other Unicode digits", "१२७.०.०.२"),
    ("IPv4-mapped IPv6", "[::ffff:127.0.0.2]"),
    ("IPv4-mapped IPv6", "[::ffff:7f00:2]"),
    ("IPv4-mapped IPv6", "[0:0:0:0:0:ffff:127.0.0.2]"),
    ("IPv4-compatible IPv6", "[::127.0.0.2]"),
    ("IPv4-compatible IPv6", "[::7f00:2]"),
    ("NAT64 / 6to4 IPv6", "[64:ff9b::127.0.0.2]"),
    ("NAT64 / 6to4 IPv6", "[2002:7f00:2::1]"),
    ("zone id", "[::ffff:127.0.0.2%25lo]"),
    ("zone id", "[::ffff:7f00:2%251]"),
    ("trailing dots", "127.0.0.2."),
    ("trailing dots", "127.0.0.2.."),
    ("trailing dots", "0x7f.0.0.2."),
    ("userinfo", "user:pass@127.0.0.2"),
    ("userinfo", "127.0.0.1@127.0.0.2"),
    ("userinfo", "127.0.0.1:80@127.0.0.2"),
    ("percent-encoding", "%31%32%37.0.0.2"),
    ("percent-encoding", "127%2E0%2E0%2E2"),
    ("DNS name", "private.test"),
]

_FAKE_DNS = {
    "private.test": ["127.0.0.2"],
    "mixed.test": ["127.0.0.2", "127.0.0.1"],
    "public.test": ["127.0.0.1"],
}


@pytest.fixture
def fake_dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """Names under .test answered from a table (a hostile DNS server); ``rebind.test`` answers
    127.0.0.1 the first time and 127.0.0.2 afterwards. Other names go to the real resolver."""
    real = socket.getaddrinfo
    table = {k: list(v) for k, v in _FAKE_DNS.items()}
    table["rebind.test"] = ["127.0.0.1"]

    def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):  # noqa: A002 - socket's own names
        name = (host.decode() if isinstance(host, bytes) else host).rstrip(".").lower()  # as DNS does
        if name in table:
            answer = table[name]
            if name == "rebind.test":
                table[name] = ["127.0.0.2"]
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, int(port))) for ip in answer]
        return real(host, port, family, type, proto, flags)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return table


def _servers_on_one_port() -> tuple[RawServer, RawServer]:
    """A private server on 127.0.0.2 and an allowed one on 127.0.0.1, both on the same port."""
    for _ in range(20):
        private = RawServer("127.0.0.2")
        try:
            allowed = RawServer("127.0.0.1", private.port, routes={"/robots.txt": _NOT_FOUND})
        except OSError:
            private.sock.close()
            continue
        return private, allowed
    raise RuntimeError("no free port on both 127.0.0.1 and 127.0.0.2")


def test_private_spellings_never_connect(tmp_path: Path, fake_dns: dict) -> None:
    assert len(PRIVATE_SPELLINGS) >= 30
    private, allowed = _servers_on_one_port()
    port = private.port
    for i, (_, host) in enumerate(PRIVATE_SPELLINGS):
        allowed.routes[f"/r/{i}"] = _redirect(f"http://{host}:{port}/secret")
    direct = [f"http://{host}:{port}/secret" for _, host in PRIVATE_SPELLINGS]
    redirected = [f"http://127.0.0.1:{port}/r/{i}" for i in range(len(PRIVATE_SPELLINGS))]
    with private, allowed:
        urls_file = _write_urls(tmp_path / "urls.txt", direct + redirected)
        summary = crawl(urls_file, tmp_path / "out", _settings())
        assert private.accepted == 0, private.paths
    rows = _log(tmp_path / "out")
    assert len(rows) == summary.urls == len(direct) + len(redirected)
    for url, (outcome, _status, reason, _hops) in rows.items():
        # Arabic-Indic and Devanagari digits are not digits to UTS-46: those hosts are IDN names that
        # do not resolve (robots_unavailable); every other spelling is refused or invalid outright
        assert outcome not in (Outcome.FETCHED, Outcome.HTTP_ERROR), (url, outcome, reason)
        assert reason
    refused_or_invalid = [o for o, *_ in rows.values() if o in (Outcome.REFUSED, Outcome.INVALID)]
    assert len(refused_or_invalid) == len(rows) - 4
    for url in redirected:  # the hop was fetched from the allowed server, the target refused
        assert rows[url][2].startswith("redirect to "), rows[url]
    # spellings that denote 127.0.0.2 are refused as such, not merely as unparseable
    for host in ("１２７.０.０.２", "127.0.0.²", "2130706434", "0x7f.0.0.2", "[::ffff:127.0.0.2%25lo]"):
        assert "non-public address" in rows[f"http://{host}:{port}/secret"][2], host
    assert "connection to non-public address 127.0.0.2" in rows[f"http://private.test:{port}/secret"][2]


def test_resolver_answers_checked_per_address_and_per_lookup(tmp_path: Path, fake_dns: dict) -> None:
    private, allowed = _servers_on_one_port()
    with private, allowed, RawServer("127.0.0.2") as private2:
        urls = [
            f"http://mixed.test:{private.port}/page",  # [127.0.0.2, 127.0.0.1]: only .1 is connected
            f"http://rebind.test:{private.port}/page",  # first answer 127.0.0.1
            f"http://rebind.test:{private2.port}/page",  # later answers 127.0.0.2: refused on connect
        ]
        summary = asyncio.run(crawl_async(urls, tmp_path / "out", _settings()))
        assert private.accepted == 0 and private2.accepted == 0
        assert allowed.paths.count("/page") == 2
    rows = _log(tmp_path / "out")
    assert rows[urls[0]][0] == rows[urls[1]][0] == Outcome.FETCHED
    assert rows[urls[2]][0] == Outcome.REFUSED and "127.0.0.2" in rows[urls[2]][2]
    assert summary.outcomes == {Outcome.FETCHED: 2, Outcome.REFUSED: 1}


# ---------------------------------------------------------------------------------------------------------
# Hostile input costs one URL
# ---------------------------------------------------------------------------------------------------------

_BAD_LOCATIONS = {
    "/loc/ipv6": "http://[::1/x",
    "/loc/label": "http://" + "a" * 300 + ".example/",
    "/loc/port": "http://example.org:99999/",
    "/loc/percent": "http://%zz%00/",
    "/loc/space": "http://exa mple.org/",
    "/loc/number": "http://1.2.3.4.5/",
}


def test_hostile_input_costs_one_url_and_is_not_retried(tmp_path: Path) -> None:
    with RawServer("127.0.0.1", routes={"/robots.txt": _NOT_FOUND}) as srv:
        for path, loc in _BAD_LOCATIONS.items():
            srv.routes[path] = _redirect(loc)
        base = f"http://127.0.0.1:{srv.port}"
        good = [f"{base}/page/1", f"{base}/page/2"]
        bad_lines = [
            "http://[::1/x",
            "http://" + "b" * 300 + ".example/",
            "http://exa mple.org/",
            "not a url at all",
            "http://example.org:99999/",
            "http:///no-host",
        ]
        located = [base + p for p in _BAD_LOCATIONS]
        urls_file = tmp_path / "urls.txt"
        urls_file.write_bytes(
            "\n".join([good[0], *bad_lines, *located]).encode() + b"\nhttp://\xff\xfe/\n" + good[1].encode()
        )
        out = tmp_path / "out"
        summary = crawl(urls_file, out, _settings())
        rows = _log(out)
        assert summary.urls == len(rows) == 2 + len(bad_lines) + len(located) + 1
        assert [rows[u][0] for u in good] == [Outcome.FETCHED, Outcome.FETCHED]
        for line in bad_lines:
            assert rows[line][0] in (Outcome.INVALID, Outcome.REFUSED), (line, rows[line])
            assert rows[line][2], line
        assert rows["http://[::1/x"][2] == "malformed URL: Invalid IPv6 URL"
        assert "not a valid DNS name" in rows["http://" + "b" * 300 + ".example/"][2]
        assert rows["http://\ufffd\ufffd/"][0] == Outcome.INVALID
        for url in located:
            outcome, status, reason, _ = rows[url]
            assert outcome == Outcome.INVALID and status == 302, (url, rows[url])
            assert "Location" in reason or reason.startswith("redirect to "), reason
        assert "malformed Location header 'http://[::1/x'" in rows[f"{base}/loc/ipv6"][2]
        # the 302 responses that were received are archived; nothing else was requested
        assert sorted(srv.paths) == sorted(["/robots.txt", "/page/1", "/page/2", *_BAD_LOCATIONS])
        again = crawl(urls_file, out, _settings())
        assert again.skipped == summary.urls and again.requests == 0


# ---------------------------------------------------------------------------------------------------------
# robots.txt per RFC 9309
# ---------------------------------------------------------------------------------------------------------

_RULES = """User-agent: *
Allow: /
Disallow: /private/
Allow: /private/open$
Disallow: /*/secret
Disallow: /*.pdf$
Allow: /tie
Disallow: /tie
"""


def test_robots_wildcards_longest_match_and_ties(tmp_path: Path) -> None:
    expected = {
        "/private/x": False,  # Disallow /private/ is longer than Allow /
        "/private/open": True,  # the longer Allow wins
        "/private/open/more": False,  # $ anchors the Allow
        "/a/secret": False,  # * in the middle
        "/a/b/secret/c": False,
        "/doc.pdf": False,  # $ at the end
        "/doc.pdf?x=1": True,
        "/tie": True,  # equal length: Allow wins
        "/page/1": True,
    }
    with Server(robots=_RULES) as srv:
        urls = [srv.url(p) for p in expected]
        asyncio.run(crawl_async(urls, tmp_path / "out", _settings()))
        rows = _log(tmp_path / "out")
        for path, allowed in expected.items():
            row = rows[srv.url(path)]
            assert (row[0] != Outcome.ROBOTS_DISALLOWED) == allowed, (path, row)
            assert srv.counts[path] == (1 if allowed else 0), path
        assert srv.counts["/robots.txt"] == 1


def test_robots_unreachable_host_is_disallowed(tmp_path: Path) -> None:
    probe = socket.create_server(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # nothing listens there now: connection refused
    urls = [f"http://127.0.0.1:{port}/page/1", f"http://127.0.0.1:{port}/page/2"]
    summary = asyncio.run(crawl_async(urls, tmp_path / "out", _settings()))
    assert summary.outcomes == {Outcome.ROBOTS_UNAVAILABLE: 2}
    assert summary.requests == 1  # one robots.txt attempt for the host, then nothing
    assert "host disallowed" in _log(tmp_path / "out")[urls[0]][2]


@pytest.mark.parametrize("hops", [5, 6])
def test_robots_redirects_followed_up_to_five_hops(tmp_path: Path, hops: int) -> None:
    with Server(robots=None) as srv:
        for i in range(hops):
            target = f"/robots-{i + 1}.txt" if i + 1 < hops else "/final-robots.txt"
            srv.extra_redirects[("/robots.txt" if i == 0 else f"/robots-{i}.txt")] = target
        srv.extra["/final-robots.txt"] = (b"User-agent: *\nDisallow: /page/\n", "text/plain")
        summary = asyncio.run(crawl_async([srv.url("/page/1")], tmp_path / "out", _settings()))
        outcome = _log(tmp_path / "out")[srv.url("/page/1")][0]
        if hops <= 5:
            assert outcome == Outcome.ROBOTS_DISALLOWED and srv.counts["/final-robots.txt"] == 1
        else:  # a 6th hop is not followed: robots.txt unreachable, the host disallowed
            assert outcome == Outcome.ROBOTS_UNAVAILABLE and srv.counts["/final-robots.txt"] == 0
        assert srv.counts["/page/1"] == 0 and summary.requests == min(hops, 5) + 1


def test_robots_read_limit_500_kib(tmp_path: Path) -> None:
    filler = "# " + "x" * 1000 + "\n"
    head = "User-agent: *\nDisallow: /page/early\n" + filler * 400  # ~ 400 KB: within the limit
    tail = filler * 200 + "Disallow: /page/late\n"  # past 500 KiB: never read
    with Server(robots=head + tail) as srv:
        urls = [srv.url("/page/early"), srv.url("/page/late")]
        asyncio.run(crawl_async(urls, tmp_path / "out", _settings()))
        rows = _log(tmp_path / "out")
        assert rows[urls[0]][0] == Outcome.ROBOTS_DISALLOWED
        assert rows[urls[1]][0] == Outcome.FETCHED and srv.counts["/page/late"] == 1


def test_robots_once_per_host_whatever_the_userinfo(tmp_path: Path, fake_dns: dict) -> None:
    with Server() as srv:
        urls = [
            f"http://u1@public.test:{srv.port}/page/1",
            f"http://u2:pw@public.test:{srv.port}/page/2",
            f"http://public.test:{srv.port}/page/3",
            f"http://public.test.:{srv.port}/page/4",
            f"http://u3@PUBLIC.test:{srv.port}/private/x",
        ]
        summary = asyncio.run(crawl_async(urls, tmp_path / "out", _settings()))
        assert srv.counts["/robots.txt"] == 1
        assert summary.outcomes == {Outcome.FETCHED: 4, Outcome.ROBOTS_DISALLOWED: 1}


@pytest.mark.slow
@pytest.mark.parametrize(("crawl_delay", "cap", "expected_gap"), [(0.5, 30.0, 0.5), (100, 0.3, 0.3)])
def test_crawl_delay_honoured_up_to_the_cap(
    tmp_path: Path, crawl_delay: float, cap: float, expected_gap: float
) -> None:
    with Server(robots=f"User-agent: *\nCrawl-delay: {crawl_delay}\n") as srv:
        urls = [srv.url(f"/page/{i}") for i in range(4)]
        s = _settings(per_host_delay_s=0.0, max_crawl_delay_s=cap)
        t0 = time.monotonic()
        summary = asyncio.run(crawl_async(urls, tmp_path / "out", s))
        assert summary.outcomes == {Outcome.FETCHED: 4}
        times = sorted(t for p, t in srv.hits if p.startswith("/page/"))
        gaps = [y - x for x, y in zip(times, times[1:], strict=False)]
        # pages start at the asked pace (server-side arrival times jitter by a few ms under load)
        assert min(gaps) >= expected_gap * 0.8, gaps
        assert time.monotonic() - t0 < 4 * expected_gap + 10


# ---------------------------------------------------------------------------------------------------------
# Politeness keyed on scheme+host+port; one crawler per --out
# ---------------------------------------------------------------------------------------------------------


def test_userinfo_credentials_are_sent_but_never_archived(tmp_path: Path) -> None:
    import base64
    import gzip

    with Server(robots=None) as srv:
        url = f"http://crawl-user:s3cret-pw@127.0.0.1:{srv.port}/page/1"
        summary = asyncio.run(crawl_async([url], tmp_path / "out", _settings()))
        assert summary.outcomes == {Outcome.FETCHED: 1}
        assert srv.authorizations == ["Basic " + base64.b64encode(b"crawl-user:s3cret-pw").decode()]
    archived = b"".join(gzip.decompress(p.read_bytes()) for p in (tmp_path / "out").glob("crawl-*.warc.gz"))
    token = base64.b64encode(b"crawl-user:s3cret-pw")
    assert b"s3cret-pw" not in archived and token not in archived and b"Authorization" not in archived
    recs = [r for p in (tmp_path / "out").glob("crawl-*.warc.gz") for r in iter_warc(str(p))]
    assert [r.target_uri for r in recs if isinstance(r, WarcRecord)] == [srv.url("/page/1")]


@pytest.mark.slow
def test_userinfo_does_not_bypass_the_per_host_delay(tmp_path: Path) -> None:
    with Server(robots=None) as srv:
        urls = [f"http://u{i}@127.0.0.1:{srv.port}/page/{i}" for i in range(4)]
        asyncio.run(crawl_async(urls, tmp_path / "out", _settings(per_host_delay_s=0.4)))
        times = sorted(t for _, t in srv.hits)
        gaps = [y - x for x, y in zip(times, times[1:], strict=False)]
        assert len(times) == 5 and min(gaps) >= 0.3, gaps


def _crawl_cmd(urls_file: Path, out: Path, *extra: str) -> list[str]:
    return [
        sys.executable, "-m", "corpus_builder", "crawl", str(urls_file), "--out", str(out),
        "--allow-network", "127.0.0.1/32", "--retries", "0", *extra,
    ]  # fmt: skip


@pytest.mark.slow
def test_second_crawler_on_same_out_is_refused(tmp_path: Path) -> None:
    with Server(robots=None) as srv:
        urls_file = _write_urls(tmp_path / "urls.txt", [srv.url(f"/page/{i}") for i in range(8)])
        out = tmp_path / "out"
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
        first = subprocess.Popen(
            _crawl_cmd(urls_file, out, "--per-host-delay", "0.5"), env=env, stdout=subprocess.PIPE
        )
        try:
            deadline = time.monotonic() + 30
            while srv.page_count() < 1 and time.monotonic() < deadline:
                time.sleep(0.02)
            second = subprocess.run(
                _crawl_cmd(urls_file, out, "--per-host-delay", "0"), env=env, capture_output=True, text=True
            )
            assert second.returncode == 1
            assert f"in use by another crawler (pid {first.pid} on " in second.stderr, second.stderr
            assert first.wait(60) == 0
        finally:
            if first.poll() is None:
                first.kill()
        assert all(srv.counts[f"/page/{i}"] == 1 for i in range(8)), dict(srv.counts)
        assert len(_log(out)) == 8
        # the lock is released at the end: a third run goes ahead (and has nothing to do)
        third = subprocess.run(_crawl_cmd(urls_file, out), env=env, capture_output=True, text=True)
        assert third.returncode == 0 and "8 already logged" in third.stdout, third


def test_crawl_help_documents_every_option_with_its_default() -> None:
    from typer.testing import CliRunner

    from corpus_builder.cli import app

    result = CliRunner().invoke(app, ["crawl", "--help"], env={"COLUMNS": "300", "TERM": "dumb"})
    assert result.exit_code == 0
    options = re.findall(r"(--[a-z-]+)", result.output)
    lines = [ln for ln in result.output.splitlines() if re.search(r"│\s+(\*\s+)?--", ln)]
    assert len(lines) >= 17
    for line in lines:
        if "--out " in line or "--help" in line:
            continue
        assert "[default:" in line or "default none" in line, line
    for name in ("--per-host-delay", "--max-crawl-delay", "--allow-network", "--ignore-robots"):
        assert name in options


def test_crawl_verb_bad_input_exits_2_with_the_file_named(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from corpus_builder.cli import app

    missing = tmp_path / "nope.txt"
    result = CliRunner().invoke(app, ["crawl", str(missing), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2 and str(missing) in result.output
    urls = _write_urls(tmp_path / "u.txt", ["http://example.org/"])
    args = ["crawl", str(urls), "--out", str(tmp_path / "o"), "--allow-network", "x"]
    bad_cidr = CliRunner().invoke(app, args)
    assert bad_cidr.exit_code == 2 and "'x'" in bad_cidr.output
    assert not (tmp_path / "o").exists()
