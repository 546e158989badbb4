"""The one writer at the end of every pipeline: kept, excluded and unreadable records of a task.

Files are written under temporary names and renamed into place only after the task's last record,
so a killed task leaves no file that looks finished; its rerun rewrites the same names with the
same bytes. A small JSON of counts per task feeds the run manifest.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
from datatrove.data import Document, DocumentsPipeline
from datatrove.io import DataFolder, get_datafolder
from datatrove.pipeline.base import PipelineStep

from corpus_builder.config.pipeline import OutputConfig
from corpus_builder.contracts import outputs
from corpus_builder.contracts.document import DROP_REASON, DROP_STAGE, READ_ERROR
from corpus_builder.contracts.progress import progress
from corpus_builder.writers.atomic import IN_PROGRESS_SUFFIX, atomic_open
from corpus_builder.writers.schema import DOCUMENT_SCHEMA, ERROR_SCHEMA, EXCLUDED_SCHEMA


def task_file(table: str, rank: int, lang: str | None = None) -> str:
    if table == outputs.DOCUMENTS:
        return outputs.by_language(outputs.DOCUMENTS, lang, f"{rank:05d}")
    return f"{table}/{rank:05d}.parquet"


class _TableWriter:
    """Row buffer → row groups of one Parquet file, opened lazily so empty tables leave no file."""

    def __init__(self, folder: DataFolder, path: str, schema: pa.Schema, config: OutputConfig) -> None:
        self.folder, self.path, self.schema, self.config = folder, path, schema, config
        self.rows: list[dict[str, Any]] = []
        self.count = 0
        self._file = None
        self._writer: pq.ParquetWriter | None = None

    def append(self, row: dict[str, Any]) -> None:
        self.rows.append(row)
        self.count += 1
        if len(self.rows) >= self.config.row_group_rows:
            self._flush()

    def _flush(self) -> None:
        if not self.rows:
            return
        if self._writer is None:
            self._file = self.folder.open(self.path + IN_PROGRESS_SUFFIX, "wb")
            compression = None if self.config.compression == "none" else self.config.compression
            self._writer = pq.ParquetWriter(
                self._file,
                self.schema,
                compression=compression,
                compression_level=self.config.compression_level if compression in ("zstd", "gzip") else None,
            )
        self._writer.write_table(pa.Table.from_pylist(self.rows, schema=self.schema))
        self.rows = []

    def commit(self) -> None:
        self._flush()
        if self._writer is None:
            return
        self._writer.close()
        self._file.close()
        self.folder.mv(self.path + IN_PROGRESS_SUFFIX, self.path)


def _provenance(doc: Document) -> dict[str, Any]:
    meta = doc.metadata
    return {
        "id": doc.id,
        "source": meta["source"],
        "url": meta.get("url"),
        "snapshot": meta.get("snapshot"),
        "warc_path": meta["warc_path"],
        "record_id": meta.get("record_id"),
        "offset": meta.get("offset"),
        "date": meta.get("date"),
    }


def _extra_value(value: Any) -> str:
    return ",".join(str(v) for v in value) if isinstance(value, (list, tuple)) else str(value)


def _extra(doc: Document) -> list[dict[str, str]] | None:
    extra = doc.metadata.get("extra")
    return [{"key": key, "value": _extra_value(value)} for key, value in extra.items()] if extra else None


def _signals(doc: Document) -> list[dict[str, float]] | None:
    signals = doc.metadata.get("quality_signals")
    return [{"key": key, "value": value} for key, value in signals.items()] if signals else None


class CorpusParquetWriter(PipelineStep):
    type = "💽 WRITER"
    name = "parquet"

    def __init__(self, output_dir: str, config: OutputConfig, unrecorded_stages: frozenset[str]) -> None:
        super().__init__()
        self.output_dir = output_dir
        self.config = config
        self.unrecorded_stages = unrecorded_stages

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> Iterator[Document]:
        folder = get_datafolder(self.output_dir)
        tables: dict[str, _TableWriter] = {}
        counts: Counter[str] = Counter()
        chars: Counter[str] = Counter()

        def table(name: str, schema: pa.Schema, lang: str | None = None) -> _TableWriter:
            path = task_file(name, rank, lang)
            if path not in tables:
                tables[path] = _TableWriter(folder, path, schema, self.config)
            return tables[path]

        for doc in data:
            meta = doc.metadata
            source = meta["source"]
            if READ_ERROR in meta:
                counts[f"errors|{source}"] += 1
                table(outputs.ERRORS, ERROR_SCHEMA).append(
                    {
                        "source": source,
                        "warc_path": meta["warc_path"],
                        "offset": meta.get("offset"),
                        "record_id": meta.get("record_id"),
                        "reason": meta[READ_ERROR],
                    }
                )
            elif DROP_REASON in meta:
                stage, reason = meta[DROP_STAGE], meta[DROP_REASON]
                counts[f"excluded|{source}|{stage}|{reason}"] += 1
                chars[f"excluded|{source}|{stage}|{reason}"] += len(doc.text)
                # The same drop by language ("und": dropped before language ID), for the funnel.
                by_lang = f"excluded_by_language|{source}|{meta.get('lang') or 'und'}|{stage}|{reason}"
                counts[by_lang] += 1
                chars[by_lang] += len(doc.text)
                progress.add(excluded=1)
                if stage in self.unrecorded_stages:
                    continue
                row = _provenance(doc) | {
                    "stage": stage,
                    "reason": reason,
                    "lang": meta.get("lang"),
                    "lang_score": meta.get("lang_score"),
                    "text": doc.text[: self.config.excluded_text_chars] if doc.text else None,
                    "text_chars": len(doc.text),
                    "quality_signals": _signals(doc),
                    "extra": _extra(doc),
                }
                table(outputs.EXCLUDED, EXCLUDED_SCHEMA).append(row)
            else:
                lang = meta["lang"]
                counts[f"kept|{source}|{lang}"] += 1
                chars[f"kept|{source}|{lang}"] += len(doc.text)
                self.stat_update(f"kept.{lang}")
                progress.add(kept=1)
                row = _provenance(doc) | {
                    "text": doc.text,
                    "lang": lang,
                    "lang_score": meta["lang_score"],
                    "charset": meta.get("charset"),
                    "charset_method": meta.get("charset_method"),
                    "extractor": meta.get("extractor"),
                    "quality_signals": _signals(doc),
                    "extra": _extra(doc),
                }
                table(outputs.DOCUMENTS, DOCUMENT_SCHEMA, lang).append(row)
            yield doc

        for writer in tables.values():
            writer.commit()
        summary = {
            "rank": rank,
            "counts": dict(sorted(counts.items())),
            "chars": dict(sorted(chars.items())),
            "files": {path: writer.count for path, writer in sorted(tables.items())},
        }
        with atomic_open(folder, f"{outputs.COUNTS}/{rank:05d}.json") as f:
            f.write(orjson.dumps(summary, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2))
        progress.flush()
