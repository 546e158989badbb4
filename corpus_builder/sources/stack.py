"""Reader of The Stack (v1 / v2-with-content / smol) Parquet shards: one source file per row.

Column names differ between releases; the first present name of each list is used:

* content: ``content``, ``text``
* path: ``max_stars_repo_path``, ``path``, ``file_path``
* repo: ``max_stars_repo_name``, ``repo_name``, ``repo``
* language: ``lang``, ``language`` (else the ``lang`` option, e.g. from the ``data/<lang>/`` directory)
* licences: ``max_stars_repo_licenses``, ``licenses``, ``license``, ``detected_licenses`` (list or string)
* id: ``hexsha``, ``blob_id``, ``id`` (else a hash of repo + path)
* extension: ``ext``, ``extension`` (else from the path)

``SourceDocument``: ``id`` = the blob id (``hexsha``/``blob_id``), ``record_id`` = ``repo:path``,
``url`` = None, ``offset`` = the row index, ``lang_hint`` = None (code: no language ID -- the programming
language is in ``extra["lang"]``), ``extra`` = lang, license, repo, path, ext.

Licences stay a list (``extra["license"]``: every licence detected for the file's repository, as The
Stack lists them), so the ``code_filter`` stage checks each one: a file licensed MIT and Apache-2.0 is
kept when both are allowed, and one whose list also names a licence outside the allowlist is dropped
as ``license_not_allowed:<that licence>`` (which file of the repository is under which licence is not
known, so every detected licence must be allowed).  Output files show the list comma-separated.
A row without content is a :class:`SourceError`; rows whose content is not a string (binary) too.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import BinaryIO

from corpus_builder.sources.documents import SourceDocument, SourceError, open_raw, stable_id

__all__ = ["iter_stack"]

_CANDIDATES = {
    "content": ("content", "text"),
    "path": ("max_stars_repo_path", "path", "file_path"),
    "repo": ("max_stars_repo_name", "repo_name", "repo"),
    "lang": ("lang", "language"),
    "licenses": ("max_stars_repo_licenses", "licenses", "license", "detected_licenses"),
    "id": ("hexsha", "blob_id", "id"),
    "ext": ("ext", "extension"),
}


def _lang_from_path(path: str) -> str | None:
    parts = path.replace("\\", "/").split("/")
    if "data" in parts:
        i = parts.index("data")
        if i + 1 < len(parts) - 1:
            return parts[i + 1]
    return None


def iter_stack(
    path: str,
    *,
    lang: str | None = None,
    batch_size: int = 256,
    open_fn: Callable[[str], BinaryIO] | None = None,
) -> Iterator[SourceDocument | SourceError]:
    import pyarrow.parquet as pq

    default_lang = lang or _lang_from_path(path)
    f = (open_fn or open_raw)(path)
    try:
        pf = pq.ParquetFile(f)
        names = set(pf.schema_arrow.names)
        cols = {k: next((c for c in cands if c in names), None) for k, cands in _CANDIDATES.items()}
        if cols["content"] is None:
            raise ValueError(f"{path}: no content column (looked for {_CANDIDATES['content']})")
        read = sorted({c for c in cols.values() if c})
        row = 0
        for batch in pf.iter_batches(batch_size=batch_size, columns=read):
            data = batch.to_pydict()
            for i in range(batch.num_rows):
                val = {k: (data[c][i] if c else None) for k, c in cols.items()}
                yield _row(val, path, row, default_lang)
                row += 1
    finally:
        f.close()


def _row(val: dict, path: str, row: int, default_lang: str | None) -> SourceDocument | SourceError:
    repo = str(val["repo"] or "")
    fpath = str(val["path"] or "")
    rid = f"{repo}:{fpath}" if repo or fpath else None
    content = val["content"]
    if content is None:
        return SourceError(path, row, rid, "row without content")
    if not isinstance(content, str):
        return SourceError(path, row, rid, f"content is {type(content).__name__}, not text")
    lic = val["licenses"]
    licenses = [str(x) for x in lic if x] if isinstance(lic, (list, tuple)) else ([str(lic)] if lic else [])
    ext = val["ext"] or os.path.splitext(fpath)[1].lstrip(".")
    doc_id = str(val["id"]) if val["id"] is not None else stable_id("stack", repo, fpath, row)
    return SourceDocument(
        id=doc_id,
        text=content,
        url=None,
        source_path=path,
        record_id=rid,
        offset=row,
        date=None,
        lang_hint=None,
        extra={
            "lang": str(val["lang"] or default_lang or ""),
            "license": licenses,  # key the code_filter stage reads (license_key); a list
            "repo": repo,
            "path": fpath,
            "ext": str(ext or ""),
        },
    )
