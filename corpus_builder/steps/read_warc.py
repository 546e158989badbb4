"""Reader step: WARC records of the task's file become documents carrying their provenance."""

from __future__ import annotations

from collections.abc import Iterator

from datatrove.data import Document, DocumentsPipeline
from datatrove.pipeline.base import PipelineStep

from corpus_builder.executors.progress import progress
from corpus_builder.pipeline.document import PAYLOAD, READ_ERROR, mark_dropped
from corpus_builder.sources.remote import open_input
from corpus_builder.sources.tasks import InputTask
from corpus_builder.sources.warc import WarcReadError, iter_warc


def document_id(warc_path: str, record_id: str | None, offset: int | None) -> str:
    # The WARC-Record-ID is globally unique by the WARC standard; records without one (broken
    # headers) are named by file and offset, which is just as stable across reruns.
    if record_id:
        return record_id.removeprefix("<").removesuffix(">").removeprefix("urn:uuid:")
    return f"{warc_path.rsplit('/', 1)[-1]}@{offset}"


class WarcReader(PipelineStep):
    type = "📖 READER"
    name = "warc"

    def __init__(self, tasks: list[InputTask], max_payload_bytes: int) -> None:
        super().__init__()
        self.tasks = tasks
        self.max_payload_bytes = max_payload_bytes

    def run(self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1) -> Iterator[Document]:
        task = self.tasks[rank]
        base = {"source": task.source, "snapshot": task.snapshot, "warc_path": task.label}
        records = 0
        last_offset = 0
        for item in iter_warc(task.path, open_fn=open_input, max_payload_bytes=self.max_payload_bytes):
            if isinstance(item, WarcReadError):
                self.stat_update("read_errors")
                progress.add(errors=1)
                doc = Document(
                    text="",
                    id=document_id(task.label, item.record_id, item.offset),
                    metadata={**base, "url": None, "record_id": item.record_id, "offset": item.offset},
                )
                doc.metadata[READ_ERROR] = item.reason
                mark_dropped(doc, "read", item.reason)
                yield doc
                continue
            if task.limit is not None and records >= task.limit:
                break
            records += 1
            self.stat_update("records")
            progress.add(records=1, bytes=max(item.offset - last_offset, 0))
            last_offset = item.offset
            doc = Document(
                text="",
                id=document_id(task.label, item.record_id, item.offset),
                metadata={
                    **base,
                    "url": item.target_uri,
                    "record_id": item.record_id,
                    "offset": item.offset,
                    "date": item.date,
                    "content_type": item.content_type,
                    "http_charset": item.http_charset,
                    "content_language": item.content_language,
                    "truncated": item.truncated,
                    PAYLOAD: item.payload,
                },
            )
            yield doc
