"""Write-then-rename for any fsspec folder, so no reader ever sees a half-written file."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

import pyarrow as pa
import pyarrow.parquet as pq
from datatrove.io import DataFolder

IN_PROGRESS_SUFFIX = ".inprogress"


@contextmanager
def atomic_open(folder: DataFolder, path: str) -> Iterator[IO[bytes]]:
    """Open `path` for binary writing; it appears under its name only if the block completes."""
    temporary = path + IN_PROGRESS_SUFFIX
    with folder.open(temporary, "wb") as f:
        yield f
    folder.mv(temporary, path)


def write_parquet_atomic(
    folder: DataFolder,
    path: str,
    table: pa.Table,
    compression: str = "zstd",
    compression_level: int | None = 3,
) -> None:
    with atomic_open(folder, path) as f:
        pq.write_table(table, f, compression=compression, compression_level=compression_level)
