"""`corpus-build inspect`: what is in a Parquet output, at a glance."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq

_SAMPLE_CHARS = 160


class InspectError(Exception):
    pass


def _files(path: str) -> list[Path]:
    target = Path(path)
    if target.is_file():
        return [target]
    if not target.is_dir():
        raise InspectError(f"{path}: no such file or directory")
    # Folders named _x or work hold a phase's intermediate files, not corpus output.
    files = sorted(
        p
        for p in target.rglob("*.parquet")
        if not any(part.startswith("_") or part == "work" for part in p.relative_to(target).parts)
    )
    if not files:
        raise InspectError(f"{path}: no Parquet files")
    return files


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
        elif folder == "excluded" and file.name.startswith("dedup-"):
            folder = "excluded (dedup)"
        elif folder == "documents":
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
                shown = {
                    k: v for k, v in row.items() if k not in ("text", "quality_signals") and v is not None
                }
                lines.append(f"  {shown}")
                if row.get("text"):
                    text = " ".join(str(row["text"]).split())
                    lines.append(
                        f"    text: {text[:_SAMPLE_CHARS]}{'…' if len(text) > _SAMPLE_CHARS else ''}"
                    )
        lines.append("")
    return "\n".join(lines).rstrip()
