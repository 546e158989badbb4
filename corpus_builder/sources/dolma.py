"""Reader of Dolma-format JSON lines (``*.jsonl``, ``*.json.gz``, ``*.jsonl.gz``, ``*.jsonl.zst``).

A Dolma document is one JSON object per line: ``id`` and ``text`` (required), ``source``, ``added``,
``created`` (dates as strings, kept as given) and ``metadata`` (an object).  Compression is detected by
magic bytes, so the file name does not matter.

* ``id`` of the document: ``<source>/<id>`` when ``source`` is set (Dolma ids are unique per source),
  else the id; ``record_id`` = the Dolma id; ``offset`` = the 1-based line number;
* ``date`` = ``created`` (else ``added``); ``url`` = ``metadata.url`` when present;
* ``lang_hint`` = ``metadata.lang``/``metadata.language`` when a string, else the ``lang`` option;
* ``extra`` = source, added, created and the scalar ``metadata`` fields as strings (at most
  ``max_extra`` of them, values cut to 500 characters);
* a line that is not JSON, not an object, or lacks ``id``/``text`` is a :class:`SourceError` with its line
  number; blank lines are skipped; a compressed stream that ends early gives one final error.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable, Iterator
from typing import BinaryIO

from corpus_builder.sources.documents import SourceDocument, SourceError, open_decompressed

__all__ = ["iter_dolma"]


def iter_dolma(
    path: str,
    *,
    lang: str | None = None,
    max_extra: int = 20,
    open_fn: Callable[[str], BinaryIO] | None = None,
) -> Iterator[SourceDocument | SourceError]:
    f = open_decompressed(path, open_fn)
    lineno = 0
    try:
        try:
            for raw in f:
                lineno += 1
                if not raw.strip():
                    continue
                item = _line(raw, path, lineno, lang, max_extra)
                yield item
        except (EOFError, OSError, zlib.error, ValueError) as e:
            yield SourceError(
                path, lineno + 1, None, f"compressed stream ends early or is damaged after line {lineno}: {e}"
            )
    finally:
        f.close()


def _line(
    raw: bytes, path: str, lineno: int, lang: str | None, max_extra: int
) -> SourceDocument | SourceError:
    try:
        obj = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        return SourceError(path, lineno, None, f"line {lineno}: invalid JSON: {e}")
    if not isinstance(obj, dict):
        return SourceError(path, lineno, None, f"line {lineno}: not a JSON object")
    did, text = obj.get("id"), obj.get("text")
    if did is None or not isinstance(text, str):
        return SourceError(
            path, lineno, None if did is None else str(did), f"line {lineno}: missing id or text"
        )
    did = str(did)
    source = obj.get("source")
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    extra: dict[str, str] = {}
    for key in ("source", "added", "created"):
        if obj.get(key) is not None:
            extra[key] = str(obj[key])
    for key, value in meta.items():
        if len(extra) >= max_extra + 3:
            break
        if isinstance(value, (str, int, float, bool)):
            extra[f"metadata.{key}"] = str(value)[:500]
    hint = meta.get("lang") or meta.get("language")
    url = meta.get("url")
    return SourceDocument(
        id=f"{source}/{did}" if source else did,
        text=text,
        url=url if isinstance(url, str) else None,
        source_path=path,
        record_id=did,
        offset=lineno,
        date=str(obj.get("created") or obj.get("added") or "") or None,
        lang_hint=hint if isinstance(hint, str) else lang,
        extra=extra,
    )
