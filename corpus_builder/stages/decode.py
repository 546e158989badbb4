"""Decode step: HTTP body bytes → HTML string, recording the charset and how it was chosen."""

from __future__ import annotations

from datatrove.data import Document

from corpus_builder.config.stages import DecodeStage
from corpus_builder.contracts.document import HTML, PAYLOAD
from corpus_builder.stages.base import DocumentStep
from corpus_builder.text.decode.chain import decode_html

_HTML_TYPES = {"text/html", "application/xhtml+xml", "text/xml", "application/xml"}
_SNIFF_BYTES = 1024


def looks_binary(payload: bytes) -> bool:
    # NUL bytes do not occur in HTML in any ASCII-compatible charset; UTF-16/32 pages carry a BOM,
    # which the decoder handles, so only BOM-less bodies are judged here.
    head = payload[:_SNIFF_BYTES]
    if head.startswith((b"\xff\xfe", b"\xfe\xff", b"\xef\xbb\xbf")):
        return False
    return head.count(0) > 0


class HtmlDecoder(DocumentStep):
    type = "🔤 DECODE"
    name = "decode"
    stage = "decode"

    def __init__(self, config: DecodeStage, base_dir: str | None = None) -> None:
        super().__init__()
        self.max_payload_bytes = config.max_payload_bytes
        self.use_identified_type = config.use_identified_type

    def applies(self, doc: Document) -> bool:
        return PAYLOAD in doc.metadata

    def process(self, doc: Document) -> str | None:
        payload: bytes = doc.metadata.pop(PAYLOAD, b"")
        status = doc.metadata.get("http_status")
        if status is not None and not 200 <= status < 300:
            # error pages, redirects, "not modified": their body is not the page the URL names
            return f"http_status_{status}"
        identified = doc.metadata.get("identified_type") if self.use_identified_type else None
        media_type = identified or doc.metadata.get("content_type")
        if media_type and media_type not in _HTML_TYPES:
            if identified:
                self.stat_update(f"identified_type.{identified}")
            return "not_html"
        if not payload.strip():
            return "empty_payload"
        if len(payload) > self.max_payload_bytes:
            return "payload_too_large"
        if looks_binary(payload):
            return "binary_payload"
        page = decode_html(payload, doc.metadata.get("http_charset"))
        doc.metadata[HTML] = page.text
        doc.metadata["charset"] = page.charset
        doc.metadata["charset_method"] = page.method
        self.stat_update(f"charset.{page.charset}")
        return None
