"""The WARP-style crawler against HTTP servers on 127.0.0.1 started (and stopped) by the tests."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

import pytest
from aiohttp import web

from corpus_builder.sources.crawler import CrawlSettings, Outcome, address_allowed, crawl, crawl_async
from corpus_builder.sources.warc import WarcReadError, WarcRecord, iter_warc

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
    assert "non-public address (127.0.0.1)" in log["http://localhost:9/x"][2]  # checked after DNS
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

        from corpus_builder.sources import crawler

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


def test_kill_and_resume_fetches_each_url_once(tmp_path: Path) -> None:
    n = 12
    with Server(robots=None) as srv:
        urls_file = _write_urls(tmp_path / "urls.txt", [srv.url(f"/page/{i}") for i in range(n)])
        out = tmp_path / "out"
        cmd = [
            sys.executable,
            "-m",
            "corpus_builder.sources.crawler",
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
