"""How a document carries its state between steps.

A step never discards a document it rejects: it marks it dropped and passes it on, so the one
writer at the end of the pipeline sends kept documents, excluded documents and unreadable records
to their outputs in a single, atomically committed pass per task. Later steps pass marked documents
through untouched.
"""

from __future__ import annotations

from datatrove.data import Document

DROP_STAGE = "drop_stage"
DROP_REASON = "drop_reason"
READ_ERROR = "read_error"
PAYLOAD = "payload"  # raw HTTP body (bytes) until decoding
HTML = "html"  # decoded page (str) until extraction
LANG_FIXED = "lang_fixed"  # the reader set `lang` (e.g. source code); language ID leaves it alone


def mark_dropped(doc: Document, stage: str, reason: str) -> None:
    doc.metadata[DROP_STAGE] = stage
    doc.metadata[DROP_REASON] = reason
    # Large intermediate payloads are not needed downstream of a drop.
    doc.metadata.pop(PAYLOAD, None)
    doc.metadata.pop(HTML, None)


def is_dropped(doc: Document) -> bool:
    return DROP_REASON in doc.metadata
