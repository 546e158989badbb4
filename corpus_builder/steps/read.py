"""Reader step: the records of a task's input file become documents carrying their provenance.

WARC sources yield HTTP bodies (decoded and extracted by later steps); the other source kinds
yield plain text, which skips those steps. Unreadable records become error rows, and reading goes on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from datatrove.data import Document, DocumentsPipeline
from datatrove.pipeline.base import PipelineStep

from corpus_builder.config.sources import SourceConfig
from corpus_builder.executors.progress import progress
from corpus_builder.pipeline.document import LANG_FIXED, PAYLOAD, READ_ERROR, mark_dropped
from corpus_builder.sources import dolma, kaken, pdf, stack, wikipedia
from corpus_builder.sources.documents import SourceDocument, SourceError
from corpus_builder.sources.remote import open_input
from corpus_builder.sources.tasks import InputTask
from corpus_builder.sources.warc.reader import iter_warc
from corpus_builder.sources.warc.record import WarcReadError

#: Source code is not natural language: it keeps this `lang` and skips language ID.
CODE_LANG = "code"

TextRecords = Iterator[SourceDocument | SourceError]


def document_id(warc_path: str, record_id: str | None, offset: int | None) -> str:
    # The WARC-Record-ID is globally unique by the WARC standard; records without one (broken
    # headers) are named by file and offset, which is just as stable across reruns.
    if record_id:
        return record_id.removeprefix("<").removesuffix(">").removeprefix("urn:uuid:")
    return f"{warc_path.rsplit('/', 1)[-1]}@{offset}"


def text_records(config: SourceConfig, path: str) -> TextRecords | None:
    """The plain-text reader of a source kind, or None for kinds read as WARC HTTP bodies."""
    readers: dict[str, Callable[[], TextRecords]] = {
        "wikipedia": lambda: (
            wikipedia.iter_wikipedia_parquet(path, lang=config.lang, open_fn=open_input)
            if config.format == "parquet"
            else wikipedia.iter_wikipedia(
                path,
                namespaces=config.namespaces,
                lang=config.lang,
                keep_headings=config.keep_headings,
                skip_disambiguation=config.skip_disambiguation,
                min_chars=config.min_chars,
                open_fn=open_input,
            )
        ),
        "kaken": lambda: kaken.iter_kaken(
            path, lang=config.lang, types=config.paragraph_types, open_fn=open_input
        ),
        "dolma": lambda: dolma.iter_dolma(path, lang=config.lang),
        "stack": lambda: stack.iter_stack(path, lang=config.lang),
    }
    if config.kind == "warp" and config.content == "pdf":
        return pdf.iter_warc_pdfs(path, open_fn=open_input, max_pages=config.max_pdf_pages)
    make = readers.get(config.kind)
    return make() if make else None


class SourceReader(PipelineStep):
    type = "📖 READER"
    name = "read"

    def __init__(self, tasks: list[InputTask], max_payload_bytes: int) -> None:
        super().__init__()
        self.tasks = tasks
        self.max_payload_bytes = max_payload_bytes

    def run(self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1) -> Iterator[Document]:
        task = self.tasks[rank]
        records = text_records(task.config, task.path)
        documents = self._warc(task) if records is None else self._text(task, records)
        read = 0
        for doc in documents:
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

    def _warc(self, task: InputTask) -> Iterator[Document]:
        last_offset = 0
        for item in iter_warc(task.path, open_fn=open_input, max_payload_bytes=self.max_payload_bytes):
            if isinstance(item, WarcReadError):
                yield self._error(task, item.record_id, item.offset, item.reason)
                continue
            self.stat_update("records")
            # how often the reader had to be lenient (e.g. lenient_status_line) or kept a cut record
            for leniency in item.lenient:
                self.stat_update(leniency)
            if item.truncated:
                self.stat_update("truncated_records")
            progress.add(records=1, bytes=max(item.offset - last_offset, 0))
            last_offset = item.offset
            yield Document(
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

    def _text(self, task: InputTask, records: TextRecords) -> Iterator[Document]:
        for item in records:
            if isinstance(item, SourceError):
                yield self._error(task, item.record_id, item.offset, item.reason)
                continue
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
            if task.config.kind == "stack":
                metadata |= {"lang": CODE_LANG, "lang_score": 1.0, LANG_FIXED: True}
            yield Document(text=item.text, id=item.id, metadata=metadata)
