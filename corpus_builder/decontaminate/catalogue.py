"""manifests/eval_sets.yaml: the catalogue of evaluation sets, and an ItemSource from one entry."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from corpus_builder.decontaminate.eval_items import FORMATS, ItemSource

_READ_OPTIONS = ("format", "fields", "id_field", "columns", "records_key")
_KNOWN = {"language", "suite", "obtain", "licence", "unsure", "note", *_READ_OPTIONS}


@dataclass(frozen=True)
class CatalogueEntry:
    name: str
    language: str
    suite: str
    obtain: str
    licence: str
    format: str
    fields: tuple[str, ...]
    id_field: str | None = None
    columns: tuple[str, ...] = ()
    records_key: str | None = None
    unsure: tuple[str, ...] = ()
    note: str = ""

    @property
    def units(self) -> str:
        """The IndexBuilder unit kind for this set's language."""
        return "chars" if self.language == "ja" else "words"

    def source(self, path: Path) -> ItemSource:
        """How to read the user's local copy of this set."""
        return ItemSource(
            path=path,
            fields=self.fields,
            id_field=self.id_field,
            format=self.format,
            columns=self.columns,
            records_key=self.records_key,
        )


def load_catalogue(path: Path) -> dict[str, CatalogueEntry]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("sets"), dict):
        raise ValueError(f"{path}: expected a mapping with 'sets'")
    entries = {}
    for name, raw in data["sets"].items():
        unknown = set(raw) - _KNOWN
        if unknown:
            raise ValueError(f"{path}: {name}: unknown keys {', '.join(sorted(unknown))}")
        if raw.get("format") not in FORMATS or not raw.get("fields"):
            raise ValueError(f"{path}: {name}: needs a format ({', '.join(FORMATS)}) and fields")
        if raw.get("language") not in ("ja", "en"):
            raise ValueError(f"{path}: {name}: language must be ja or en")
        entries[name] = CatalogueEntry(
            name=name,
            language=raw["language"],
            suite=str(raw.get("suite", "")),
            obtain=str(raw.get("obtain", "")),
            licence=str(raw.get("licence", "")),
            format=raw["format"],
            fields=tuple(raw["fields"]),
            id_field=raw.get("id_field"),
            columns=tuple(raw.get("columns", ())),
            records_key=raw.get("records_key"),
            unsure=tuple(raw.get("unsure", ())),
            note=str(raw.get("note", "")),
        )
    return entries
