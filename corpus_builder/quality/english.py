"""English quality filters: datatrove's GopherQualityFilter, GopherRepetitionFilter,
C4QualityFilter and FineWebQualityFilter with their defaults, wrapped so that the first filter
that rejects a document names itself and its reason (``c4:line_punct...``-style strings land in the
exclusion output's reason column).

Offline: datatrove 0.10 splits English words and sentences with ``spacy.blank("en")`` (no model
download; needs the ``spacy`` package).  No NLTK data is needed by these four filters.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

FILTER_NAMES = ("gopher_repetition", "gopher_quality", "c4", "fineweb")
DEFAULT_ORDER = ("gopher_repetition", "gopher_quality", "c4", "fineweb")  # FineWeb's order


def _build(name: str, params: Mapping[str, Any]):
    from datatrove.pipeline import filters as dt

    classes = {
        "gopher_repetition": dt.GopherRepetitionFilter,
        "gopher_quality": dt.GopherQualityFilter,
        "c4": dt.C4QualityFilter,
        "fineweb": dt.FineWebQualityFilter,
    }
    if name not in classes:
        raise ValueError(f"unknown English filter {name!r}; known: {FILTER_NAMES}")
    return classes[name](**dict(params))


class EnglishFilters:
    """Run datatrove filters in order on a text; ``check`` returns None or ``"<filter>:<reason>"``."""

    def __init__(
        self,
        filters: Sequence[str] = DEFAULT_ORDER,
        params: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        params = params or {}
        unknown = set(params) - set(filters)
        if unknown:
            raise ValueError(f"parameters given for filters not in use: {sorted(unknown)}")
        self.names = tuple(filters)
        self.filters = [(name, _build(name, params.get(name, {}))) for name in self.names]

    def check(self, text: str, doc_id: str = "doc") -> str | None:
        return self.run(text, doc_id)[0]

    def run(self, text: str, doc_id: str = "doc") -> tuple[str | None, str]:
        """(reason or None, text after the filters that modify it, i.e. C4's line removal)."""
        from datatrove.data import Document

        for name, dt_filter in self.filters:
            doc = Document(text=text, id=doc_id, metadata={"language": "en"})
            result = dt_filter.filter(doc)
            kept, reason = result if isinstance(result, tuple) else (bool(result), "rejected")
            if not kept:
                return f"{name}:{reason}", text
            text = doc.text
        return None, text
