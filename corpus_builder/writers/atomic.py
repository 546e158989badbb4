"""Write-then-rename for any fsspec filesystem, so no reader ever sees a half-written file; and the
one checksum routine every manifest uses."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

import fsspec
import pyarrow as pa
import pyarrow.parquet as pq
from datatrove.io import DataFolder
from fsspec import AbstractFileSystem

IN_PROGRESS_SUFFIX = ".inprogress"
_CHUNK = 1 << 20


@contextmanager
def atomic_open(fs: AbstractFileSystem, path: str) -> Iterator[IO[bytes]]:
    """Open `path` (on a DataFolder or any fsspec filesystem) for binary writing; it appears under its
    name only if the block completes, and a failed block leaves no temporary file behind."""
    temporary = path + IN_PROGRESS_SUFFIX
    try:
        with fs.open(temporary, "wb") as f:
            yield f
    except BaseException:
        with contextlib.suppress(OSError):
            fs.rm(temporary)
        raise
    fs.mv(temporary, path)


@contextmanager
def atomic_open_url(url: str) -> Iterator[IO[bytes]]:
    """`atomic_open` for a path or fsspec URL, creating its parent folder."""
    fs, path = fsspec.core.url_to_fs(url)
    parent = path.rsplit("/", 1)[0] if "/" in path else ""
    if parent:
        fs.makedirs(parent, exist_ok=True)
    with atomic_open(fs, path) as f:
        yield f


def sha256_and_size(fs: AbstractFileSystem, path: str) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with fs.open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def write_parquet_atomic(
    folder: DataFolder,
    path: str,
    table: pa.Table,
    compression: str = "zstd",
    compression_level: int | None = 3,
) -> None:
    with atomic_open(folder, path) as f:
        pq.write_table(table, f, compression=compression, compression_level=compression_level)
