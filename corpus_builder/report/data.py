"""Read a run's output directory into the numbers the report shows.

Everything comes from files a run already writes: `manifest.json` (totals, phase_totals, config),
`excluded/` (stage, reason, lang, text_chars, text), `documents/` (lang_score, text length),
`deduped/` or `dedup/clusters/` (cluster sizes), `tokenized/` (token counts), `mixture/` (plan and
manifest) and `_logs/<phase>/stats.json` (datatrove timings). Missing parts are simply absent.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow.compute as pc
import pyarrow.parquet as pq

from corpus_builder.contracts.errors import BadInputError
from corpus_builder.contracts.outputs import (
    DEDUP_CLUSTERS,
    DEDUPED,
    DOCUMENTS,
    DOCUMENTS_PHASE,
    EXCLUDED,
    LOGS,
    MANIFEST,
    MIXTURE_MANIFEST,
    PHASE_STATS,
    TOKENIZED,
    phase_stats,
)
from corpus_builder.report.decontamination import SetReport, load_decontamination

UNKNOWN_LANG = "und"
DEDUP_STAGE_ORDER = ("dedup.exact", "dedup.url", "dedup.near")
DECONTAMINATE_STAGE = "decontaminate"


class ReportError(BadInputError):
    """The directory is not a run's output; the message says why."""


@dataclass
class FunnelRow:
    source: str
    lang: str  # "all" or a language code ("und": not yet identified when dropped)
    stage: str
    docs_in: int
    docs_removed: int
    chars_in: int
    chars_removed: int
    tokens_in: int | None = None
    tokens_removed: int | None = None
    rules: dict[str, tuple[int, int]] = field(default_factory=dict)  # reason → (docs, chars)

    @property
    def docs_out(self) -> int:
        return self.docs_in - self.docs_removed

    @property
    def chars_out(self) -> int:
        return self.chars_in - self.chars_removed

    @property
    def tokens_out(self) -> int | None:
        if self.tokens_in is None or self.tokens_removed is None:
            return None
        return self.tokens_in - self.tokens_removed


@dataclass
class Example:
    stage: str
    reason: str
    lang: str | None
    url: str | None
    text: str


@dataclass
class MixtureRow:
    subset: str
    target: str  # what the config asked for, e.g. "2 epochs" or "1,000 tokens"
    target_tokens: int
    unique_tokens: int
    seen_tokens: int
    seen_documents: int | None
    share: float

    @property
    def deviation(self) -> float:
        return (self.seen_tokens - self.target_tokens) / self.target_tokens if self.target_tokens else 0.0


@dataclass
class RunData:
    output_dir: Path
    manifest: dict[str, Any]
    stage_order: list[str]
    funnel: list[FunnelRow]
    token_ratio: dict[tuple[str, str], float]  # (source, lang) → tokens per char, measured
    tokens_measured: bool
    examples: dict[tuple[str, str], list[Example]]
    lang_scores: dict[str, dict[str, list[float]]]  # "kept"/"excluded" → lang → scores
    lengths: dict[str, list[int]]  # "kept"/"excluded" → text length in characters
    cluster_sizes: list[int]  # one entry per cluster (singletons included when known)
    mixture: list[MixtureRow]
    timings: list[tuple[str, str, float, int]]  # (phase, step, seconds, items)
    decontamination: list[SetReport] = field(default_factory=list)  # one per evaluation set


def _read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _parquet_files(folder: Path, pattern: str = "**/*.parquet") -> list[Path]:
    return sorted(folder.glob(pattern)) if folder.is_dir() else []


def _read(path: Path, columns: list[str]) -> dict[str, list]:
    """The wanted columns that the file has, as Python lists (missing ones: None per row)."""
    pf = pq.ParquetFile(path)
    names = set(pf.schema_arrow.names)
    table = pf.read(columns=[c for c in columns if c in names])
    rows = table.num_rows
    return {c: (table.column(c).to_pylist() if c in names else [None] * rows) for c in columns}


def document_steps(out: Path) -> list[tuple[str, bool]]:
    """The document phase's steps in pipeline order, from its merged stats: (stage name, exact).
    Every step's stats carry its stage name (DocumentStep.set_name), so all of them are exact."""
    path = out / phase_stats(DOCUMENTS_PHASE)
    if not path.is_file():
        return []
    steps = []
    for step in _read_json(path):
        kind, _, name = step.get("name", "").partition(": ")
        kind = kind.split()[-1].lower() if kind.split() else ""
        if kind in ("reader", "writer"):
            continue
        steps.append((name, True))
    return steps


def stage_order(
    manifest: dict[str, Any], seen: list[str], steps: list[tuple[str, bool]] | None = None
) -> list[str]:
    """Stages in the order the pipeline applies them: read, the document steps, then dedup. Steps come
    from the run's stats (every step, also those that removed nothing); without them, from the config."""
    if not steps:
        configured = [s.get("step", "") for s in manifest.get("config", {}).get("stages", [])]
        steps = [(name, name != "quality") for name in configured]
    exact = {name for name, is_exact in steps if is_exact}
    order = ["read"]
    for name, is_exact in steps:
        if is_exact:
            if name not in order:
                order.append(name)
            continue
        for stage in seen:  # e.g. quality.swallow under a step recorded as "quality"
            if stage.split(".", 1)[0] == name and stage not in exact and stage not in order:
                order.append(stage)
    later = ("dedup.", DECONTAMINATE_STAGE)
    order += [s for s in seen if s not in order and not s.startswith(later)]
    dedup = [s for s in seen if s.startswith("dedup.") and s not in order]
    order += sorted(
        dedup, key=lambda s: DEDUP_STAGE_ORDER.index(s) if s in DEDUP_STAGE_ORDER else len(DEDUP_STAGE_ORDER)
    )
    # decontamination runs after dedup, on what dedup kept
    order += [s for s in seen if s == DECONTAMINATE_STAGE and s not in order]
    return order


def load_run(output_dir: str | Path, examples_per_rule: int = 3, example_chars: int = 400) -> RunData:
    out = Path(output_dir)
    if "://" in str(output_dir):
        raise ReportError(f"{output_dir}: the report reads a local output directory only")
    manifest_path = out / MANIFEST
    if not manifest_path.is_file():
        raise ReportError(f"{out}: no {MANIFEST}; is this the output directory of a finished run?")
    manifest = _read_json(manifest_path)

    excluded = _read_excluded(out, examples_per_rule, example_chars)
    kept_scores, kept_lengths = _read_kept(out)
    totals = manifest.get("totals", {})
    dedup_totals = manifest.get("phase_totals", {}).get("dedup")
    decontaminate_totals = manifest.get("phase_totals", {}).get("decontaminate")
    final = (decontaminate_totals or dedup_totals or totals).get("kept", {})
    for later in (dedup_totals, decontaminate_totals):
        for by_stage in ((later or {}).get("excluded") or {}).values():
            for stage in by_stage:
                if stage not in excluded.stages:
                    excluded.stages.append(stage)
    _add_what_tables_miss(excluded.removed, totals, dedup_totals or {}, decontaminate_totals or {})

    order = stage_order(manifest, excluded.stages, document_steps(out))
    token_ratio, tokens_measured = _token_ratio(out, final)
    funnel = _funnel(order, excluded.removed, final, token_ratio)
    return RunData(
        output_dir=out,
        manifest=manifest,
        stage_order=order,
        funnel=funnel,
        token_ratio=token_ratio,
        tokens_measured=tokens_measured,
        examples=dict(excluded.examples),
        lang_scores={"kept": dict(kept_scores), "excluded": dict(excluded.lang_scores)},
        lengths={"kept": kept_lengths, "excluded": excluded.lengths},
        cluster_sizes=_cluster_sizes(out),
        mixture=_mixture(out),
        timings=_timings(out),
        decontamination=load_decontamination(out, manifest),
    )


@dataclass
class _Excluded:
    """What the excluded tables say, before the manifest fills their gaps."""

    removed: dict[tuple[str, str, str, str], list[int]]  # (source, lang, stage, reason) → [docs, chars]
    examples: dict[tuple[str, str], list[Example]]  # (stage, reason) → the first few
    lang_scores: dict[str, list[float]]  # lang → scores
    lengths: list[int]  # text length of documents the filters dropped (dedup's are left out)
    stages: list[str]  # in the order first seen


def _read_excluded(out: Path, examples_per_rule: int, example_chars: int) -> _Excluded:
    found = _Excluded(defaultdict(lambda: [0, 0]), defaultdict(list), defaultdict(list), [], [])
    columns = ["source", "stage", "reason", "lang", "lang_score", "text_chars", "text", "url"]
    for path in _parquet_files(out / EXCLUDED, "*.parquet"):
        cols = _read(path, columns)
        for i in range(len(cols["stage"])):
            source, stage, reason = cols["source"][i], cols["stage"][i], cols["reason"][i]
            lang = cols["lang"][i] or UNKNOWN_LANG
            chars = cols["text_chars"][i] or 0
            entry = found.removed[(source, lang, stage, reason)]
            entry[0] += 1
            entry[1] += chars
            if stage not in found.stages:
                found.stages.append(stage)
            bucket = found.examples[(stage, reason)]
            if len(bucket) < examples_per_rule and cols["text"][i]:
                text = cols["text"][i]
                text = text[:example_chars] + ("…" if len(text) > example_chars else "")
                bucket.append(Example(stage, reason, cols["lang"][i], cols["url"][i], text))
            if cols["lang_score"][i] is not None and cols["lang"][i]:
                found.lang_scores[lang].append(float(cols["lang_score"][i]))
            if chars and not stage.startswith("dedup."):
                found.lengths.append(int(chars))
    return found


def _read_kept(out: Path) -> tuple[dict[str, list[float]], list[int]]:
    """Language scores (lang → scores) and text lengths of the documents the filters kept."""
    scores: dict[str, list[float]] = defaultdict(list)
    lengths: list[int] = []
    for path in _parquet_files(out / DOCUMENTS, "*/*.parquet"):
        pf = pq.ParquetFile(path)
        table = pf.read(columns=["lang", "lang_score", "text"])
        for lang, score in zip(
            table.column("lang").to_pylist(), table.column("lang_score").to_pylist(), strict=True
        ):
            scores[lang].append(float(score))
        lengths.extend(pc.utf8_length(table.column("text")).to_pylist())
    return scores, lengths


def _add_what_tables_miss(
    removed: dict[tuple[str, str, str, str], list[int]], totals: dict[str, Any], *later_totals: dict[str, Any]
) -> None:
    """Counts from the excluded tables must agree with the manifest; if the tables are missing
    (e.g. removed), fall back to the manifest's per-reason counts without languages. Unreadable
    records have no excluded row at all: they come from the manifest's read errors."""
    for source, count in (totals.get("read_errors") or {}).items():
        if count:
            removed[(source, UNKNOWN_LANG, "read", "unreadable_record")][0] += count
    table_counts: dict[tuple[str, str, str], int] = defaultdict(int)
    for (source, _lang, stage, reason), (docs, _chars) in removed.items():
        table_counts[(source, stage, reason)] += docs
    for block in (totals, *later_totals):
        for source, by_stage in (block.get("excluded") or {}).items():
            for stage, by_reason in by_stage.items():
                for reason, count in by_reason.items():
                    missing = count - table_counts.get((source, stage, reason), 0)
                    if missing > 0:
                        removed[(source, UNKNOWN_LANG, stage, reason)][0] += missing


def _token_ratio(out: Path, final: dict) -> tuple[dict[tuple[str, str], float], bool]:
    """Tokens per character of each (source, lang), from `tokenized/` and the final kept chars."""
    tokens: dict[tuple[str, str], int] = defaultdict(int)
    for path in _parquet_files(out / TOKENIZED, "*/*.parquet"):
        cols = _read(path, ["source", "lang", "token_count"])
        for source, lang, count in zip(cols["source"], cols["lang"], cols["token_count"], strict=True):
            tokens[(source, lang)] += count or 0
    ratio: dict[tuple[str, str], float] = {}
    for source, by_lang in final.items():
        for lang, entry in by_lang.items():
            if tokens.get((source, lang)) and entry.get("chars"):
                ratio[(source, lang)] = tokens[(source, lang)] / entry["chars"]
    return ratio, bool(tokens)


def _funnel(
    order: list[str],
    removed: dict[tuple[str, str, str, str], list[int]],
    final: dict[str, dict[str, dict[str, int]]],
    token_ratio: dict[tuple[str, str], float],
) -> list[FunnelRow]:
    """Per (source, lang) and per source ("all"): for each stage, what went in, what it removed."""
    groups: set[tuple[str, str]] = {(s, lang) for s, by_lang in final.items() for lang in by_lang}
    groups |= {(s, lang) for (s, lang, _stage, _reason) in removed}
    sources = sorted({s for s, _ in groups})
    fallback_ratio: dict[str, float] = {}
    for source in sources:
        ratios = [r for (s, _), r in token_ratio.items() if s == source]
        if ratios:
            fallback_ratio[source] = sum(ratios) / len(ratios)

    rows: list[FunnelRow] = []
    for source in sources:
        langs = sorted(lang for s, lang in groups if s == source)
        per_lang: dict[str, list[FunnelRow]] = {}
        for lang in langs:
            ratio = token_ratio.get((source, lang), fallback_ratio.get(source))
            kept = final.get(source, {}).get(lang, {"documents": 0, "chars": 0})
            docs_after, chars_after = kept.get("documents", 0), kept.get("chars", 0)
            lang_rows: list[FunnelRow] = []
            for stage in reversed(order):
                rules = {
                    reason: (v[0], v[1])
                    for (s, lg, st, reason), v in sorted(removed.items())
                    if s == source and lg == lang and st == stage
                }
                docs_removed = sum(d for d, _ in rules.values())
                chars_removed = sum(c for _, c in rules.values())
                row = FunnelRow(
                    source,
                    lang,
                    stage,
                    docs_after + docs_removed,
                    docs_removed,
                    chars_after + chars_removed,
                    chars_removed,
                    rules=rules,
                )
                if ratio is not None:
                    row.tokens_in = round(row.chars_in * ratio)
                    row.tokens_removed = round(chars_removed * ratio)
                lang_rows.append(row)
                docs_after, chars_after = row.docs_in, row.chars_in
            per_lang[lang] = list(reversed(lang_rows))
        for i, stage in enumerate(order):
            parts = [per_lang[lang][i] for lang in langs]
            rules: dict[str, tuple[int, int]] = defaultdict(lambda: (0, 0))
            for p in parts:
                for reason, (d, c) in p.rules.items():
                    rules[reason] = (rules[reason][0] + d, rules[reason][1] + c)
            with_tokens = all(p.tokens_in is not None for p in parts)
            rows.append(
                FunnelRow(
                    source,
                    "all",
                    stage,
                    sum(p.docs_in for p in parts),
                    sum(p.docs_removed for p in parts),
                    sum(p.chars_in for p in parts),
                    sum(p.chars_removed for p in parts),
                    sum(p.tokens_in or 0 for p in parts) if with_tokens else None,
                    sum(p.tokens_removed or 0 for p in parts) if with_tokens else None,
                    dict(sorted(rules.items())),
                )
            )
        for lang in langs:
            rows.extend(per_lang[lang])
    return rows


def _cluster_sizes(out: Path) -> list[int]:
    """One size per duplicate cluster: deduped/ holds one kept row per cluster with its size;
    without it, dedup/clusters/ lists the members of clusters larger than one."""
    sizes: list[int] = []
    deduped = _parquet_files(out / DEDUPED, "*/*.parquet")
    for path in deduped:
        cols = _read(path, ["dup_cluster_size"])
        sizes.extend(int(s) for s in cols["dup_cluster_size"] if s is not None)
    if sizes:
        return sizes
    clusters: dict[str, int] = {}
    for path in _parquet_files(out / DEDUP_CLUSTERS, "*.parquet"):
        cols = _read(path, ["cluster_id", "cluster_size"])
        for cid, size in zip(cols["cluster_id"], cols["cluster_size"], strict=True):
            clusters[cid] = int(size)
    return sorted(clusters.values())


def _mixture(out: Path) -> list[MixtureRow]:
    path = out / MIXTURE_MANIFEST
    if not path.is_file():
        return []
    manifest = _read_json(path)
    wanted = manifest.get("config", {}).get("subsets", {})
    default_epochs = manifest.get("config", {}).get("default_epochs", 1.0)
    subsets = manifest.get("subsets", {})
    total = sum(s.get("seen_tokens", 0) for s in subsets.values()) or 1
    rows = []
    for name, got in subsets.items():
        config = wanted.get(name, {})
        unique = got.get("unique_tokens", 0)
        if config.get("target_tokens") is not None:
            target_tokens = int(config["target_tokens"])
            target = f"{target_tokens:,} tokens"
        else:
            epochs = config.get("epochs") if config.get("epochs") is not None else default_epochs
            target_tokens = round(epochs * unique)
            target = f"{epochs:g} epochs"
        rows.append(
            MixtureRow(
                name,
                target,
                target_tokens,
                unique,
                got.get("seen_tokens", 0),
                got.get("seen_documents"),
                got.get("seen_tokens", 0) / total,
            )
        )
    return rows


def phase_order(out: Path) -> list[str]:
    logs = out / LOGS
    if not logs.is_dir():
        return []
    phases = [p.name for p in logs.iterdir() if (p / PHASE_STATS).is_file()]
    # run order: documents first, then by the time its stats were written (names are not ordered)
    return sorted(
        phases, key=lambda p: (p != DOCUMENTS_PHASE, (logs / p / PHASE_STATS).stat().st_mtime_ns, p)
    )


def _timings(out: Path) -> list[tuple[str, str, float, int]]:
    """(phase, step, seconds summed over tasks, items timed) from datatrove's merged stats."""
    rows = []
    for phase in phase_order(out):
        for step in _read_json(out / phase_stats(phase)):
            time_stats = step.get("time_stats") or {}
            seconds = float(time_stats.get("total", 0.0) or 0.0)
            _, _, label = step.get("name", "").partition(": ")
            if phase != DOCUMENTS_PHASE:
                label = phase
            if phase == DOCUMENTS_PHASE and seconds == 0.0:
                continue  # reader/writer are not timed by datatrove here
            rows.append((phase, label, seconds, int(time_stats.get("n", 0) or 0)))
    return rows
