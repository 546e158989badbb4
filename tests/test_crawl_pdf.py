"""PDF text from crawled WARC records: a PDF written here byte by byte, served on 127.0.0.1."""

from __future__ import annotations

import asyncio
from pathlib import Path

from corpus_builder.acquire.crawl_settings import CrawlSettings
from corpus_builder.acquire.crawler import crawl_async
from corpus_builder.sources.documents import SourceDocument, SourceError
from corpus_builder.sources.pdf import PdfTextError, iter_warc_pdfs, pdf_to_text
from tests.test_crawler import Server


def make_pdf(lines: list[str]) -> bytes:
    """A minimal one-page PDF with Helvetica text (ASCII), cross-reference offsets computed."""
    ops = ["BT", "/F1 12 Tf", "72 720 Td", "14 TL"]
    for ln in lines:
        ops.append(f"({ln}) Tj T*")
    ops.append("ET")
    stream = "\n".join(ops).encode()
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return bytes(out)


def test_pdf_to_text() -> None:
    text = pdf_to_text(make_pdf(["Hello PDF world.", "Second line here."]))
    assert "Hello PDF world." in text and "Second line here." in text
    for bad in (b"<html>", b"%PDF-1.4\n garbage", make_pdf([])):
        try:
            pdf_to_text(bad)
        except PdfTextError:
            pass
        else:  # pragma: no cover
            raise AssertionError(bad[:20])


def test_crawled_pdf_becomes_document(tmp_path: Path) -> None:
    pdf = make_pdf(["Research report on corpora."])
    with Server(robots=None) as srv:
        srv.extra["/doc.pdf"] = (pdf, "application/pdf")
        srv.extra["/cut.pdf"] = (pdf + b" " * 5000, "application/pdf")
        urls = [srv.url("/doc.pdf"), srv.url("/cut.pdf"), srv.url("/page/1")]
        settings = CrawlSettings(
            allow_networks=["127.0.0.1/32"], per_host_delay_s=0, max_body_bytes=len(pdf) + 100
        )
        summary = asyncio.run(crawl_async(urls, tmp_path / "out", settings))
        items = [it for f in summary.warc_files for it in iter_warc_pdfs(str(tmp_path / "out" / f))]
    docs = [i for i in items if isinstance(i, SourceDocument)]
    errs = [i for i in items if isinstance(i, SourceError)]
    assert len(docs) == 1 and "Research report on corpora." in docs[0].text
    assert docs[0].url == srv.url("/doc.pdf") and docs[0].extra["extractor"] == "pypdf"
    assert len(errs) == 1 and "truncated" in errs[0].reason
