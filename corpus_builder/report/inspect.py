"""`corpus-build inspect`: what is in a Parquet output, at a glance."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from corpus_builder.contracts import outputs
from corpus_builder.contracts.errors import BadInputError
from corpus_builder.writers.schema import as_dict

_SAMPLE_CHARS = 160
# Sample rows show the head of long lists (input_ids, MinHash bands) and of long integers (hashes):
# enough to see the kind of value without a screenful of numbers.
_SAMPLE_ITEMS = 8
_SAMPLE_DIGITS = 12


class InspectError(BadInputError):
    pass


def _files(path: str) -> list[Path]:
    target = Path(path)
    if target.is_file():
        return [target]
    if not target.is_dir():
        raise InspectError(f"{path}: no such file or directory")
    # _logs/ and dedup's scratch folder hold a phase's intermediate files, not corpus output.
    scratch = outputs.DEDUP_WORK.rsplit("/", 1)[1]
    files = sorted(
        p
        for p in target.rglob("*.parquet")
        if not any(part.startswith("_") or part == scratch for part in p.relative_to(target).parts)
    )
    if not files:
        raise InspectError(f"{path}: no Parquet files")
    return files


def _short(value: Any) -> Any:
    """A sample cell with long lists cut to their first items and long integers to their first digits."""
    if isinstance(value, list):
        head = [_short(v) for v in value[:_SAMPLE_ITEMS]]
        return head + [f"… {len(value):,} items"] if len(value) > _SAMPLE_ITEMS else head
    if isinstance(value, dict):
        return {k: _short(v) for k, v in value.items()}
    if isinstance(value, int) and not isinstance(value, bool) and len(str(abs(value))) > _SAMPLE_DIGITS:
        return f"{str(value)[:_SAMPLE_DIGITS]}…({len(str(abs(value)))} digits)"
    return value


def describe(path: str, sample_rows: int = 3) -> str:
    files = _files(path)
    lines: list[str] = []
    by_table: dict[str, list[Path]] = {}
    root = Path(path) if Path(path).is_dir() else Path(path).parent
    for file in files:
        # Tables written by the document phase name themselves; later phases go by their folder.
        relative = file.relative_to(root).parts
        folder = relative[0] if len(relative) > 1 else file.stem
        if folder == "dedup" and len(relative) > 2:
            folder = "/".join(relative[:2])  # dedup/clusters, dedup/index
        elif folder == outputs.EXCLUDED and file.name.startswith("dedup-"):
            folder = "excluded (dedup)"
        elif folder == outputs.DOCUMENTS:
            folder = (pq.read_schema(file).metadata or {}).get(b"corpus_builder.table", b"documents").decode()
        by_table.setdefault(folder, []).append(file)
    for table, table_files in sorted(by_table.items()):
        schema = pq.read_schema(table_files[0])
        total = sum(pq.ParquetFile(f).metadata.num_rows for f in table_files)
        lines.append(f"== {table}: {total:,} rows in {len(table_files)} file(s)")
        lines.append("schema: " + ", ".join(f"{f.name}:{f.type}" for f in schema))
        group_by = [c for c in ("source", "lang", "stage", "reason") if c in schema.names]
        counts: Counter[tuple] = Counter()
        for file in table_files:
            present = [c for c in group_by if c in pq.read_schema(file).names]
            data = pq.read_table(file, columns=present)
            columns = [
                data.column(c).to_pylist() if c in present else [None] * data.num_rows for c in group_by
            ]
            counts.update(zip(*columns, strict=True))
        if group_by:
            lines.append("counts by " + "/".join(group_by) + ":")
            for key, count in sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0]))):
                lines.append(f"  {' / '.join(str(k) for k in key)}: {count:,}")
        if sample_rows:
            sample = pq.read_table(table_files[0]).slice(0, sample_rows)
            lines.append(f"sample rows ({table_files[0].name}):")
            for row in sample.to_pylist():
                if row.get("extra"):
                    row["extra"] = as_dict(row["extra"])
                shown = {
                    k: _short(v)
                    for k, v in row.items()
                    if k not in ("text", "quality_signals") and v is not None
                }
                lines.append(f"  {shown}")
                if row.get("text"):
                    text = " ".join(str(row["text"]).split())
                    lines.append(
                        f"    text: {text[:_SAMPLE_CHARS]}{'…' if len(text) > _SAMPLE_CHARS else ''}"
                    )
        lines.append("")
    return "\n".join(lines).rstrip()
