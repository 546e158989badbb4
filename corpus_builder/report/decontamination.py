"""The report's decontamination section: one table row and a few examples per evaluation set.

From files a decontaminating run writes: `decontaminate/sets.json` (items, indexed, too short),
the manifest's `phase_totals.decontaminate.sets` (documents matched, dropped, cut), and the examples
from `excluded/decontaminate-*.parquet` (extra: eval_set, eval_item_id; quality_signals: eval_share)
and `decontaminate/cuts/*.parquet`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from corpus_builder.contracts.outputs import DECONTAMINATE_CUTS, DECONTAMINATE_SETS, EXCLUDED
from corpus_builder.writers.schema import as_dict

STAGE = "decontaminate"


@dataclass(frozen=True)
class MatchExample:
    url: str | None
    item_id: str
    share: float
    outcome: str  # the excluded reason, or "cut"
    text: str


@dataclass
class SetReport:
    name: str
    action: str
    items: int
    indexed: int
    too_short: int
    only_common: int
    counters: dict[str, int]
    examples: list[MatchExample] = field(default_factory=list)


def load_decontamination(out: Path, manifest: dict[str, Any], examples_per_set: int = 3) -> list[SetReport]:
    """One SetReport per configured set; empty when the run did not decontaminate."""
    sets_path = out / DECONTAMINATE_SETS
    if not sets_path.is_file():
        return []
    described = json.loads(sets_path.read_text(encoding="utf-8"))["sets"]
    totals = manifest.get("phase_totals", {}).get(STAGE, {}).get("sets", {})
    reports = {
        name: SetReport(
            name,
            entry["action"],
            entry["items"],
            entry["indexed"],
            entry["too_short"],
            entry["only_common"],
            dict(totals.get(name, {})),
        )
        for name, entry in described.items()
    }
    for example_set, example in _examples(out):
        report = reports.get(example_set)
        if report is not None and len(report.examples) < examples_per_set:
            report.examples.append(example)
    return list(reports.values())


def _examples(out: Path) -> list[tuple[str, MatchExample]]:
    found = []
    for path in sorted((out / EXCLUDED).glob(f"{STAGE}-*.parquet")):
        for row in pq.read_table(
            path, columns=["url", "reason", "text", "extra", "quality_signals"]
        ).to_pylist():
            extra, signals = as_dict(row["extra"]), as_dict(row["quality_signals"])
            example = MatchExample(
                row["url"], str(extra.get("eval_item_id")), float(signals.get("eval_share") or 0.0),
                row["reason"], row["text"] or "",
            )  # fmt: skip
            found.append((str(extra.get("eval_set")), example))
    for path in sorted((out / DECONTAMINATE_CUTS).glob("*.parquet")):
        for row in pq.read_table(path).to_pylist():
            example = MatchExample(row["url"], row["eval_item_id"], row["eval_share"], "cut", row["text"])
            found.append((row["eval_set"], example))
    return found


def render_decontamination(reports: list[SetReport], example_chars: int = 300) -> str:
    if not reports:
        return "<p class=note>the run did not decontaminate (no <code>decontaminate:</code> block)</p>"
    rows = [
        "<tr><th class=l>set</th><th class=l>action</th><th>items</th><th>indexed</th><th>too short</th>"
        "<th>only template n-grams</th><th>documents matched</th><th>dropped</th><th>cut</th>"
        "<th>paragraphs cut</th></tr>"
    ]
    for r in reports:
        c = r.counters
        rows.append(
            f"<tr><td class=l>{escape(r.name)}</td><td class=l>{escape(r.action)}</td><td>{r.items:,}</td>"
            f"<td>{r.indexed:,}</td><td>{r.too_short:,}</td><td>{r.only_common:,}</td>"
            f"<td>{c.get('documents_matched', 0):,}</td><td>{c.get('documents_dropped', 0):,}</td>"
            f"<td>{c.get('documents_cut', 0):,}</td><td>{c.get('paragraphs_cut', 0):,}</td></tr>"
        )
    parts = ["<table id=decontamination>" + "".join(rows) + "</table>"]
    for r in reports:
        if not r.examples:
            continue
        parts.append(f"<h3>{escape(r.name)}</h3>")
        for ex in r.examples:
            text = ex.text[:example_chars] + ("…" if len(ex.text) > example_chars else "")
            meta = f"{escape(ex.outcome)} · item {escape(ex.item_id)} · share {ex.share:.2f}"
            meta += f" · {escape(ex.url or '')}"
            parts.append(f"<div class=meta>{meta}</div><div class=ex>{escape(text)}</div>")
    return "".join(parts)
