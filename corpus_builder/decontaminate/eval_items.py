"""Evaluation items from the user's local files: JSONL, JSON, Parquet, CSV/TSV or plain text.

An item is the text of its configured `fields` joined by line breaks (a field may be a dotted path into
nested objects, ``question.stem``; a list value, e.g. choices, contributes every element; a path
through a list of objects, ``question.choices.text``, collects the field of each). Its id is the
`id_field` value, or the 0-based row index among the file's records when no id field is given.

Plain text (format ``text``): each non-empty line is one item (``text_unit: line``), or each block of
lines separated by blank lines (``text_unit: block``).

Bad input never passes silently: an unreadable file, a malformed row, a missing field, an empty item or
a repeated id raises `EvalItemsError` naming the file, the row (1-based line for text formats) and the
reason. Nothing is downloaded: paths are local files.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

FORMATS = ("jsonl", "json", "parquet", "csv", "tsv", "text")
_SUFFIX_FORMATS = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
    ".parquet": "parquet",
    ".csv": "csv",
    ".tsv": "tsv",
    ".txt": "text",
}


class EvalItemsError(ValueError):
    """A file of evaluation items that cannot be read as configured."""


@dataclass(frozen=True)
class EvalItem:
    item_id: str
    text: str


@dataclass(frozen=True)
class ItemSource:
    """Where a set's items are and which parts of a record make up an item."""

    path: Path
    fields: tuple[str, ...] = ()
    id_field: str | None = None
    # None: from the file suffix (.jsonl .ndjson .json .parquet .csv .tsv .txt)
    format: str | None = None
    text_unit: Literal["line", "block"] = "line"
    # column names for CSV/TSV files without a header row (MMLU and JMMLU ship headerless CSV)
    columns: tuple[str, ...] = ()
    # JSON files: the dotted key holding the list of records (llm-jp-eval's files: "samples")
    records_key: str | None = None
    encoding: str = "utf-8-sig"

    def resolved_format(self) -> str:
        fmt = self.format or _SUFFIX_FORMATS.get(self.path.suffix.lower())
        if fmt not in FORMATS:
            raise EvalItemsError(
                f"{self.path}: cannot tell the format from the name; "
                f"set format to one of {', '.join(FORMATS)}"
            )
        return fmt


def read_items(source: ItemSource) -> Iterator[EvalItem]:
    """The items of `source`, in file order."""
    fmt = source.resolved_format()
    if not source.path.is_file():
        raise EvalItemsError(f"{source.path}: no such file")
    if fmt == "text":
        yield from _unique(source, _text_items(source))
        return
    if not source.fields:
        raise EvalItemsError(f"{source.path}: no fields configured (which fields make up an item?)")
    records = {
        "jsonl": _jsonl_records,
        "json": _json_records,
        "parquet": _parquet_records,
        "csv": _delimited_records,
        "tsv": _delimited_records,
    }[fmt](source)
    items = (_record_item(source, row, where, record) for row, where, record in records)
    yield from _unique(source, items)


def _unique(source: ItemSource, items: Iterable[EvalItem]) -> Iterator[EvalItem]:
    seen: set[str] = set()
    for item in items:
        if item.item_id in seen:
            raise EvalItemsError(f"{source.path}: item id {item.item_id!r} occurs twice")
        seen.add(item.item_id)
        yield item


# ------------------------------------------------------------------------------------------ records


def _record_item(source: ItemSource, row: int, where: str, record: Any) -> EvalItem:
    if not isinstance(record, dict):
        raise EvalItemsError(
            f"{source.path}: {where}: a record must be an object, got {type(record).__name__}"
        )
    parts: list[str] = []
    for name in source.fields:
        parts.extend(_field_texts(source, where, record, name))
    text = "\n".join(part for part in parts if part.strip())
    if not text:
        raise EvalItemsError(f"{source.path}: {where}: the item is empty (fields {', '.join(source.fields)})")
    if source.id_field is None:
        return EvalItem(str(row), text)
    ids = _field_texts(source, where, record, source.id_field)
    if len(ids) != 1 or not ids[0]:
        raise EvalItemsError(f"{source.path}: {where}: id field {source.id_field!r} is not a single value")
    return EvalItem(ids[0], text)


def _field_texts(source: ItemSource, where: str, record: dict, name: str) -> list[str]:
    values = [record]
    for key in name.split("."):
        next_values = []
        for value in values:
            for element in value if isinstance(value, list) else [value]:
                if not isinstance(element, dict) or key not in element:
                    present = (
                        ", ".join(sorted(element)) if isinstance(element, dict) else type(element).__name__
                    )
                    raise EvalItemsError(f"{source.path}: {where}: no field {name!r} (has: {present})")
                next_values.append(element[key])
        values = next_values
    return [text for value in values for text in _texts(source, where, name, value)]


def _texts(source: ItemSource, where: str, name: str, value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, (bool, int, float)):
        return [str(value)]
    if isinstance(value, list):
        return [text for element in value for text in _texts(source, where, name, element)]
    raise EvalItemsError(
        f"{source.path}: {where}: field {name!r} holds {type(value).__name__}; name a text field inside it"
    )


def _jsonl_records(source: ItemSource) -> Iterator[tuple[int, str, Any]]:
    row = 0
    for number, line in _decoded_lines(source):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise EvalItemsError(f"{source.path}: line {number}: not JSON ({exc.msg})") from None
        yield row, f"line {number}", record
        row += 1


def _json_records(source: ItemSource) -> Iterator[tuple[int, str, Any]]:
    raw = source.path.read_bytes()
    try:
        data = json.loads(raw.decode(source.encoding))
    except json.JSONDecodeError as exc:
        raise EvalItemsError(f"{source.path}: line {exc.lineno}: not JSON ({exc.msg})") from None
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise EvalItemsError(f"{source.path}: line {line}: not {source.encoding} ({exc.reason})") from None
    for key in source.records_key.split(".") if source.records_key else []:
        if not isinstance(data, dict) or key not in data:
            raise EvalItemsError(f"{source.path}: no key {source.records_key!r} holding the records")
        data = data[key]
    if not isinstance(data, list):
        hint = "" if source.records_key else " (set records_key to the key of the list)"
        raise EvalItemsError(f"{source.path}: the records are not a JSON list{hint}")
    for row, record in enumerate(data):
        yield row, f"record {row}", record


def _parquet_records(source: ItemSource) -> Iterator[tuple[int, str, Any]]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(source.path)
    except (pa.ArrowException, OSError) as exc:
        raise EvalItemsError(f"{source.path}: not a readable Parquet file ({exc})") from None
    wanted = {name.split(".")[0] for name in (*source.fields, source.id_field) if name}
    missing = wanted - set(parquet.schema_arrow.names)
    if missing:
        raise EvalItemsError(
            f"{source.path}: no column {', '.join(sorted(missing))} "
            f"(has: {', '.join(parquet.schema_arrow.names)})"
        )
    row = 0
    try:
        for batch in parquet.iter_batches(columns=sorted(wanted), batch_size=4096):
            for record in batch.to_pylist():
                yield row, f"row {row}", record
                row += 1
    except (pa.ArrowException, OSError) as exc:
        raise EvalItemsError(f"{source.path}: row {row}: unreadable ({exc})") from None


def _delimited_records(source: ItemSource) -> Iterator[tuple[int, str, Any]]:
    delimiter = "\t" if source.resolved_format() == "tsv" else ","
    # fed line by line so a quoted field may span lines and errors carry the exact line number
    reader = csv.reader((line for _, line in _decoded_lines(source)), delimiter=delimiter, strict=True)
    try:
        header = list(source.columns) or next(reader, None)
        if not header:
            raise EvalItemsError(f"{source.path}: empty file (no header row)")
        row = 0
        for values in reader:
            if not values:
                continue
            where = f"line {reader.line_num}"
            if len(values) != len(header):
                raise EvalItemsError(
                    f"{source.path}: {where}: {len(values)} columns, the header has {len(header)}"
                )
            yield row, where, dict(zip(header, values, strict=True))
            row += 1
    except csv.Error as exc:
        raise EvalItemsError(f"{source.path}: line {reader.line_num}: {exc}") from None


def _text_items(source: ItemSource) -> Iterator[EvalItem]:
    if source.text_unit not in ("line", "block"):
        raise EvalItemsError(f"{source.path}: text_unit must be 'line' or 'block', not {source.text_unit!r}")
    row, block = 0, []
    for _, line in _decoded_lines(source):
        text = line.rstrip("\r\n")
        if source.text_unit == "line" and text.strip():
            yield EvalItem(str(row), text)
            row += 1
        elif source.text_unit == "block" and text.strip():
            block.append(text)
        elif block:
            yield EvalItem(str(row), "\n".join(block))
            row, block = row + 1, []
    if block:
        yield EvalItem(str(row), "\n".join(block))


def _decoded_lines(source: ItemSource) -> Iterator[tuple[int, str]]:
    """(1-based line number, line with its ending) of a text file, decoded one line at a time so that
    an undecodable byte is reported on its own line."""
    with source.path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                yield number, raw.decode(source.encoding if number == 1 else _without_bom(source.encoding))
            except UnicodeDecodeError as exc:
                raise EvalItemsError(
                    f"{source.path}: line {number}: not {source.encoding} ({exc.reason})"
                ) from None


def _without_bom(encoding: str) -> str:
    return "utf-8" if encoding.lower().replace("_", "-") == "utf-8-sig" else encoding
