"""Tests for corpus_builder.sources.remote against a local HTTP server on 127.0.0.1."""

from __future__ import annotations

import gzip
import io
import threading
import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from corpus_builder.sources.remote import RemoteInputError, expand_inputs, open_input, read_path_list
from corpus_builder.sources.warc.reader import iter_warc
from corpus_builder.sources.warc.record import WarcRecord

PATHS = b"crawl-data/CC-MAIN-2024-10/a.warc.gz\n\ncrawl-data/CC-MAIN-2024-10/b.warc.gz\n"


def _small_warc() -> bytes:
    out = io.BytesIO()
    w = WARCWriter(out, gzip=True)
    for i in range(3):
        body = f"<html><body>page {i} 日本語</body></html>".encode("shift_jis")
        http = StatusAndHeaders(
            "200 OK", [("Content-Type", "text/html; charset=shift_jis")], protocol="HTTP/1.1"
        )
        w.write_record(
            w.create_warc_record(f"http://x/{i}", "response", payload=io.BytesIO(body), http_headers=http)
        )
    return out.getvalue()


WARC = _small_warc()


class _Handler(BaseHTTPRequestHandler):
    hits: Counter[str] = Counter()
    hit_times: dict[str, list[float]] = {}

    def log_message(self, *args: object) -> None:  # keep test output quiet
        pass

    def _send(self, code: int, body: bytes = b"") -> None:
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802 - http.server API
        path = self.path
        n = self.hits[path] = self.hits[path] + 1
        self.hit_times.setdefault(path, []).append(time.monotonic())
        if path == "/flaky":
            self._send(503) if n <= 2 else self._send(200, b"finally")
        elif path == "/always503":
            self._send(503)
        elif path == "/missing":
            self._send(404)
        elif path == "/forbidden":
            self._send(403)
        elif path == "/slow":
            if n == 1:
                time.sleep(1.0)  # longer than the client timeout
            self._send(200, b"late but fine")
        elif path == "/warc.paths.gz":
            self._send(200, gzip.compress(PATHS))
        elif path == "/x.warc.gz":
            self._send(200, WARC)
        else:
            self._send(404)


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        pass  # the timeout test closes its socket before /slow answers: a BrokenPipe there is expected


@pytest.fixture()
def server() -> Iterator[str]:
    _Handler.hits = Counter()
    _Handler.hit_times = {}
    httpd = _QuietServer(("127.0.0.1", 0), _Handler)
    t = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    t.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        t.join(5)


def test_retries_on_503_with_backoff(server: str) -> None:
    with open_input(server + "/flaky", retries=5, backoff_s=0.05) as f:
        assert f.read() == b"finally"
    assert _Handler.hits["/flaky"] == 3
    t = _Handler.hit_times["/flaky"]
    # jittered exponential back-off: >= 0.5 * 0.05 s, then >= 0.5 * 0.1 s
    assert t[1] - t[0] >= 0.02 and t[2] - t[1] >= 0.045


def test_gives_up_after_retries_naming_url(server: str) -> None:
    with pytest.raises(RemoteInputError) as ei:
        open_input(server + "/always503", retries=2, backoff_s=0.01)
    assert "/always503" in str(ei.value) and "503" in str(ei.value)
    assert _Handler.hits["/always503"] == 3


@pytest.mark.parametrize(("path", "exc"), [("/missing", FileNotFoundError), ("/forbidden", PermissionError)])
def test_404_403_fail_at_once(server: str, path: str, exc: type[Exception]) -> None:
    with pytest.raises(exc) as ei:
        open_input(server + path, retries=5, backoff_s=0.5)
    assert path in str(ei.value)
    assert _Handler.hits[path] == 1


def test_timeout_is_retried(server: str) -> None:
    with open_input(server + "/slow", retries=2, backoff_s=0.01, timeout_s=0.3) as f:
        assert f.read() == b"late but fine"
    assert _Handler.hits["/slow"] == 2


def test_read_path_list_gz_with_base_url(server: str, tmp_path: Path) -> None:
    urls = read_path_list(server + "/warc.paths.gz", base_url="https://data.commoncrawl.org/", backoff_s=0.01)
    assert urls == [
        "https://data.commoncrawl.org/crawl-data/CC-MAIN-2024-10/a.warc.gz",
        "https://data.commoncrawl.org/crawl-data/CC-MAIN-2024-10/b.warc.gz",
    ]
    plain = tmp_path / "paths.txt"
    plain.write_bytes(PATHS)
    assert read_path_list(str(plain)) == [
        "crawl-data/CC-MAIN-2024-10/a.warc.gz",
        "crawl-data/CC-MAIN-2024-10/b.warc.gz",
    ]


def test_unresolvable_host_fails_fast_with_a_clear_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    """`.invalid` never resolves (RFC 2606): two attempts, not retries+1, and no second retry loop
    around the path list (there were 6 x 6 attempts and ~3 minutes of back-off before)."""
    import requests

    gets: list[str] = []
    original = requests.Session.get

    def counting_get(self: requests.Session, url: str, **kwargs: object) -> requests.Response:
        gets.append(url)
        return original(self, url, **kwargs)

    monkeypatch.setattr(requests.Session, "get", counting_get)
    url = "https://corpus-builder-test.invalid/crawl-data/warc.paths.gz"
    started = time.monotonic()
    with pytest.raises(RemoteInputError) as ei:
        read_path_list(url, retries=5, backoff_s=0.01)
    assert "cannot resolve host 'corpus-builder-test.invalid'" in str(ei.value)
    assert url in str(ei.value) and "after 2 attempts" in str(ei.value)
    assert gets == [url, url]
    assert time.monotonic() - started < 60


def test_iter_warc_over_http(server: str) -> None:
    url = server + "/x.warc.gz"
    items = list(iter_warc(url, open_fn=lambda u: open_input(u, backoff_s=0.01)))
    assert all(isinstance(x, WarcRecord) for x in items)
    assert [x.target_uri for x in items] == ["http://x/0", "http://x/1", "http://x/2"]  # type: ignore[union-attr]
    assert items[0].payload.decode("shift_jis").endswith("日本語</body></html>")  # type: ignore[union-attr]


def test_expand_inputs(tmp_path: Path) -> None:
    for name in ("b.warc.gz", "a.warc.gz", "c.txt"):
        (tmp_path / name).write_bytes(b"")
    got = expand_inputs(["*.warc.gz", "https://example.org/x.warc.gz", "c.txt"], base_dir=str(tmp_path))
    assert got == [
        str(tmp_path / "a.warc.gz"),
        str(tmp_path / "b.warc.gz"),
        "https://example.org/x.warc.gz",
        str(tmp_path / "c.txt"),
    ]
    with pytest.raises(FileNotFoundError, match="nothing-here"):
        expand_inputs(["nothing-here/*.warc.gz"], base_dir=str(tmp_path))
    with pytest.raises(FileNotFoundError, match="missing.warc"):
        expand_inputs([str(tmp_path / "missing.warc")])
