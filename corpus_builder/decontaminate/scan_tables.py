"""One input file through the matcher: the kept, excluded and cut tables, and the per-set counts.

A document matched by any `drop` set is dropped (reason `eval_overlap`). A document matched only by
`cut` sets loses the paragraphs holding the matched n-grams; it is dropped (reason `eval_cut_empty`)
when no non-blank text is left. The excluded row names the match with the highest share (the first in
index order on ties) in `extra` (eval_set, eval_item_id) and `quality_signals` (eval_share), and every
match in `extra.eval_matches` (JSON: set, item, share).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from corpus_builder.decontaminate.match import ItemMatch, Matcher, matched_spans, remove_spans
from corpus_builder.writers.schema import EXCLUDED_SCHEMA, SCHEMA_VERSION

#: Columns an excluded row copies from the document as they are.
_EXCLUDED_COPIED = (
    "id", "source", "url", "snapshot", "warc_path", "record_id", "offset", "date", "lang", "lang_score",
)  # fmt: skip

#: decontaminate/cuts/<lang>-<task>.parquet: one row per (document, item) a `cut` set removed text for.
CUTS_SCHEMA = pa.schema(
    [
        pa.field("id", pa.string(), nullable=False),
        pa.field("source", pa.string(), nullable=False),
        pa.field("url", pa.string()),
        pa.field("lang", pa.string()),
        pa.field("eval_set", pa.string(), nullable=False),
        pa.field("eval_item_id", pa.string(), nullable=False),
        pa.field("eval_share", pa.float64(), nullable=False),
        pa.field("text", pa.string(), nullable=False),  # the removed paragraphs, joined by "\n"
        pa.field("text_chars", pa.int64(), nullable=False),
    ],
    metadata={"corpus_builder.schema_version": SCHEMA_VERSION, "corpus_builder.table": "decontaminate_cuts"},
)

SET_COUNTERS = (
    "documents_matched",
    "documents_dropped",
    "documents_cut",
    "matches",
    "paragraphs_cut",
    "chars_cut",
)


@dataclass
class _Verdicts:
    kept_rows: list[int] = field(default_factory=list)
    kept_texts: list[str] = field(default_factory=list)
    dropped: list[tuple[int, str, list[ItemMatch]]] = field(default_factory=list)  # row, reason, matches
    cut_rows: list[dict[str, Any]] = field(default_factory=list)
    sets: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))


@dataclass
class ScanResult:
    kept: pa.Table
    excluded: pa.Table
    cuts: pa.Table
    documents_cut: int
    counts: Counter[str]
    chars: Counter[str]
    sets: dict[str, dict[str, int]]

    def summary(self) -> dict[str, Any]:
        """The counts/ summary the run manifest folds into `phase_totals.decontaminate`."""
        return {
            "counts": dict(sorted(self.counts.items())),
            "chars": dict(sorted(self.chars.items())),
            "sets": self.sets,
        }


def scan_documents(
    docs: pa.Table, matcher: Matcher, actions: dict[str, str], stage: str, excluded_text_chars: int
) -> ScanResult:
    texts = docs.column("text").to_pylist()
    verdicts = _Verdicts()
    for row, text in enumerate(texts):
        _judge(verdicts, docs, row, text, matcher.scan(text), actions)
    kept = _kept_table(docs, verdicts)
    excluded = _excluded_table(docs, verdicts.dropped, stage, excluded_text_chars)
    cuts = pa.Table.from_pylist(verdicts.cut_rows, schema=CUTS_SCHEMA)
    counts, chars = _counts(docs, kept, verdicts.dropped, stage)
    sets = {
        name: {key: int(counter[key]) for key in SET_COUNTERS}
        for name, counter in sorted(verdicts.sets.items())
    }
    documents_cut = len({row["id"] for row in verdicts.cut_rows})
    return ScanResult(kept, excluded, cuts, documents_cut, counts, chars, sets)


def _judge(
    verdicts: _Verdicts,
    docs: pa.Table,
    row: int,
    text: str,
    matches: list[ItemMatch],
    actions: dict[str, str],
) -> None:
    if not matches:
        verdicts.kept_rows.append(row)
        verdicts.kept_texts.append(text)
        return
    by_set: dict[str, list[ItemMatch]] = defaultdict(list)
    for match in matches:
        by_set[match.set_name].append(match)
    for name, found in by_set.items():
        verdicts.sets[name]["documents_matched"] += 1
        verdicts.sets[name]["matches"] += len(found)
    if any(actions[match.set_name] == "drop" for match in matches):
        verdicts.dropped.append((row, "eval_overlap", [m for m in matches if actions[m.set_name] == "drop"]))
        for name in {m.set_name for m in matches if actions[m.set_name] == "drop"}:
            verdicts.sets[name]["documents_dropped"] += 1
        return
    remaining = remove_spans(text, matched_spans(matches))
    for name, found in by_set.items():
        spans = matched_spans(found)
        verdicts.sets[name]["paragraphs_cut"] += len(spans)
        verdicts.sets[name]["chars_cut"] += sum(end - start for start, end in spans)
        verdicts.sets[name]["documents_dropped" if not remaining.strip() else "documents_cut"] += 1
    if not remaining.strip():
        verdicts.dropped.append((row, "eval_cut_empty", matches))
        return
    verdicts.kept_rows.append(row)
    verdicts.kept_texts.append(remaining)
    doc = {name: docs.column(name)[row].as_py() for name in ("id", "source", "url", "lang")}
    for match in matches:
        removed = "\n".join(text[start:end] for start, end in match.spans)
        verdicts.cut_rows.append(
            doc
            | {
                "eval_set": match.set_name,
                "eval_item_id": match.item_id,
                "eval_share": match.share,
                "text": removed,
                "text_chars": len(removed),
            }
        )


def _kept_table(docs: pa.Table, verdicts: _Verdicts) -> pa.Table:
    """The kept rows with their (possibly cut) text, in the input's exact schema."""
    kept = docs.take(pa.array(verdicts.kept_rows, pa.int64()))
    position = docs.schema.get_field_index("text")
    text_field = docs.schema.field("text")
    kept = kept.set_column(position, text_field, pa.array(verdicts.kept_texts, text_field.type))
    return kept.cast(docs.schema)


def best_match(matches: list[ItemMatch]) -> ItemMatch:
    """The match with the highest share; the first in index order on ties."""
    return max(matches, key=lambda match: match.share)


def _excluded_table(
    docs: pa.Table, dropped: list[tuple[int, str, list[ItemMatch]]], stage: str, text_chars: int
) -> pa.Table:
    rows = pa.array([row for row, _, _ in dropped], pa.int64())
    d = docs.take(rows)
    columns: dict[str, Any] = {name: d.column(name) for name in _EXCLUDED_COPIED}
    columns["stage"] = pa.array([stage] * len(dropped), pa.string())
    columns["reason"] = pa.array([reason for _, reason, _ in dropped], pa.string())
    columns["text"] = pc.utf8_slice_codeunits(d.column("text"), 0, text_chars)
    columns["text_chars"] = pc.utf8_length(d.column("text")).cast(pa.int64())
    signals = _column_or_empty(d, "quality_signals")
    extra = _column_or_empty(d, "extra")
    for i, (_, _, matches) in enumerate(dropped):
        best = best_match(matches)
        signals[i] = [*signals[i], {"key": "eval_share", "value": best.share}]
        every = [{"set": m.set_name, "item": m.item_id, "share": round(m.share, 6)} for m in matches]
        extra[i] = [
            *extra[i],
            {"key": "eval_set", "value": best.set_name},
            {"key": "eval_item_id", "value": best.item_id},
            {"key": "eval_matches", "value": orjson.dumps(every).decode()},
        ]
    columns["quality_signals"] = pa.array(signals, EXCLUDED_SCHEMA.field("quality_signals").type)
    columns["extra"] = pa.array(extra, EXCLUDED_SCHEMA.field("extra").type)
    columns["duplicate_of"] = pa.nulls(len(dropped), pa.string())
    # the document phase's excluded schema, so one glob over excluded/ reads as one table
    return pa.table({f.name: columns[f.name] for f in EXCLUDED_SCHEMA}).cast(EXCLUDED_SCHEMA)


def _column_or_empty(table: pa.Table, name: str) -> list[list[dict[str, Any]]]:
    if name not in table.column_names:
        return [[] for _ in range(table.num_rows)]
    return [list(value or []) for value in table.column(name).to_pylist()]


def _counts(
    docs: pa.Table, kept: pa.Table, dropped: list[tuple[int, str, list[ItemMatch]]], stage: str
) -> tuple[Counter[str], Counter[str]]:
    """Documents and characters per `kept|source|lang` (after cuts) and `excluded|source|stage|reason`."""
    counts: Counter[str] = Counter()
    chars: Counter[str] = Counter()
    kept_lengths = pc.utf8_length(kept.column("text")).to_numpy(zero_copy_only=False)
    for source, lang, length in zip(
        kept.column("source").to_pylist(), kept.column("lang").to_pylist(), kept_lengths.tolist(), strict=True
    ):
        counts[f"kept|{source}|{lang}"] += 1
        chars[f"kept|{source}|{lang}"] += int(length)
    sources = docs.column("source").to_pylist()
    lengths = np.asarray(pc.utf8_length(docs.column("text")).to_numpy(zero_copy_only=False))
    for row, reason, _ in dropped:
        key = f"excluded|{sources[row]}|{stage}|{reason}"
        counts[key] += 1
        chars[key] += int(lengths[row])
    return counts, chars
