"""From the `decontaminate:` block to the library's inputs: which files, read how, with which options.

The driver calls `prepare_sets` before any task starts: it resolves catalogue entries and reads every
item of every file once, so a bad file stops the run with exit 2 and a message naming the file, the
row and the reason (`EvalSetError`), instead of failing inside a worker. The index phase reads the
files again (they are small next to a corpus) with the same `ResolvedSet`s.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from corpus_builder.config.decontaminate import DecontaminateConfig, EvalSetConfig
from corpus_builder.contracts.errors import BadInputError
from corpus_builder.contracts.shipped_data import SHIPPED_MANIFESTS_DIR
from corpus_builder.decontaminate.catalogue import CatalogueEntry, load_catalogue
from corpus_builder.decontaminate.eval_items import EvalItem, EvalItemsError, ItemSource, read_items
from corpus_builder.decontaminate.index import (
    DecontaminationIndex,
    IndexBuilder,
    NgramSettings,
    UnitChoice,
)

#: The shipped catalogue: the checkout's manifests/eval_sets.yaml, or the wheel's copy.
DEFAULT_CATALOGUE = SHIPPED_MANIFESTS_DIR / "eval_sets.yaml"


class EvalSetError(BadInputError):
    """An evaluation set that cannot be used: a missing or malformed file, an unknown catalogue entry."""


@dataclass(frozen=True)
class ResolvedSet:
    """One configured set with its catalogue entry applied and its paths made absolute."""

    name: str
    sources: tuple[ItemSource, ...]
    units: UnitChoice
    min_share: float
    action: str

    def items(self) -> Iterator[EvalItem]:
        """Every item of every file; with several files an id is `<file name>:<id>`."""
        prefixed = len(self.sources) > 1
        try:
            for source in self.sources:
                for item in read_items(source):
                    yield EvalItem(f"{source.path.name}:{item.item_id}", item.text) if prefixed else item
        except EvalItemsError as exc:
            raise EvalSetError(f"decontaminate set {self.name!r}: {exc}") from None


def ngram_settings(config: DecontaminateConfig) -> NgramSettings:
    return NgramSettings(
        char_n=config.char_n,
        word_n=config.word_n,
        min_char_units=config.min_char_units,
        min_word_units=config.min_word_units,
        whole_item_grams=config.whole_item_grams,
        max_items_per_gram=config.max_items_per_gram,
    )


def resolve_sets(config: DecontaminateConfig, base_dir: str | Path) -> list[ResolvedSet]:
    """The sets of `config`, relative paths taken from `base_dir` (the pipeline file's folder)."""
    base = Path(base_dir)
    catalogue: dict[str, CatalogueEntry] | None = None
    resolved = []
    for entry in config.sets:
        from_catalogue = None
        if entry.catalogue is not None:
            if catalogue is None:
                catalogue = _catalogue(config, base)
            if entry.catalogue not in catalogue:
                raise EvalSetError(
                    f"decontaminate set {entry.name!r}: no catalogue entry {entry.catalogue!r} "
                    f"(known: {', '.join(sorted(catalogue))})"
                )
            from_catalogue = catalogue[entry.catalogue]
        resolved.append(_resolve(entry, from_catalogue, config.min_share, base))
    return resolved


def _catalogue(config: DecontaminateConfig, base: Path) -> dict[str, CatalogueEntry]:
    path = base / config.catalogue_file if config.catalogue_file else DEFAULT_CATALOGUE
    try:
        return load_catalogue(path)
    except (OSError, ValueError) as exc:
        raise EvalSetError(f"decontaminate: cannot read the catalogue {path}: {exc}") from None


def _resolve(
    entry: EvalSetConfig, from_catalogue: CatalogueEntry | None, min_share: float, base: Path
) -> ResolvedSet:
    def pick(own: object, name: str) -> object:
        """The set's own value when given, else the catalogue entry's."""
        if own not in (None, [], ()):
            return own
        return getattr(from_catalogue, name) if from_catalogue is not None else own

    units: UnitChoice = entry.units
    if units == "auto" and from_catalogue is not None:
        units = "chars" if from_catalogue.units == "chars" else "words"
    sources = tuple(
        ItemSource(
            path=(base / path).resolve(),
            fields=tuple(pick(entry.fields, "fields")),  # type: ignore[arg-type]
            id_field=pick(entry.id_field, "id_field"),  # type: ignore[arg-type]
            format=pick(entry.format, "format"),  # type: ignore[arg-type]
            text_unit=entry.text_unit,
            columns=tuple(pick(entry.columns, "columns")),  # type: ignore[arg-type]
            records_key=pick(entry.records_key, "records_key"),  # type: ignore[arg-type]
        )
        for path in entry.paths
    )
    share = entry.min_share if entry.min_share is not None else min_share
    return ResolvedSet(entry.name, sources, units, share, entry.action)


def prepare_sets(config: DecontaminateConfig, base_dir: str | Path) -> list[ResolvedSet]:
    """Resolve the sets and read every item once: a bad file raises `EvalSetError` here, in the
    driver, before any task runs; so does a set with no items at all."""
    resolved = resolve_sets(config, base_dir)
    for eval_set in resolved:
        if sum(1 for _ in eval_set.items()) == 0:  # every item: a bad last row must stop the run too
            files = ", ".join(str(source.path) for source in eval_set.sources)
            raise EvalSetError(f"decontaminate set {eval_set.name!r}: no items in {files}")
    return resolved


def build_set_index(sets: list[ResolvedSet], settings: NgramSettings) -> DecontaminationIndex:
    builder = IndexBuilder(settings)
    for eval_set in sets:
        builder.add_set(eval_set.name, eval_set.items(), units=eval_set.units, min_share=eval_set.min_share)
    return builder.build()
