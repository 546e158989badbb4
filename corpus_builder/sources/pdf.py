"""Text of PDF responses (crawled WARC records or files) with pypdf (pure Python).

* :func:`pdf_to_text` -- bytes of a PDF -> plain text, pages joined by blank lines; bounded by ``max_pages``
  and ``max_chars``; raises :class:`PdfTextError` for encrypted, broken or image-only (no text) PDFs.
* :func:`is_pdf_record` / :func:`pdf_record_to_document` -- what the WARC path can call for a record whose
  ``Content-Type`` is ``application/pdf`` (or whose payload starts with ``%PDF-``).
* :func:`iter_warc_pdfs` -- a reader over a WARC file that yields only its PDF responses as documents.

Policy: only HTTP 200 responses (or ``resource`` records); a record cut by the crawler/WARC writer
(``WARC-Truncated``) is an error, not a document -- a PDF's cross-reference table is at its end, so the
head of a PDF is not a reliable partial text.  pypdf's own warnings are silenced; its failures become
``SourceError`` rows with the reason.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Callable, Iterator
from typing import BinaryIO

from corpus_builder.sources.documents import SourceDocument, SourceError
from corpus_builder.sources.warc.reader import iter_warc
from corpus_builder.sources.warc.record import WarcReadError, WarcRecord

__all__ = ["PdfTextError", "pdf_to_text", "is_pdf_record", "pdf_record_to_document", "iter_warc_pdfs"]

_SPACES = re.compile(r"[ \t\u3000]+")
_BLANKS = re.compile(r"\n{3,}")


class PdfTextError(ValueError):
    pass


def pdf_to_text(data: bytes, *, max_pages: int = 500, max_chars: int = 2_000_000) -> str:
    """Extract the text layer of a PDF; raises PdfTextError when there is none or it cannot be read."""
    import pypdf

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    if not data.lstrip()[:5] == b"%PDF-":
        raise PdfTextError("not a PDF (no %PDF- header)")
    try:
        reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            try:
                if not reader.decrypt(""):
                    raise PdfTextError("encrypted PDF")
            except Exception as e:  # pypdf raises various errors for unsupported encryption
                raise PdfTextError(f"encrypted PDF: {e}") from e
        pages: list[str] = []
        total = 0
        for i, page in enumerate(reader.pages):
            if i >= max_pages:
                break
            text = page.extract_text() or ""
            text = "\n".join(_SPACES.sub(" ", ln).strip() for ln in text.splitlines())
            pages.append(text.strip())
            total += len(text)
            if total >= max_chars:
                break
    except PdfTextError:
        raise
    except Exception as e:  # pypdf errors are many and version-dependent
        raise PdfTextError(f"unreadable PDF: {type(e).__name__}: {e}") from e
    out = _BLANKS.sub("\n\n", "\n\n".join(p for p in pages if p)).strip()[:max_chars]
    if not out:
        raise PdfTextError("PDF has no text layer (scanned images?)")
    return out


def is_pdf_record(record: WarcRecord) -> bool:
    return record.content_type == "application/pdf" or record.payload[:5] == b"%PDF-"


def _doc_id(record: WarcRecord) -> str:
    return record.record_id.removeprefix("<").removesuffix(">").removeprefix("urn:uuid:")


def pdf_record_to_document(record: WarcRecord, *, max_pages: int = 500) -> SourceDocument | SourceError:
    """A PDF WARC record as a document (id = the WARC record's UUID, like HTML records)."""
    if record.record_type == "response" and record.http_status != 200:
        return SourceError(
            record.warc_path, record.offset, record.record_id, f"PDF response with HTTP {record.http_status}"
        )
    if record.truncated:
        return SourceError(
            record.warc_path,
            record.offset,
            record.record_id,
            f"PDF truncated ({record.truncated}) at {len(record.payload)} bytes",
        )
    try:
        text = pdf_to_text(record.payload, max_pages=max_pages)
    except PdfTextError as e:
        return SourceError(record.warc_path, record.offset, record.record_id, str(e))
    return SourceDocument(
        id=_doc_id(record),
        text=text,
        url=record.target_uri or None,
        source_path=record.warc_path,
        record_id=record.record_id,
        offset=record.offset,
        date=record.date or None,
        lang_hint=None,
        extra={"content_type": "application/pdf", "extractor": "pypdf"},
    )


def iter_warc_pdfs(
    path: str,
    *,
    open_fn: Callable[[str], BinaryIO] | None = None,
    max_payload_bytes: int = 50_000_000,
    max_pages: int = 500,
) -> Iterator[SourceDocument | SourceError]:
    """The PDF responses of a WARC file as documents; unreadable WARC records and PDFs as errors."""
    for item in iter_warc(path, open_fn=open_fn, max_payload_bytes=max_payload_bytes):
        if isinstance(item, WarcReadError):
            yield SourceError(item.warc_path, item.offset, item.record_id, item.reason)
        elif is_pdf_record(item):
            yield pdf_record_to_document(item, max_pages=max_pages)
