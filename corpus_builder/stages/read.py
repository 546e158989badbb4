"""Reader step: the records of a task's input file become documents carrying their provenance.

WARC sources yield HTTP bodies (decoded and extracted by later steps); the other source kinds
yield plain text, which skips those steps. Unreadable records become error rows, and reading goes on.
"""

from __future__ import annotations

from collections.abc import Iterator

from datatrove.data import Document, DocumentsPipeline
from datatrove.pipeline.base import PipelineStep

from corpus_builder.contracts.document import LANG_FIXED, PAYLOAD, READ_ERROR, mark_dropped
from corpus_builder.contracts.progress import progress
from corpus_builder.sources.documents import SourceDocument, SourceError
from corpus_builder.sources.kinds import READERS, Record
from corpus_builder.sources.tasks import InputTask
from corpus_builder.sources.warc.record import WarcReadError, WarcRecord


def document_id(warc_path: str, record_id: str | None, offset: int | None) -> str:
    # The WARC-Record-ID is globally unique by the WARC standard; records without one (broken
    # headers) are named by file and offset, which is just as stable across reruns.
    if record_id:
        return record_id.removeprefix("<").removesuffix(">").removeprefix("urn:uuid:")
    return f"{warc_path.rsplit('/', 1)[-1]}@{offset}"


class SourceReader(PipelineStep):
    type = "📖 READER"
    name = "read"

    def __init__(self, tasks: list[InputTask], max_payload_bytes: int) -> None:
        super().__init__()
        self.tasks = tasks
        self.max_payload_bytes = max_payload_bytes

    def run(self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1) -> Iterator[Document]:
        task = self.tasks[rank]
        records = READERS[type(task.config)](task.config, task.path, self.max_payload_bytes)
        read = 0
        for doc in self._documents(task, records):
            read += READ_ERROR not in doc.metadata
            yield doc
            if task.limit is not None and read >= task.limit:
                break  # before pulling the next record, so no record past the limit is read

    def _base(self, task: InputTask) -> dict:
        return {"source": task.source, "snapshot": task.snapshot, "warc_path": task.label}

    def _error(self, task: InputTask, record_id: str | None, offset: int | None, reason: str) -> Document:
        self.stat_update("read_errors")
        progress.add(errors=1)
        doc = Document(
            text="",
            id=document_id(task.label, record_id, offset),
            metadata={**self._base(task), "url": None, "record_id": record_id, "offset": offset},
        )
        doc.metadata[READ_ERROR] = reason
        mark_dropped(doc, "read", reason)
        return doc

    def _documents(self, task: InputTask, records: Iterator[Record]) -> Iterator[Document]:
        last_offset = 0
        for item in records:
            if isinstance(item, (WarcReadError, SourceError)):
                yield self._error(task, item.record_id, item.offset, item.reason)
            elif isinstance(item, WarcRecord):
                yield self._http_document(task, item, read_bytes=max(item.offset - last_offset, 0))
                last_offset = item.offset
            else:
                yield self._text_document(task, item)

    def _http_document(self, task: InputTask, item: WarcRecord, read_bytes: int) -> Document:
        self.stat_update("records")
        # how often the reader had to be lenient (e.g. lenient_status_line) or kept a cut record
        for leniency in item.lenient:
            self.stat_update(leniency)
        if item.truncated:
            self.stat_update("truncated_records")
        progress.add(records=1, bytes=read_bytes)
        return Document(
            text="",
            id=document_id(task.label, item.record_id, item.offset),
            metadata={
                **self._base(task),
                "url": item.target_uri,
                "record_id": item.record_id,
                "offset": item.offset,
                "date": item.date,
                "content_type": item.content_type,
                "identified_type": item.identified_type,
                "http_status": item.http_status,
                "http_charset": item.http_charset,
                "content_language": item.content_language,
                "truncated": item.truncated,
                PAYLOAD: item.payload,
            },
        )

    def _text_document(self, task: InputTask, item: SourceDocument) -> Document:
        self.stat_update("records")
        progress.add(records=1)
        metadata = {
            **self._base(task),
            "url": item.url,
            "record_id": item.record_id,
            "offset": item.offset,
            "date": item.date,
            "lang_hint": item.lang_hint,
            "extra": dict(sorted(item.extra.items())),
        }
        if task.config.fixed_lang:
            metadata |= {"lang": task.config.fixed_lang, "lang_score": 1.0, LANG_FIXED: True}
        return Document(text=item.text, id=item.id, metadata=metadata)
