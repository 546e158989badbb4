"""What a WARC read yields: :class:`WarcRecord` / :class:`WarcReadError`, and how a framed record
(:class:`RawRecord`) becomes one: WARC header checks, then the HTTP head and body (status line, chunked
coding, Content-Encoding with its bomb check, the ``max_payload_bytes`` cut)."""

from __future__ import annotations

from dataclasses import dataclass, field

from corpus_builder.sources.http_body import dechunk, decode_content, looks_like_text, parse_head
from corpus_builder.sources.warc.headers import MAX_HEADER

__all__ = ["WarcRecord", "WarcReadError", "RawRecord", "build_record"]


@dataclass(slots=True)
class WarcRecord:
    warc_path: str
    offset: int
    record_id: str
    record_type: str
    target_uri: str
    date: str
    http_status: int | None
    content_type: str | None
    http_charset: str | None
    content_language: str | None
    payload: bytes
    truncated: str | None
    identified_type: str | None = None  # WARC-Identified-Payload-Type: media type detected from the bytes
    lenient: tuple[str, ...] = ()  # leniencies applied to read this record, as stat names (see read step)


@dataclass(slots=True)
class WarcReadError:
    warc_path: str
    offset: int | None
    record_id: str | None
    reason: str


_BOMB_RATIO = 100


@dataclass(slots=True)
class RawRecord:
    """One framed WARC record before HTTP parsing."""

    offset: int
    headers: dict[str, str]  # lower-cased names; first occurrence wins
    block: bytes  # at most max_payload_bytes + BLOCK_SLACK bytes of the block
    block_cut: bool  # block was longer than what we kept
    lenient: list[str] = field(default_factory=list)  # leniencies applied, as stat names


def _split_content_type(value: str | None) -> tuple[str | None, str | None]:
    if not value:
        return None, None
    parts = value.split(";")
    mime = parts[0].strip().lower() or None
    charset = None
    for p in parts[1:]:
        k, _, v = p.partition("=")
        if k.strip().lower() == "charset":
            charset = v.strip().strip("\"'").lower() or None
    return mime, charset


def build_record(raw: RawRecord, path: str, max_payload: int) -> WarcRecord | WarcReadError:
    h = raw.headers
    rid = h.get("warc-record-id")
    rid_clean = rid.strip().strip("<>") if rid else None
    if not rid_clean:
        return WarcReadError(path, raw.offset, None, "missing WARC-Record-ID header")
    rtype = h.get("warc-type")
    if not rtype:
        return WarcReadError(path, raw.offset, rid_clean, "missing WARC-Type header")
    truncated = h.get("warc-truncated") or None
    block = raw.block
    http_status = content_type = charset = language = None
    cut = raw.block_cut
    warc_ct = h.get("content-type", "")
    is_http = block[:5] == b"HTTP/" and (rtype in ("response", "revisit") or "application/http" in warc_ct)
    lenient = list(raw.lenient)
    if is_http:
        head = parse_head(block, MAX_HEADER)
        if isinstance(head, str):
            if head == "HTTP header too long" and not raw.block_cut and len(block) < MAX_HEADER:
                head = "truncated HTTP header"
            return WarcReadError(path, raw.offset, rid_clean, head)
        http_status = head.status
        lenient += head.lenient
        hh = head.fields
        content_type, charset = _split_content_type(hh.get("content-type"))
        language = hh.get("content-language") or None
        body = block[head.body_start :]
        if "chunked" in hh.get("transfer-encoding", "").lower():
            dechunked = dechunk(body, max_payload)
            if dechunked is not None:
                body, complete = dechunked
                if not complete and not truncated:
                    truncated = "disconnect"  # the chunked body ends before its last chunk
        enc = hh.get("content-encoding", "").strip()
        if enc and enc.lower() != "identity":
            decoded = decode_content(body, enc, max_payload)
            if isinstance(decoded, str):
                if not looks_like_text(body):
                    return WarcReadError(path, raw.offset, rid_clean, decoded)
                # the header lies: the body is plain text (a writer stored it decoded), kept as warcio does
                lenient.append("content_encoding_not_applied")
            else:
                if len(decoded.data) > max_payload:
                    if len(decoded.data) > _BOMB_RATIO * max(decoded.consumed, 1):
                        return WarcReadError(
                            path,
                            raw.offset,
                            rid_clean,
                            f"payload decompression bomb (>{max_payload} bytes from {len(body)})",
                        )
                    cut = True
                elif not decoded.complete and not truncated:
                    truncated = "disconnect"  # the encoded body stops mid-stream
                body = decoded.data
    else:
        content_type, charset = _split_content_type(warc_ct or None)
        body = block
    if len(body) > max_payload:
        body = body[:max_payload]
        cut = True
    if cut and not truncated:
        truncated = "length"
    return WarcRecord(
        warc_path=path,
        offset=raw.offset,
        record_id=rid_clean,
        record_type=rtype,
        target_uri=h.get("warc-target-uri", "").strip("<>"),
        date=h.get("warc-date", ""),
        http_status=http_status,
        content_type=content_type,
        http_charset=charset,
        content_language=language,
        payload=bytes(body),
        truncated=truncated,
        lenient=tuple(lenient),
        identified_type=(h.get("warc-identified-payload-type") or "").split(";")[0].strip().lower() or None,
    )
