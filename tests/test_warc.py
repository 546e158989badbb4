"""Tests for corpus_builder.sources.warc (iter_warc): fixtures are built here with warcio's WARCWriter."""

from __future__ import annotations

import gzip
import io
import zlib
from collections.abc import Callable

import pytest
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from corpus_builder.sources.warc.reader import iter_warc
from corpus_builder.sources.warc.record import WarcReadError, WarcRecord

JA_HTML = (
    "<html><head><title>日本語</title></head><body><p>こんにちは、世界。吾輩は猫である。</p></body></html>"
)
JA_SJIS = JA_HTML.encode("shift_jis")


def _html(i: int) -> bytes:
    return f"<html><body><p>record number {i}</p></body></html>".encode()


def _response(
    w: WARCWriter,
    uri: str,
    body: bytes,
    *,
    ctype: str = "text/html; charset=utf-8",
    extra: list[tuple[str, str]] | None = None,
    raw_body: bytes | None = None,
) -> None:
    """Write a response record; ``raw_body`` is the on-the-wire body (chunked/compressed) if it differs."""
    wire = raw_body if raw_body is not None else body
    headers = [("Content-Type", ctype), *(extra or [])]
    if not any(k.lower() == "transfer-encoding" for k, _ in headers):
        headers.append(("Content-Length", str(len(wire))))
    http = StatusAndHeaders("200 OK", headers, protocol="HTTP/1.1")
    rec = w.create_warc_record(uri, "response", payload=io.BytesIO(wire), http_headers=http)
    w.write_record(rec)


def _build(parts: list[Callable[[WARCWriter], None]], *, gz: bool = True) -> tuple[bytes, list[int]]:
    """Returns file bytes and the start offset of every part (plus the end offset)."""
    out = io.BytesIO()
    w = WARCWriter(out, gzip=gz)
    offsets = []
    for part in parts:
        offsets.append(out.tell())
        part(w)
    offsets.append(out.tell())
    return out.getvalue(), offsets


def _plain_pages(n: int) -> list[Callable[[WARCWriter], None]]:
    return [lambda w, i=i: _response(w, f"http://example.com/{i}", _html(i)) for i in range(n)]


def _read(data: bytes, **kw: object) -> tuple[list[WarcRecord], list[WarcReadError]]:
    items = list(iter_warc("mem.warc", open_fn=lambda _p: io.BytesIO(data), **kw))  # type: ignore[arg-type]
    recs = [x for x in items if isinstance(x, WarcRecord)]
    errs = [x for x in items if isinstance(x, WarcReadError)]
    assert len(recs) + len(errs) == len(items)
    return recs, errs


def _uris(recs: list[WarcRecord]) -> list[str]:
    return [r.target_uri for r in recs]


@pytest.mark.parametrize("gz", [True, False])
def test_normal_records_fields_and_offsets_match_warcio(gz: bool) -> None:
    parts = [
        lambda w: _response(
            w,
            "http://example.jp/ja",
            JA_SJIS,
            ctype="text/html; charset=Shift_JIS",
            extra=[("Content-Language", "ja")],
        ),
        *_plain_pages(3),
    ]
    data, _ = _build(parts, gz=gz)
    recs, errs = _read(data)
    assert errs == []
    assert _uris(recs) == ["http://example.jp/ja"] + [f"http://example.com/{i}" for i in range(3)]
    ja = recs[0]
    assert ja.payload == JA_SJIS and ja.payload.decode(ja.http_charset or "") == JA_HTML
    assert (ja.http_status, ja.content_type, ja.http_charset, ja.content_language) == (
        200,
        "text/html",
        "shift_jis",
        "ja",
    )
    assert ja.record_type == "response" and ja.record_id.startswith("urn:uuid:")
    assert ja.date and ja.truncated is None and ja.warc_path == "mem.warc"
    # offsets: equal to warcio's
    expected = [
        (it.get_record_offset(), rec.rec_headers.get_header("WARC-Record-ID").strip("<>"))
        for it in [ArchiveIterator(io.BytesIO(data))]
        for rec in it
        if rec.rec_type == "response"
    ]
    assert [(r.offset, r.record_id) for r in recs] == expected


def test_chunked_transfer_encoding_is_decoded() -> None:
    body = JA_SJIS
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in (body[:10], body[10:])) + b"0\r\n\r\n"
    data, _ = _build(
        [
            lambda w: _response(
                w, "http://c/", body, extra=[("Transfer-Encoding", "chunked")], raw_body=chunked
            )
        ]
    )
    recs, errs = _read(data)
    assert errs == [] and recs[0].payload == body


def test_gzip_content_encoding_is_decoded() -> None:
    data, _ = _build(
        [
            lambda w: _response(
                w, "http://g/", JA_SJIS, extra=[("Content-Encoding", "gzip")], raw_body=gzip.compress(JA_SJIS)
            )
        ]
    )
    recs, errs = _read(data)
    assert errs == [] and recs[0].payload == JA_SJIS and recs[0].truncated is None


def test_truncated_last_gzip_member() -> None:
    data, offs = _build(_plain_pages(3))
    recs, errs = _read(data[: offs[3] - 25])
    assert _uris(recs) == ["http://example.com/0", "http://example.com/1"]
    assert [(e.offset, e.reason) for e in errs] == [(offs[2], "truncated gzip member")]
    assert errs[0].record_id is not None


@pytest.mark.parametrize("gz", [True, False])
def test_garbage_between_records(gz: bool) -> None:
    data, offs = _build(_plain_pages(4), gz=gz)
    bad = data[: offs[2]] + b"\x00GARBAGE\r\nnot a record\r\n" * 3 + data[offs[2] :]
    recs, errs = _read(bad)
    assert _uris(recs) == [f"http://example.com/{i}" for i in range(4)]
    assert len(errs) == 1 and errs[0].offset == offs[2]
    assert "garbage" in errs[0].reason or "invalid WARC header" in errs[0].reason
    # records after the garbage keep their true byte offsets
    assert recs[3].offset == offs[3] + (len(bad) - len(data))


def test_corrupt_gzip_member_in_the_middle() -> None:
    data, offs = _build(_plain_pages(5))
    bad = bytearray(data)
    bad[offs[2] + 40 : offs[2] + 80] = b"\xff" * 40  # inside the deflate stream of record 2
    recs, errs = _read(bytes(bad))
    assert _uris(recs) == [
        "http://example.com/0",
        "http://example.com/1",
        "http://example.com/3",
        "http://example.com/4",
    ]
    assert [r.offset for r in recs] == [offs[0], offs[1], offs[3], offs[4]]
    assert len(errs) == 1 and errs[0].offset == offs[2] and "corrupt gzip member" in errs[0].reason


def test_member_cut_short_then_next_member() -> None:
    data, offs = _build(_plain_pages(4))
    bad = data[: offs[1] + 60] + data[offs[2] :]  # member 1 loses its tail, member 2 follows directly
    recs, errs = _read(bad)
    assert _uris(recs) == ["http://example.com/0", "http://example.com/2", "http://example.com/3"]
    assert len(errs) == 1 and errs[0].offset == offs[1] and "gzip member" in errs[0].reason


@pytest.mark.parametrize("gz", [True, False])
@pytest.mark.parametrize("delta", [-30, +30])
def test_wrong_content_length(gz: bool, delta: int) -> None:
    data, offs = _build(_plain_pages(4), gz=gz)

    def patch(segment: bytes) -> bytes:
        head, sep, rest = segment.partition(b"\r\nContent-Length: ")
        num, _, tail = rest.partition(b"\r\n")
        return head + sep + str(int(num) + delta).encode() + b"\r\n" + tail

    seg = data[offs[1] : offs[2]]
    seg = gzip.compress(patch(gzip.decompress(seg))) if gz else patch(seg)
    bad = data[: offs[1]] + seg + data[offs[2] :]
    recs, errs = _read(bad)
    assert _uris(recs) == ["http://example.com/0", "http://example.com/2", "http://example.com/3"]
    assert len(errs) == 1 and errs[0].offset == offs[1]
    assert "Content-Length mismatch" in errs[0].reason and errs[0].record_id


@pytest.mark.parametrize("header", ["WARC-Record-ID", "WARC-Type"])
def test_missing_required_header(header: str) -> None:
    data, offs = _build(_plain_pages(3), gz=False)
    seg = data[offs[1] : offs[2]]
    start = seg.index(header.encode() + b":")
    seg = seg[:start] + seg[seg.index(b"\r\n", start) + 2 :]
    bad = data[: offs[1]] + seg + data[offs[2] :]
    recs, errs = _read(bad)
    assert _uris(recs) == ["http://example.com/0", "http://example.com/2"]
    assert len(errs) == 1 and errs[0].offset == offs[1] and header in errs[0].reason


def test_resource_record_and_binary_body() -> None:
    binary = bytes(range(256)) * 8

    def resource(w: WARCWriter) -> None:
        rec = w.create_warc_record(
            "file:///doc.txt",
            "resource",
            payload=io.BytesIO(JA_SJIS),
            warc_content_type="text/plain; charset=shift_jis",
        )
        w.write_record(rec)

    def binary_resp(w: WARCWriter) -> None:
        _response(w, "http://b/img.png", binary, ctype="image/png")

    data, offs = _build([resource, binary_resp])
    recs, errs = _read(data)
    assert errs == []
    res, img = recs
    assert (res.record_type, res.http_status, res.content_type, res.http_charset) == (
        "resource",
        None,
        "text/plain",
        "shift_jis",
    )
    assert res.payload == JA_SJIS and res.offset == offs[0]
    assert img.payload == binary and img.content_type == "image/png" and img.http_charset is None


def test_empty_file() -> None:
    assert _read(b"") == ([], [])
    assert _read(gzip.compress(b"")) == ([], [])


def test_gzip_bomb_payload_is_bounded() -> None:
    bomb = gzip.compress(b"\0" * (20 << 20), 9)  # 20 MB of zeros in ~20 KB
    data, offs = _build(
        [
            *_plain_pages(1),
            lambda w: _response(w, "http://bomb/", b"", extra=[("Content-Encoding", "gzip")], raw_body=bomb),
            lambda w: _response(w, "http://after/", _html(9)),
        ]
    )
    recs, errs = _read(data, max_payload_bytes=1 << 20)
    assert _uris(recs) == ["http://example.com/0", "http://after/"]
    assert len(errs) == 1 and errs[0].offset == offs[1] and "decompression bomb" in errs[0].reason


def test_payload_over_max_is_cut_and_marked() -> None:
    big = b"<p>" + b"x" * 300_000 + b"</p>"
    data, _ = _build([lambda w: _response(w, "http://big/", big), *_plain_pages(1)])
    recs, errs = _read(data, max_payload_bytes=100_000)
    assert errs == []
    assert recs[0].truncated == "length" and recs[0].payload == big[:100_000]
    assert recs[1].truncated is None and recs[1].payload == _html(0)


def test_record_types_filter_and_warc_truncated_header() -> None:
    def truncated_resp(w: WARCWriter) -> None:
        http = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
        rec = w.create_warc_record("http://t/", "response", payload=io.BytesIO(b"<p>cut"), http_headers=http)
        rec.rec_headers.add_header("WARC-Truncated", "time")
        w.write_record(rec)

    def request(w: WARCWriter) -> None:
        http = StatusAndHeaders("GET / HTTP/1.1", [("Host", "t")], is_http_request=True)
        w.write_record(
            w.create_warc_record("http://t/", "request", payload=io.BytesIO(b""), http_headers=http)
        )

    data, _ = _build([request, truncated_resp])
    recs, errs = _read(data)
    assert errs == [] and len(recs) == 1 and recs[0].truncated == "time"
    recs, _ = _read(data, record_types=("request",))
    assert [r.record_type for r in recs] == ["request"]


def test_local_path_and_non_seekable_stream(tmp_path: object) -> None:
    import pathlib

    data, offs = _build(_plain_pages(4))
    bad = bytearray(data)
    bad[offs[2] + 40 : offs[2] + 80] = b"\xff" * 40
    p = pathlib.Path(str(tmp_path)) / "x.warc.gz"
    p.write_bytes(bytes(bad))
    recs, errs = [], []
    for x in iter_warc(str(p)):
        (recs if isinstance(x, WarcRecord) else errs).append(x)
    assert len(recs) == 3 and len(errs) == 1

    class NoSeek(io.RawIOBase):
        def __init__(self, b: bytes) -> None:
            self._b = io.BytesIO(b)

        def readable(self) -> bool:
            return True

        def readinto(self, buf: bytearray) -> int:  # type: ignore[override]
            d = self._b.read(len(buf))
            buf[: len(d)] = d
            return len(d)

    # plain WARC on a non-seekable stream: fastwarc would panic on seek() without our wrapper
    plain, _ = _build(_plain_pages(3), gz=False)
    recs2 = list(iter_warc("ns", open_fn=lambda _p: NoSeek(plain)))  # type: ignore[arg-type,return-value]
    assert [getattr(x, "target_uri", None) for x in recs2] == [f"http://example.com/{i}" for i in range(3)]

    items = list(iter_warc("ns", open_fn=lambda _p: NoSeek(bytes(bad))))  # type: ignore[arg-type,return-value]
    assert [getattr(x, "target_uri", None) for x in items] == [
        "http://example.com/0",
        "http://example.com/1",
        None,
        "http://example.com/3",
    ]


@pytest.mark.parametrize("gz", [True, False])
def test_identified_payload_type_is_read(gz: bool) -> None:
    def feed(w: WARCWriter) -> None:
        http = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
        rec = w.create_warc_record(
            "http://example.com/feed",
            "response",
            payload=io.BytesIO(b"<?xml version='1.0'?><rss><channel/></rss>"),
            http_headers=http,
            warc_headers_dict={"WARC-Identified-Payload-Type": "Application/RSS+XML; charset=utf-8"},
        )
        w.write_record(rec)

    data, _ = _build([feed, *_plain_pages(1)], gz=gz)
    recs, errs = _read(data)
    assert not errs
    assert [(r.content_type, r.identified_type) for r in recs] == [
        ("text/html", "application/rss+xml"),
        ("text/html", None),
    ]


# ---------------------------------------------------------------------------------------------------------
# Leniency, resynchronisation and bodies (issue 13): records written byte by byte, in all three layouts
# ---------------------------------------------------------------------------------------------------------

LAYOUTS = ("per-record", "single", "plain")


def _warc(
    i: int,
    block: bytes,
    *,
    rtype: bytes = b"response",
    eol: bytes = b"\r\n",
    clen: bytes | None = None,
    extra: tuple[bytes, ...] = (),
    sep: bytes = b"\r\n\r\n",
) -> bytes:
    lines = [
        b"WARC/1.0",
        b"WARC-Type: " + rtype,
        b"WARC-Record-ID: <urn:uuid:00000000-0000-4000-8000-%012d>" % i,
        b"WARC-Date: 2024-02-20T10:00:00Z",
        b"WARC-Target-URI: http://example.com/%d" % i,
        b"Content-Type: application/http; msgtype=response",
        *extra,
        b"Content-Length: " + (clen if clen is not None else b"%d" % len(block)),
    ]
    return eol.join(lines) + eol + eol + block + sep


def _http(
    body: bytes,
    *,
    status: bytes = b"HTTP/1.1 200 OK",
    eol: bytes = b"\r\n",
    headers: tuple[bytes, ...] = (b"Content-Type: text/html; charset=utf-8",),
) -> bytes:
    return eol.join([status, *headers]) + eol + eol + body


def _file(records: list[bytes], layout: str) -> bytes:
    if layout == "per-record":
        return b"".join(gzip.compress(r, mtime=0) for r in records)
    if layout == "single":
        return gzip.compress(b"".join(records), mtime=0)
    return b"".join(records)


def _rid(i: int) -> str:
    return f"urn:uuid:00000000-0000-4000-8000-{i:012d}"


def _pages(n: int) -> list[bytes]:
    return [_warc(i, _http(_html(i))) for i in range(n)]


@pytest.mark.parametrize(
    ("status", "code", "lenient"),
    [
        (b"HTTP/1.1 200 OK", 200, ()),
        (b"HTTP/1.1 HTTP/1.1 200 OK", 200, ("lenient_status_line",)),  # a public archiving tool's bug
        (b"HTTP/1.1 404", 404, ("lenient_status_line",)),  # no reason phrase, no space
        (b"HTTP/1.0 301 ", 301, ()),  # empty reason phrase: valid per RFC 9112
    ],
)
def test_status_line_leniency_is_read_and_named(status: bytes, code: int, lenient: tuple[str, ...]) -> None:
    recs, errs = _read(_file([_warc(0, _http(_html(0), status=status)), *_pages(2)[1:]], "per-record"))
    assert errs == [] and [r.record_id for r in recs] == [_rid(0), _rid(1)]
    assert recs[0].http_status == code and recs[0].payload == _html(0) and recs[0].lenient == lenient


@pytest.mark.parametrize("status", [b"HTTP/1.1 abc OK", b"HTTP/1.1", b"HTTP/1.1 2000 OK"])
def test_invalid_status_line_is_an_error_row(status: bytes) -> None:
    recs, errs = _read(_file([_warc(0, _http(b"x", status=status)), *_pages(2)[1:]], "plain"))
    assert [r.record_id for r in recs] == [_rid(1)]
    assert len(errs) == 1 and errs[0].record_id == _rid(0) and "invalid HTTP status line" in errs[0].reason


@pytest.mark.parametrize("layout", LAYOUTS)
def test_bare_lf_headers_are_read_once(layout: str) -> None:
    pages = _pages(4)
    pages[1] = _warc(1, _http(_html(1), eol=b"\n"), eol=b"\n", sep=b"\n\n")
    pages[2] = _warc(2, _http(_html(2)), eol=b"\n")
    recs, errs = _read(_file(pages, layout))
    assert errs == []
    assert [(r.record_id, r.payload) for r in recs] == [(_rid(i), _html(i)) for i in range(4)]
    assert recs[1].lenient == ("lenient_warc_line_endings", "lenient_http_line_endings")
    assert recs[2].lenient == ("lenient_warc_line_endings",)
    assert recs[0].lenient == recs[3].lenient == ()


def test_bare_lf_http_head_keeps_a_body_with_crlf_crlf_inside() -> None:
    body = b"<p>first paragraph</p>\r\n\r\n<p>second</p>"
    recs, errs = _read(_file([_warc(0, _http(body, eol=b"\n"))], "per-record"))
    assert errs == [] and recs[0].payload == body


def test_odd_header_case_and_whitespace() -> None:
    block = _http(
        _html(0), headers=(b"content-TYPE :  text/html ;charset=Shift_JIS  ", b"CONTENT-language:ja")
    )
    rec = (
        _warc(0, block)
        .replace(b"WARC-Type: response", b"warc-type:response  ")
        .replace(b"Content-Length:", b"content-length :  ")
    )
    recs, errs = _read(_file([rec], "plain"))
    assert errs == [] and recs[0].payload == _html(0)
    assert (recs[0].content_type, recs[0].http_charset, recs[0].content_language) == (
        "text/html",
        "shift_jis",
        "ja",
    )


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("declared", ["rest+7", "2**64+1", "10**30", "2**63"])
def test_huge_content_length_does_not_swallow_later_records(layout: str, declared: str) -> None:
    pages = _pages(5)
    block = _http(_html(1))
    rest = sum(len(p) for p in pages[2:])
    value = eval(declared.replace("rest", str(len(block) + rest)))  # noqa: S307 - a literal table above
    pages[1] = _warc(1, block, clen=b"%d" % value)
    recs, errs = _read(_file(pages, layout))
    assert [(r.record_id, r.payload) for r in recs] == [(_rid(i), _html(i)) for i in (0, 2, 3, 4)]
    assert len(errs) == 1 and errs[0].record_id == _rid(1)


@pytest.mark.parametrize("layout", LAYOUTS)
def test_record_cut_short_is_an_error_and_the_next_record_is_kept(layout: str) -> None:
    pages = _pages(4)
    offsets = [sum(len(p) for p in pages[:i]) for i in range(4)]
    pages[1] = pages[1][: len(pages[1]) - 30]  # cut inside the body, straight into record 2's header
    recs, errs = _read(_file(pages, layout))
    assert [(r.record_id, r.payload) for r in recs] == [(_rid(i), _html(i)) for i in (0, 2, 3)]
    assert len(errs) == 1 and "truncated" in errs[0].reason and errs[0].record_id == _rid(1)
    if layout == "plain":
        assert errs[0].offset == offsets[1]


@pytest.mark.parametrize("layout", LAYOUTS)
def test_record_cut_in_its_header_is_an_error_and_the_next_record_is_kept(layout: str) -> None:
    pages = _pages(4)
    pages[2] = pages[2][:60]
    recs, errs = _read(_file(pages, layout))
    assert [r.record_id for r in recs] == [_rid(i) for i in (0, 1, 3)]
    assert len(errs) == 1 and "truncated" in errs[0].reason


def test_single_member_gzip_goes_on_after_garbage() -> None:
    pages = _pages(4)
    pages[1] += b"\x00junk that is no record\r\n" * 5
    recs, errs = _read(_file(pages, "single"))
    assert [r.record_id for r in recs] == [_rid(i) for i in range(4)]
    assert len(errs) == 1 and "garbage" in errs[0].reason


def test_short_content_length_before_the_next_record_is_kept_and_flagged() -> None:
    # as in warcio's example-trunc.warc: the block stops 2 bytes early, then CRLF CRLF and the next record
    pages = _pages(3)
    block = _http(_html(1))
    pages[1] = _warc(1, block, clen=b"%d" % (len(block) - 2))
    recs, errs = _read(_file(pages, "plain"))
    assert errs == [] and [r.record_id for r in recs] == [_rid(i) for i in range(3)]
    assert recs[1].truncated == "length" and "lenient_short_content_length" in recs[1].lenient
    assert recs[0].truncated is None and recs[2].truncated is None


def test_warc_truncated_record_is_kept_and_flagged() -> None:
    pages = _pages(2)
    pages[0] = _warc(0, _http(b"<p>cut"), extra=(b"WARC-Truncated: disconnect",))
    recs, errs = _read(_file(pages, "per-record"))
    assert errs == [] and recs[0].truncated == "disconnect" and recs[0].payload == b"<p>cut"


def _encoded(body: bytes, coding: bytes) -> bytes:
    return _http(body, headers=(b"Content-Type: text/html", b"Content-Encoding: " + coding))


def test_content_encodings_are_undone() -> None:
    import brotli

    page = JA_HTML.encode() * 20
    half = len(page) // 2
    raw_deflate = zlib.compressobj(6, zlib.DEFLATED, -15)
    bodies = [
        (b"gzip", gzip.compress(page[:half], mtime=0) + gzip.compress(page[half:], mtime=0)),  # two members
        (b"x-gzip", gzip.compress(page, mtime=0)),
        (b"deflate", zlib.compress(page)),  # RFC: zlib-wrapped
        (b"deflate", raw_deflate.compress(page) + raw_deflate.flush()),  # often raw in the wild
        (b"br", brotli.compress(page)),
        (b"gzip, br", brotli.compress(gzip.compress(page, mtime=0))),  # stacked: undone right to left
        (b"identity", page),
    ]
    pages = [_warc(i, _encoded(body, coding)) for i, (coding, body) in enumerate(bodies)]
    recs, errs = _read(_file(pages, "per-record"))
    assert errs == []
    assert [r.payload for r in recs] == [page] * len(bodies)
    assert all(r.truncated is None for r in recs)


def test_undecodable_content_encoding_is_an_error_not_garbage_text() -> None:
    binary = gzip.compress(b"x" * 1000)[:10] + bytes(range(256))  # a gzip header, then nonsense
    pages = [
        _warc(0, _encoded(binary, b"gzip")),
        _warc(1, _encoded(bytes(range(256)), b"br")),
        _warc(2, _encoded(_html(2), b"gzip")),
        _warc(3, _http(_html(3))),
    ]
    recs, errs = _read(_file(pages, "plain"))
    assert [e.record_id for e in errs] == [_rid(0), _rid(1)]
    assert all("Content-Encoding decode failed" in e.reason for e in errs)
    # a header that lies about a body stored as plain text: the text is kept, the leniency named
    assert [(r.record_id, r.payload) for r in recs] == [(_rid(2), _html(2)), (_rid(3), _html(3))]
    assert recs[0].lenient == ("content_encoding_not_applied",)


def test_gzip_body_cut_short_is_flagged() -> None:
    page = JA_HTML.encode() * 50
    cut = gzip.compress(page, mtime=0)[:-40]
    recs, errs = _read(_file([_warc(0, _encoded(cut, b"gzip"))], "plain"))
    assert errs == [] and recs[0].truncated == "disconnect" and page.startswith(recs[0].payload)


@pytest.mark.parametrize("eol", [b"\r\n", b"\n"])
def test_chunked_bodies(eol: bytes) -> None:
    body = JA_SJIS
    chunks = b"".join(b"%x%s%s%s" % (len(c), eol, c, eol) for c in (body[:7], body[7:30], body[30:]))
    head = (b"Content-Type: text/html", b"Transfer-Encoding: chunked")
    pages = [
        _warc(0, _http(chunks + b"0" + eol + eol, headers=head)),
        _warc(1, _http(chunks, headers=head)),  # no last chunk: the response was cut
        _warc(2, _http(body, headers=head)),  # stored de-chunked with the header kept (Common Crawl)
    ]
    recs, errs = _read(_file(pages, "per-record"))
    assert errs == [] and [r.payload for r in recs] == [body, body, body]
    assert [r.truncated for r in recs] == [None, "disconnect", None]


def test_leniencies_are_counted_in_the_read_step_stats(tmp_path: object) -> None:
    import pathlib

    from corpus_builder.config.sources import CommonCrawlSource
    from corpus_builder.sources.tasks import InputTask
    from corpus_builder.stages.read import SourceReader

    pages = _pages(4)
    pages[1] = _warc(1, _http(_html(1), status=b"HTTP/1.1 HTTP/1.1 200 OK"))
    pages[2] = _warc(2, _http(_html(2), status=b"HTTP/1.1 HTTP/1.1 200 OK"), eol=b"\n")
    path = pathlib.Path(str(tmp_path)) / "x.warc.gz"
    path.write_bytes(_file(pages, "per-record"))
    config = CommonCrawlSource(name="cc", paths=[str(path)])
    task = InputTask(0, config, "cc", str(path), "x.warc.gz", None, None)
    step = SourceReader([task], max_payload_bytes=1 << 20)
    docs = list(step.run(None, 0, 1))
    assert len(docs) == 4
    assert step.stats["lenient_status_line"].total == 2
    assert step.stats["lenient_warc_line_endings"].total == 1
    assert step.stats["lenient_http_line_endings"].total == 0
