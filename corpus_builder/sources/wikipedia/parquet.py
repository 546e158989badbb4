"""Reader of the Hugging Face ``wikimedia/wikipedia`` Parquet layout, whose text is already plain."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import BinaryIO

from corpus_builder.sources.documents import SourceDocument, SourceError, open_raw

__all__ = ["iter_wikipedia_parquet"]

_HF_LANG_DIR = re.compile(r"(?:^|/)\d{8}\.([a-z][a-z0-9-]*)(?:/|$)")


def iter_wikipedia_parquet(
    path: str,
    *,
    lang: str | None = None,
    batch_size: int = 1024,
    open_fn: Callable[[str], BinaryIO] | None = None,
) -> Iterator[SourceDocument | SourceError]:
    """Yield documents from a ``wikimedia/wikipedia`` Parquet shard (``id``, ``url``, ``title``, ``text``).

    The text there is already plain (converted upstream), so it is passed through.  ``lang`` defaults to the
    language of the dataset's ``<date>.<lang>/`` directory when the path has one.  ``offset`` is the row
    index in the file.  A row without text or id is an error; the others go on.
    """
    import pyarrow.parquet as pq

    if lang is None:
        m = _HF_LANG_DIR.search(path)
        lang = m.group(1) if m else None
    f = (open_fn or open_raw)(path)
    try:
        pf = pq.ParquetFile(f)
        names = set(pf.schema_arrow.names)
        missing = {"id", "text"} - names
        if missing:
            raise ValueError(
                f"{path}: not a wikimedia/wikipedia Parquet file (missing columns {sorted(missing)})"
            )
        cols = [c for c in ("id", "url", "title", "text") if c in names]
        row = 0
        db = f"{lang}wiki" if lang else "wiki"
        for batch in pf.iter_batches(batch_size=batch_size, columns=cols):
            data = batch.to_pydict()
            for i in range(batch.num_rows):
                pid, text = data["id"][i], data["text"][i]
                title = data["title"][i] if "title" in data else None
                if pid is None or text is None:
                    yield SourceError(path, row, None if pid is None else str(pid), "row without id or text")
                elif text.strip():
                    yield SourceDocument(
                        id=f"{db}:{pid}",
                        text=text,
                        url=data["url"][i] if "url" in data else None,
                        source_path=path,
                        record_id=str(pid),
                        offset=row,
                        date=None,
                        lang_hint=lang,
                        extra={"title": title or "", "dbname": db},
                    )
                row += 1
    finally:
        f.close()
