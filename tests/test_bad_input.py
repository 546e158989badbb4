"""Hostile input: every case is generated here, and none may crash a run.

Record-level cases (a damaged WARC record, a hostile page) each get their own WARC file, with a known
good page before and after the bad record. All of those files go through ONE `corpus-build run`
(one task per file), which must exit 0 without a traceback; then each case checks its own file:

* the bad record is quarantined where the case says: `errors/` (unreadable: file + offset + reason),
  `excluded/` (readable but dropped: stage + reason), or kept with the right text (charset cases);
* every good record of the same file is in `documents/`.

Run-level cases (bad pipeline files, bad inputs, an unusable output directory, a full disk) each
run the CLI on their own and check the exit code (2 bad config/input, 1 run failure) and message.
"""

from __future__ import annotations

import errno
import gzip
import os
import subprocess
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from corpus_builder.samples.generate import build_pages
from tests.pipeline_helpers import corpus_build, output_digests
from tests.test_inputs_and_yaml import billion_laughs

# ----------------------------------------------------------------------------------------------- WARC bytes


def _gz(raw: bytes) -> bytes:
    return gzip.compress(raw, compresslevel=1, mtime=0)


def warc(
    rtype: str,
    block: bytes,
    *,
    rid: str | None = "urn:uuid:00000000-0000-4000-8000-000000000000",
    url: str | None = None,
    clen: str | int | None = None,
    content_type: str | None = "application/http; msgtype=response",
    extra: tuple[tuple[str, str], ...] = (),
    omit_length: bool = False,
) -> bytes:
    lines = [b"WARC/1.0"]
    if rtype:
        lines.append(b"WARC-Type: " + rtype.encode())
    if rid:
        lines.append(b"WARC-Record-ID: <" + rid.encode() + b">")
    lines.append(b"WARC-Date: 2024-02-20T10:00:00Z")
    if url:
        lines.append(b"WARC-Target-URI: " + url.encode())
    if content_type:
        lines.append(b"Content-Type: " + content_type.encode())
    lines += [f"{k}: {v}".encode() for k, v in extra]
    if not omit_length:
        lines.append(b"Content-Length: " + str(len(block) if clen is None else clen).encode())
    return b"\r\n".join(lines) + b"\r\n\r\n" + block + b"\r\n\r\n"


def http(
    body: bytes,
    status: str = "200 OK",
    headers: tuple[tuple[str, str], ...] = (("Content-Type", "text/html; charset=utf-8"),),
) -> bytes:
    head = f"HTTP/1.1 {status}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers)
    return head.encode("latin-1") + b"\r\n" + body


def rid_for(name: str, n: int) -> str:
    return f"urn:uuid:{zlib.crc32(name.encode()):08x}-0000-4000-8000-{n:012d}"


# Good pages (authored prose, well-formed, kept by the chain below): one before, one after each bad record.
_PAGES = [p for p in build_pages(11, 8, 8, 0) if p.kind == "good" and not p.charset_is_wrong]
GOOD_BEFORE = next(p for p in _PAGES if p.lang == "ja")
GOOD_AFTER = next(p for p in _PAGES if p.lang == "en")
JA_TEXT = (
    "吾輩は猫である。名前はまだ無い。どこで生れたかとんと見当がつかぬ。何でも薄暗いじめじめした所で"
    "ニャーニャー泣いていた事だけは記憶している。吾輩はここで始めて人間というものを見た。"
)
JA_PARAGRAPHS = "".join(f"<p>{JA_TEXT}（{i}）</p>\n" for i in range(8))


def ja_page(charset_meta: str | None = None, body: str = JA_PARAGRAPHS, title: str = "猫の話") -> str:
    meta = f'<meta charset="{charset_meta}">' if charset_meta else ""
    head = f"<head>{meta}<title>{title}</title></head>"
    return f"<!DOCTYPE html><html>{head}<body><article>{body}</article></body></html>"


def good_record(page, name: str, n: int) -> bytes:
    ctype = page.content_type + (f"; charset={page.declared_charset}" if page.declared_charset else "")
    return warc(
        "response", http(page.html, headers=(("Content-Type", ctype),)), rid=rid_for(name, n), url=page.url
    )


def response(name: str, body: bytes, **kw) -> bytes:
    """The case's bad record: a response with the case's url and id."""
    http_kw = {k: kw.pop(k) for k in ("status", "headers") if k in kw}
    return warc("response", http(body, **http_kw), rid=rid_for(name, 2), url=bad_url(name), **kw)


def bad_url(name: str) -> str:
    return f"https://bad.example/{name}"


# ----------------------------------------------------------------------------------------------- cases


@dataclass
class Case:
    name: str
    build: Callable[[str], bytes]  # name -> bytes of the bad part (already gzip members for gz files)
    expect: str  # "error" | "excluded" | "kept" | "dropped" (error or excluded) | "accounted" | "none"
    reason: str = ""  # substring of the error reason / excluded "stage/reason"
    gz: bool = True
    after: bool = True  # a good record after the bad one (impossible when the file is cut)
    whole_file: Callable[[str], bytes] | None = None  # the whole file instead of before+bad+after
    text_has: str | None = None  # for "kept": a substring the extracted text must contain


def _r(name: str, body: bytes, **kw) -> bytes:
    return _gz(response(name, body, **kw))


def _bomb() -> bytes:
    # 200 MB of zeros in ~200 KB: far past the 5 MB payload limit, ratio ~1000x
    z = zlib.compressobj(9, zlib.DEFLATED, 31)
    chunk = b"\0" * (1 << 20)
    return b"".join(z.compress(chunk) for _ in range(200)) + z.flush()


def _damaged(member: bytes) -> bytes:
    data = bytearray(member)
    data[10] |= 0x06  # reserved deflate block type: inflate fails at once
    return bytes(data)


def _chunked(body: bytes, size: int = 100) -> bytes:
    parts = [body[i : i + size] for i in range(0, len(body), size)]
    return b"".join(f"{len(p):x}\r\n".encode() + p + b"\r\n" for p in parts) + b"0\r\n\r\n"


UTF8 = ja_page("utf-8").encode()
SJIS_NO_META = ja_page().encode("cp932")
HTML_HDR = (("Content-Type", "text/html"),)


def _mixed(name: str) -> bytes:
    half = len(JA_PARAGRAPHS) // 2
    body = ja_page(body=JA_PARAGRAPHS[:half]).encode()[:-22] + JA_PARAGRAPHS[half:].encode("cp932")
    return _r(name, body + b"</article></body></html>", headers=HTML_HDR)


CASES: list[Case] = [
    # --- framing: gzip members
    Case("truncated_gzip_member", lambda n: _r(n, UTF8)[:300], "error"),
    Case("corrupt_deflate_member", lambda n: _damaged(_r(n, UTF8)), "error"),
    Case("garbage_between_records", lambda n: bytes(range(256)) * 12, "error"),
    Case("garbage_with_fake_gzip_magic", lambda n: (b"\x1f\x8b\x08" + b"\xff" * 500) * 3, "error"),
    Case("empty_gzip_member_between_records", lambda n: _gz(b""), "none"),
    Case("truncated_file", lambda n: _r(n, UTF8)[:-40], "error", after=False),
    # --- framing: WARC headers
    Case("content_length_too_long", lambda n: _gz(response(n, UTF8, clen=len(http(UTF8)) + 700)), "error"),
    Case("content_length_too_short", lambda n: _gz(response(n, UTF8, clen=len(http(UTF8)) - 700)), "dropped"),
    Case("content_length_not_a_number", lambda n: _gz(response(n, UTF8, clen="12abc")), "error"),
    Case("content_length_negative", lambda n: _gz(response(n, UTF8, clen=-5)), "error"),
    Case("missing_content_length", lambda n: _gz(response(n, UTF8, omit_length=True)), "error"),
    Case(
        "missing_record_id",
        lambda n: _gz(warc("response", http(UTF8), rid=None, url=bad_url(n))),
        "error",
        "WARC-Record-ID",
    ),
    Case(
        "missing_warc_type",
        lambda n: _gz(warc("", http(UTF8), rid=rid_for(n, 2), url=bad_url(n))),
        "error",
        "WARC-Type",
    ),
    Case(
        "warc_header_garbage_lines",
        lambda n: _gz(
            response(n, UTF8, extra=(("\xff\xfe no colon", ""),)).replace(
                b"\xc3\xbf\xc3\xbe no colon: ", b"\xff\xfe no colon"
            )
        ),
        "accounted",
    ),
    Case(
        "warc_header_100kb", lambda n: _gz(response(n, UTF8, extra=(("X-Long", "a" * 100_000),))), "accounted"
    ),
    # --- framing: plain (uncompressed) WARC files
    Case("plain_garbage_between_records", lambda n: b"GARBAGE " * 400 + b"\r\n", "error", gz=False),
    Case(
        "plain_content_length_too_long",
        lambda n: response(n, UTF8, clen=len(http(UTF8)) + 700),
        "error",
        gz=False,
    ),
    Case(
        "plain_content_length_too_short",
        lambda n: response(n, UTF8, clen=len(http(UTF8)) - 700),
        "dropped",
        gz=False,
    ),
    Case("plain_truncated_file", lambda n: response(n, UTF8)[:-100], "error", gz=False, after=False),
    # --- HTTP layer
    Case(
        "non_http_payload",
        lambda n: _gz(warc("response", UTF8, rid=rid_for(n, 2), url=bad_url(n))),
        "accounted",
    ),
    Case(
        "invalid_http_status_line",
        lambda n: _gz(warc("response", b"HTTP/1.1 abc\r\n\r\n" + UTF8, rid=rid_for(n, 2), url=bad_url(n))),
        "error",
        "HTTP status",
    ),
    Case(
        "http_headers_without_body",
        lambda n: _gz(
            warc("response", b"HTTP/1.1 200 OK\r\nContent-Type: text/html", rid=rid_for(n, 2), url=bad_url(n))
        ),
        "excluded",
        "decode/empty_payload",
    ),
    Case("http_header_70kb", lambda n: _r(n, UTF8, headers=(("X-Big", "b" * 70_000),)), "error"),
    Case("http_404", lambda n: _r(n, UTF8, status="404 Not Found"), "excluded", "http_status_404"),
    Case(
        "http_500", lambda n: _r(n, UTF8, status="500 Internal Server Error"), "excluded", "http_status_500"
    ),
    Case(
        "http_301_redirect",
        lambda n: _r(n, b"<a href='/x'>moved</a>", status="301 Moved Permanently"),
        "excluded",
        "http_status_301",
    ),
    Case(
        "chunked_valid",
        lambda n: _r(
            n,
            _chunked(UTF8),
            headers=(("Content-Type", "text/html; charset=utf-8"), ("Transfer-Encoding", "chunked")),
        ),
        "kept",
        text_has="吾輩は猫である",
    ),
    Case(
        "chunked_bad_sizes",
        lambda n: _r(
            n, b"zz\r\n" + UTF8, headers=(("Content-Type", "text/html"), ("Transfer-Encoding", "chunked"))
        ),
        "accounted",
    ),
    Case(
        "chunked_truncated",
        lambda n: _r(
            n,
            _chunked(UTF8)[:-700],
            headers=(("Content-Type", "text/html"), ("Transfer-Encoding", "chunked")),
        ),
        "accounted",
    ),
    Case(
        "gzip_bomb_content_encoding",
        lambda n: _r(n, _bomb(), headers=(("Content-Type", "text/html"), ("Content-Encoding", "gzip"))),
        "error",
        "bomb",
    ),
    Case(
        "corrupt_gzip_content_encoding",
        lambda n: _r(
            n,
            _damaged(gzip.compress(UTF8)),
            headers=(("Content-Type", "text/html"), ("Content-Encoding", "gzip")),
        ),
        "error",
        "Content-Encoding",
    ),
    Case(
        "content_encoding_gzip_valid",
        lambda n: _r(
            n,
            gzip.compress(UTF8, mtime=0),
            headers=(("Content-Type", "text/html"), ("Content-Encoding", "gzip")),
        ),
        "kept",
        text_has="吾輩は猫である",
    ),
    Case(
        "content_encoding_header_lies",
        lambda n: _r(n, UTF8, headers=(("Content-Type", "text/html"), ("Content-Encoding", "gzip"))),
        "kept",
        text_has="吾輩は猫である",
    ),
    Case(
        "content_encoding_br_undecodable",
        lambda n: _r(
            n,
            b"\x8b\x00\x80garbage" * 50,
            headers=(("Content-Type", "text/html"), ("Content-Encoding", "br")),
        ),
        "dropped",
    ),
    # --- bodies
    Case(
        "binary_body_labelled_html",
        lambda n: _r(n, b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + bytes(range(256)) * 40, headers=HTML_HDR),
        "excluded",
        "decode/binary_payload",
    ),
    Case(
        "nul_bytes_in_html",
        lambda n: _r(n, UTF8.replace(b"</p>", b"\0</p>")),
        "excluded",
        "decode/binary_payload",
    ),
    Case("empty_http_body", lambda n: _r(n, b""), "excluded", "decode/empty_payload"),
    Case("whitespace_only_body", lambda n: _r(n, b" \r\n\t " * 100), "excluded", "decode/empty_payload"),
    Case(
        "empty_html_document",
        lambda n: _r(n, b"<html><head></head><body></body></html>"),
        "excluded",
        "extract/extract_empty",
    ),
    Case(
        "page_50mb",
        lambda n: _r(n, ja_page("utf-8", JA_PARAGRAPHS * 9000).encode()),
        "excluded",
        "decode/payload_too_large",
    ),
    Case(
        "enormous_single_line",
        lambda n: _r(n, ("<p>" + "あいうえおかきくけこ" * 150_000 + "</p>").encode()),
        "accounted",
    ),
    Case(
        "nested_tags_100k_deep",
        lambda n: _r(n, ("<div>" * 100_000 + JA_TEXT + "</div>" * 100_000).encode()),
        "accounted",
    ),
    Case(
        "huge_url",
        lambda n: _gz(warc("response", http(UTF8), rid=rid_for(n, 2), url=bad_url(n) + "x" * 100_000)),
        "accounted",
    ),
    Case(
        "revisit_without_payload",
        lambda n: _gz(warc("revisit", b"", rid=rid_for(n, 2), url=bad_url(n))),
        "accounted",
    ),
    # --- charsets
    Case("wrong_charset_declared", lambda n: _r(n, SJIS_NO_META), "kept", text_has="吾輩は猫である"),
    Case(
        "absent_charset_euc_jp",
        lambda n: _r(n, ja_page().encode("euc_jp"), headers=HTML_HDR),
        "kept",
        text_has="吾輩は猫である",
    ),
    Case(
        "absent_charset_shift_jis",
        lambda n: _r(n, SJIS_NO_META, headers=HTML_HDR),
        "kept",
        text_has="吾輩は猫である",
    ),
    Case(
        "contradictory_charset",
        lambda n: _r(
            n, ja_page("shift_jis").encode(), headers=(("Content-Type", "text/html; charset=euc-jp"),)
        ),
        "kept",
        text_has="吾輩は猫である",
    ),
    Case(
        "unknown_charset_name",
        lambda n: _r(
            n,
            UTF8.replace(b'charset="utf-8"', b'charset="x-no-such"'),
            headers=(("Content-Type", "text/html; charset=x-bogus-42"),),
        ),
        "kept",
        text_has="吾輩は猫である",
    ),
    Case("mixed_encodings_in_page", _mixed, "accounted"),
    Case(
        "utf16_with_bom",
        lambda n: _r(n, ja_page().encode("utf-16"), headers=HTML_HDR),
        "kept",
        text_has="吾輩は猫である",
    ),
    Case("utf16_without_bom", lambda n: _r(n, ja_page().encode("utf-16-le"), headers=HTML_HDR), "dropped"),
    Case(
        "lone_surrogate_utf8_bytes",
        lambda n: _r(n, UTF8.replace("名前".encode(), b"\xed\xa0\x80")),
        "accounted",
    ),
    Case(
        "lone_surrogate_char_refs",
        lambda n: _r(n, UTF8.replace("名前".encode(), b"&#xD800;&#56320;&#55296;")),
        "accounted",
    ),
    Case(
        "lone_surrogate_backslash_escapes",
        lambda n: _r(
            n,
            UTF8.replace(b"</article>", b'<p>\\ud800 \\udfff</p><script>var s="\\ud800";</script></article>'),
        ),
        "kept",
        text_has="吾輩は猫である",
    ),
    # --- whole files
    Case("plain_warc_named_gz", lambda n: b"", "none", gz=False),
    Case("empty_file", lambda n: b"", "none", whole_file=lambda n: b""),
    Case(
        "not_a_warc_at_all", lambda n: b"", "error", whole_file=lambda n: b"hello, I am a text file\n" * 200
    ),
    Case(
        "gzip_of_not_a_warc",
        lambda n: b"",
        "error",
        whole_file=lambda n: _gz(b"<html>not a warc</html>\n" * 200),
    ),
]


@dataclass
class Built:
    case: Case
    path: Path
    bad_start: int
    bad_end: int


def build_file(folder: Path, index: int, case: Case) -> Built:
    path = folder / f"{index:03d}-{case.name}.warc.gz"  # every file is named .gz, plain or not
    if case.whole_file is not None:
        data = case.whole_file(case.name)
        path.write_bytes(data)
        return Built(case, path, 0, max(len(data), 1))
    wrap = _gz if case.gz else (lambda b: b)
    info = warc(
        "warcinfo", b"software: test\r\n", rid=rid_for(case.name, 0), content_type="application/warc-fields"
    )
    prefix = wrap(info) + wrap(good_record(GOOD_BEFORE, case.name, 1))
    bad = case.build(case.name)
    suffix = wrap(good_record(GOOD_AFTER, case.name, 3)) if case.after else b""
    path.write_bytes(prefix + bad + suffix)
    return Built(case, path, len(prefix), len(prefix) + max(len(bad), 1))


PIPELINE = """\
name: bad_input
seed: 0
sources:
  - name: cc
    kind: commoncrawl
    paths: ["{inputs}/*.warc.gz"]
stages:
  - step: decode
  - step: extract
    timeout_s: 20
  - step: langid
    keep: {{ja: 0.5, en: 0.5}}
output:
  dir: {output}
executor:
  workers: {workers}
"""


def assert_clean_exit(result: subprocess.CompletedProcess, code: int) -> None:
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)


@pytest.fixture(scope="module")
def record_run(tmp_path_factory: pytest.TempPathFactory) -> dict:
    work = tmp_path_factory.mktemp("bad-records")
    inputs = work / "inputs"
    inputs.mkdir()
    built = {case.name: build_file(inputs, i, case) for i, case in enumerate(CASES)}
    pipeline = work / "p.yaml"
    pipeline.write_text(PIPELINE.format(inputs=inputs, output=work / "out", workers=2))
    result = corpus_build("run", str(pipeline), timeout=300)
    tables = {}
    for table in ("documents", "excluded", "errors"):
        rows = []
        for f in sorted((work / "out").glob(f"{table}/**/*.parquet")):
            rows += pq.read_table(f).to_pylist()
        tables[table] = rows
    return {"result": result, "built": built, "tables": tables}


def test_record_run_exits_cleanly(record_run: dict) -> None:
    assert_clean_exit(record_run["result"], 0)
    assert len(CASES) + len(RUN_CASES) >= 40


def _rows(tables: dict, table: str, path: Path) -> list[dict]:
    return [r for r in tables[table] if r["warc_path"].endswith(path.name)]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_record(record_run: dict, case: Case) -> None:
    assert record_run["result"].returncode == 0, record_run["result"].stderr[-3000:]
    built: Built = record_run["built"][case.name]
    tables = record_run["tables"]
    docs = _rows(tables, "documents", built.path)
    errors = _rows(tables, "errors", built.path)
    excluded = _rows(tables, "excluded", built.path)
    urls = {r["url"] for r in docs}

    # every good record around the bad one is kept
    if case.whole_file is None:
        assert GOOD_BEFORE.url in urls, (urls, errors, excluded)
        if case.after:
            assert GOOD_AFTER.url in urls, (urls, errors, excluded)

    def in_bad(offset: int | None) -> bool:
        return offset is not None and built.bad_start <= offset < built.bad_end

    # where did the bad record go: errors/ (file + offset + reason), excluded/ (stage + reason) or kept
    bad_errors = [e for e in errors if in_bad(e["offset"])]
    bad_excluded = [e for e in excluded if in_bad(e["offset"])]
    bad_docs = [d for d in docs if in_bad(d["offset"])]
    for e in errors:  # no error may be blamed on a good record
        assert in_bad(e["offset"]), (e, built.bad_start, built.bad_end)
        assert e["reason"] and e["warc_path"]
    described = [f"{e['stage']}/{e['reason']}" for e in bad_excluded]
    if case.expect == "error":
        assert bad_errors, (errors, excluded, [d["url"][:80] for d in docs])
        assert any(case.reason in e["reason"] for e in bad_errors), bad_errors
    elif case.expect == "excluded":
        assert any(case.reason in d for d in described), (described, bad_errors)
    elif case.expect == "dropped":
        assert bad_errors or bad_excluded, ([d["url"][:80] for d in docs], errors, excluded)
        assert not bad_docs
    elif case.expect == "kept":
        assert len(bad_docs) == 1, (bad_errors, described)
        assert case.text_has in bad_docs[0]["text"], bad_docs[0]["text"][:300]
    elif case.expect == "accounted":
        assert len(bad_errors) + len(bad_excluded) + len(bad_docs) <= 1 or case.name.startswith("chunked")
    elif case.expect == "none":
        assert not bad_errors and not bad_excluded
    # whatever was kept is valid text (no lone surrogates, no NULs)
    for d in docs:
        d["text"].encode("utf-8")
        assert "\0" not in d["text"]


# ----------------------------------------------------------------------------------------------- run-level


GOOD_YAML = PIPELINE.replace("{{", "{").replace("}}", "}")


def _yaml(inputs: Path, output: Path, **replace: str) -> str:
    text = (
        GOOD_YAML.replace("{inputs}", str(inputs)).replace("{output}", str(output)).replace("{workers}", "1")
    )
    for old, new in replace.items():
        assert old in text, old
        text = text.replace(old, new)
    return text


def _fifo(path: Path) -> str:
    os.mkfifo(path)
    return str(path)


@dataclass
class RunCase:
    name: str
    yaml: Callable[[Path, Path], str] | None  # (inputs, output) -> pipeline text
    code: int
    message: str
    args: Callable[[Path, Path], list[str]] = lambda i, o: []


RUN_CASES = [
    RunCase("malformed_yaml", lambda i, o: _yaml(i, o) + "stages: [\n  - {step: decode\n", 2, "p.yaml"),
    RunCase("yaml_is_a_list", lambda i, o: "- just\n- a list\n", 2, "p.yaml"),
    RunCase("empty_pipeline_file", lambda i, o: "", 2, "p.yaml"),
    RunCase("unknown_stage", lambda i, o: _yaml(i, o, **{"- step: decode": "- step: decodez"}), 2, "decodez"),
    RunCase(
        "unknown_quality_preset",
        lambda i, o: _yaml(i, o, **{"output:": "  - step: quality\n    preset: nope\noutput:"}),
        2,
        "nope",
    ),
    RunCase(
        "threshold_out_of_range",
        lambda i, o: _yaml(i, o, **{"keep: {ja: 0.5, en: 0.5}": "keep: {ja: 1.5}"}),
        2,
        "1.5",
    ),
    RunCase(
        "unknown_source_kind",
        lambda i, o: _yaml(i, o, **{"kind: commoncrawl": "kind: gopherspace"}),
        2,
        "gopherspace",
    ),
    RunCase("unknown_key", lambda i, o: _yaml(i, o, **{"seed: 0": "seed: 0\nsede: 1"}), 2, "sede"),
    RunCase("wrong_type", lambda i, o: _yaml(i, o, **{"timeout_s: 20": "timeout_s: soon"}), 2, "timeout_s"),
    RunCase("missing_input_files", lambda i, o: _yaml(i / "nowhere", o), 2, "matched no files"),
    RunCase("directory_as_input", lambda i, o: _yaml(i, o), 2, "directory", lambda i, o: ["--input", str(i)]),
    RunCase("missing_pipeline_file", None, 2, "no-such.yaml"),
    # a Common Crawl path list that cannot be read: one line naming the source and the list, at once
    # (an unresolvable host is tried twice, not with minutes of back-off)
    RunCase(
        "path_list_host_unresolvable",
        lambda i, o: _yaml(
            i, o, **{f'paths: ["{i}/*.warc.gz"]': "path_list: https://corpus-builder-test.invalid/p.gz"}
        ),
        2,
        "source cc: cannot read the path list https://corpus-builder-test.invalid/p.gz",
    ),
    RunCase(
        "path_list_missing_file",
        lambda i, o: _yaml(i, o, **{f'paths: ["{i}/*.warc.gz"]': "path_list: no-such-paths.txt"}),
        2,
        "source cc: cannot read the path list",
    ),
    # run-level hostile input (issue 13): each fails at once with one line, before any output
    RunCase(
        "yaml_alias_bomb",
        # on a key the schema checks: the old loader hung in repr() of the 10^9-item value
        lambda i, o: billion_laughs() + _yaml(i, o, **{"seed: 0": "seed: *l8"}),
        2,
        "aliases expand to more than 1,000,000 nodes",
    ),
    RunCase(
        "yaml_duplicate_key",
        lambda i, o: _yaml(i, o, **{"seed: 0": "seed: 0\nname: again"}),
        2,
        "p.yaml:3: duplicate key 'name' (first at ",
    ),
    RunCase("seed_too_large", lambda i, o: _yaml(i, o, **{"seed: 0": "seed: 1e27"}), 2, "seed:"),
    RunCase("seed_negative", lambda i, o: _yaml(i, o, **{"seed: 0": "seed: -5"}), 2, "seed:"),
    RunCase(
        "input_is_a_character_device",
        lambda i, o: _yaml(i, o),
        2,
        "'/dev/zero' is a character device, not a regular file",
        lambda i, o: ["--input", "/dev/zero"],
    ),
    RunCase(
        "input_is_a_fifo",
        lambda i, o: _yaml(i, o),
        2,
        "is a FIFO (named pipe), not a regular file",
        lambda i, o: ["--input", _fifo(o.parent / "pipe.warc.gz")],
    ),
    # exit 1: run/pipeline.py reports an unusable output directory as a RunError (a RunFailedError: exit 1)
    RunCase(
        "output_dir_under_regular_file",
        lambda i, o: _yaml(i, o.parent / "a-file" / "out"),
        1,
        "cannot write to output directory",
    ),
]


@pytest.fixture(scope="module")
def small_inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("small-inputs")
    for index in range(2):
        build_file(folder, index, CASES[0])
    return folder


@pytest.mark.slow
@pytest.mark.parametrize("case", RUN_CASES, ids=[c.name for c in RUN_CASES])
def test_bad_run(case: RunCase, small_inputs: Path, tmp_path: Path) -> None:
    output = tmp_path / "out"
    (tmp_path / "a-file").write_text("I am a file, not a directory\n")
    pipeline = tmp_path / ("no-such.yaml" if case.yaml is None else "p.yaml")
    if case.yaml is not None:
        pipeline.write_text(case.yaml(small_inputs, output))
    result = corpus_build("run", str(pipeline), *case.args(small_inputs, output), timeout=300)
    assert_clean_exit(result, case.code)
    assert case.message in result.stderr, result.stderr
    assert "documents" not in {p.name for p in output.glob("*")} if output.exists() else True


# ----------------------------------------------------------------------------------------------- disk full


def _enospc_on(nth: int, only: str):
    """A DataFolder.open that gives files whose n-th write (counted over the files of `only`) fails."""
    from datatrove.io import DataFolder

    real_open = DataFolder.open
    state = {"writes": 0}

    class Full:
        def __init__(self, f) -> None:
            self._f = f

        def write(self, data) -> int:
            state["writes"] += 1
            if state["writes"] >= nth:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            return self._f.write(data)

        def __getattr__(self, name):
            return getattr(self._f, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return self._f.__exit__(*exc)

    def open_(self, path, mode="rb", *args, **kwargs):
        f = real_open(self, path, mode, *args, **kwargs)
        return Full(f) if "w" in mode and only in path else f

    return open_


@pytest.mark.slow
@pytest.mark.parametrize("nth", [1, 2])
def test_disk_full_fails_cleanly_and_rerun_matches_clean_run(
    nth: int, small_inputs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datatrove.io import DataFolder
    from typer.testing import CliRunner

    from corpus_builder.cli import app

    clean = tmp_path / "clean.yaml"
    clean.write_text(_yaml(small_inputs, tmp_path / "clean"))
    assert corpus_build("run", str(clean), timeout=300).returncode == 0
    pipeline = tmp_path / "p.yaml"
    pipeline.write_text(_yaml(small_inputs, tmp_path / "out"))

    # the second task's writes fail: its first (nth=1) or second (nth=2) write of a data file
    monkeypatch.setattr(DataFolder, "open", _enospc_on(nth, "00001"))
    result = CliRunner().invoke(app, ["run", str(pipeline)])
    monkeypatch.undo()
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), (
        result.exception
    )
    assert result.exit_code == 1, result.output
    assert "No space left on device" in result.output and "task 1" in result.output, result.output
    out = tmp_path / "out"
    assert not (out / "manifest.json").exists()
    finals = [
        p.relative_to(out).as_posix() for p in out.rglob("00001.*") if not p.name.endswith(".inprogress")
    ]
    assert not [p for p in finals if not p.startswith("_logs/")], finals

    # "space freed": the same command resumes and gives the clean run's bytes
    rerun = corpus_build("run", str(pipeline), timeout=300)
    assert_clean_exit(rerun, 0)
    assert not list(out.rglob("*.inprogress"))
    clean_digests = output_digests(tmp_path / "clean")
    assert output_digests(out) == clean_digests
