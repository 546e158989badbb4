"""Parity with warcio on files written by warcio's own WARCWriter (and a few hand-made lenient ones).

Every response/resource record warcio's ArchiveIterator parses must be read by us with the same record id
and payload bytes (warcio's ``content_stream()``: chunked and Content-Encoding undone). The same check runs
on real third-party WARCs with ``python -m bench.warc_parity PATH...``.
"""

from __future__ import annotations

import gzip
import io
import zlib
from pathlib import Path

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from bench.warc_parity import compare

PAGE = ("<html><body><p>" + "吾輩は猫である。名前はまだ無い。" * 40 + "</p></body></html>").encode()


def _written(gz: bool) -> bytes:
    out = io.BytesIO()
    w = WARCWriter(out, gzip=gz)

    def response(uri: str, wire: bytes, headers: list[tuple[str, str]], protocol: str = "HTTP/1.1") -> None:
        http = StatusAndHeaders(
            "200 OK", [("Content-Type", "text/html; charset=utf-8"), *headers], protocol=protocol
        )
        w.write_record(w.create_warc_record(uri, "response", payload=io.BytesIO(wire), http_headers=http))

    w.write_record(w.create_warcinfo_record("x.warc", {"software": "test"}))
    response("http://a/plain", PAGE, [("Content-Length", str(len(PAGE)))])
    response("http://a/gzip", gzip.compress(PAGE), [("Content-Encoding", "gzip")])
    response("http://a/deflate", zlib.compress(PAGE), [("Content-Encoding", "deflate")])
    # no br record: warcio 1.8.1 crashes on it with brotli 1.2 (Decompressor has no unused_data); our br
    # decoding is tested in test_warc.py
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in (PAGE[:100], PAGE[100:])) + b"0\r\n\r\n"
    response("http://a/chunked", chunked, [("Transfer-Encoding", "chunked")])
    response("http://a/doubled", PAGE, [], protocol="HTTP/1.1 HTTP/1.1")  # writes HTTP/1.1 HTTP/1.1 200 OK
    w.write_record(
        w.create_warc_record(
            "file:///r.txt",
            "resource",
            payload=io.BytesIO(PAGE),
            warc_content_type="text/plain; charset=utf-8",
        )
    )
    return out.getvalue()


def _bare_lf() -> bytes:
    """A hand-made record with bare-LF WARC and HTTP headers (warcio reads these too)."""
    http = b"HTTP/1.1 200 OK\nContent-Type: text/html\n\n" + PAGE
    head = (
        b"WARC/1.0\nWARC-Type: response\nWARC-Record-ID: <urn:uuid:11111111-2222-4333-8444-555555555555>\n"
        b"WARC-Date: 2024-02-20T10:00:00Z\nWARC-Target-URI: http://a/lf\n"
        b"Content-Type: application/http; msgtype=response\nContent-Length: %d\n\n" % len(http)
    )
    return head + http + b"\n\n"


@pytest.mark.parametrize("gz", [True, False])
def test_every_record_warcio_reads_we_read_identically(tmp_path: Path, gz: bool) -> None:
    path = tmp_path / ("w.warc.gz" if gz else "w.warc")
    path.write_bytes(_written(gz))
    result = compare(path)
    assert result["warcio"] == 6 and result["warcio_stopped"] == ""
    assert (result["ours"], result["missed"], result["cut"], result["differ"], result["extra"]) == (
        6,
        0,
        0,
        0,
        0,
    )
    assert result["errors"] == 0


@pytest.mark.parametrize("gz", [True, False])
def test_bare_lf_records_match_warcio(tmp_path: Path, gz: bool) -> None:
    # per-record gzip: warcio refuses a gzip member holding several records
    data = _written(True) + gzip.compress(_bare_lf()) if gz else _written(False) + _bare_lf()
    path = tmp_path / ("lf.warc.gz" if gz else "lf.warc")
    path.write_bytes(data)
    result = compare(path)
    assert result["warcio"] == 7 and (result["ours"], result["missed"], result["differ"]) == (7, 0, 0)
