"""`corpus-build report`: one self-contained HTML page about a run's output.

No network: styles are inline, plots are PNGs embedded as base64 `data:` URIs, and document URLs
are shown as text, never as links or resources.
"""

from __future__ import annotations

import base64
import io
import math
from collections import Counter
from html import escape
from pathlib import Path

from corpus_builder.contracts.outputs import DOCUMENTS_PHASE, LOGS, PHASE_STATS, REPORT_HTML, TOKENIZED
from corpus_builder.report.data import FunnelRow, RunData, load_run
from corpus_builder.report.decontamination import render_decontamination

_CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI','Noto Sans CJK JP','Hiragino Sans','Yu Gothic',Meiryo,
sans-serif;margin:24px auto;max-width:1300px;color:#222}
h1{font-size:1.6em}h2{margin-top:1.8em;border-bottom:1px solid #ccc;padding-bottom:4px}
table{border-collapse:collapse;margin:8px 0;font-size:13px}
th,td{border:1px solid #ddd;padding:3px 8px;text-align:right}
th{background:#f2f2f2}td.l,th.l{text-align:left}
tr.rule td{color:#666;font-size:12px}tr.rule td.l{padding-left:24px}
tr.lang td{background:#fafafa}
.note{color:#555;font-size:13px}
.ex{border-left:3px solid #c66;margin:6px 0 10px;padding:4px 10px;background:#fbf6f6;white-space:pre-wrap;
font-size:12px;max-height:9em;overflow:hidden}
.meta{color:#777;font-size:11px}
.plots img{max-width:640px;margin:4px 8px 4px 0;border:1px solid #eee}
"""


def _n(x: int | float | None) -> str:
    if x is None:
        return "–"
    return f"{x:,}" if isinstance(x, int) else f"{x:,.2f}"


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "–"


def _png(fig) -> str:  # noqa: ANN001 - a matplotlib Figure
    buf = io.BytesIO()
    # No Software/date metadata: the same data gives the same bytes.
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight", metadata={"Software": None})
    import matplotlib.pyplot as plt

    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _img(uri: str, alt: str) -> str:
    return f'<img src="{uri}" alt="{escape(alt)}">'


def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=True)
    matplotlib.rcParams["svg.hashsalt"] = "corpus_builder"
    import matplotlib.pyplot as plt

    return plt


def _hist_lang_scores(data: RunData) -> str | None:
    plt = _pyplot()
    scores = data.lang_scores
    langs = sorted({lang for kind in scores.values() for lang in kind})
    if not langs:
        return None
    fig, ax = plt.subplots(figsize=(7, 3.4))
    bins = [i / 20 for i in range(21)]
    for kind, hatch in (("kept", None), ("excluded", "//")):
        for lang in langs:
            values = scores.get(kind, {}).get(lang, [])
            if values:
                ax.hist(
                    values, bins=bins, histtype="step", linewidth=1.6, label=f"{lang} {kind}", hatch=hatch
                )
    ax.set_xlabel("language-ID score (fastText)")
    ax.set_ylabel("documents")
    ax.set_title("Language score: kept vs excluded")
    ax.legend(fontsize=7, ncol=2)
    return _png(fig)


def _hist_lengths(data: RunData) -> str | None:
    plt = _pyplot()
    kept, excluded = data.lengths.get("kept", []), data.lengths.get("excluded", [])
    values = [v for v in kept + excluded if v > 0]
    if not values:
        return None
    lo, hi = math.log10(max(min(values), 1)), math.log10(max(values) + 1)
    bins = [10 ** (lo + (hi - lo) * i / 30) for i in range(31)] if hi > lo else 10
    fig, ax = plt.subplots(figsize=(7, 3.4))
    ax.hist(
        [[v for v in kept if v > 0], [v for v in excluded if v > 0]],
        bins=bins,
        stacked=True,
        label=["kept", "excluded (before dedup)"],
        color=["#4a8", "#c66"],
    )
    ax.set_xscale("log")
    ax.set_xlabel("extracted text length (characters, log scale)")
    ax.set_ylabel("documents")
    ax.set_title("Document length")
    ax.legend(fontsize=8)
    return _png(fig)


def _hist_clusters(data: RunData) -> str | None:
    if not data.cluster_sizes:
        return None
    plt = _pyplot()
    counts = Counter(data.cluster_sizes)
    sizes = sorted(counts)
    fig, ax = plt.subplots(figsize=(7, 3.4))
    ax.bar([str(s) for s in sizes], [counts[s] for s in sizes], color="#58a")
    if max(counts.values()) > 50 * min(counts.values()):
        ax.set_yscale("log")
    ax.set_xlabel("cluster size (documents)")
    ax.set_ylabel("clusters")
    ax.set_title("Dedup cluster sizes")
    return _png(fig)


def _bar_mixture(data: RunData) -> str | None:
    if not data.mixture:
        return None
    plt = _pyplot()
    names = [m.subset for m in data.mixture]
    x = range(len(names))
    fig, ax = plt.subplots(figsize=(7, 3.4))
    ax.bar(
        [i - 0.2 for i in x], [m.target_tokens for m in data.mixture], width=0.4, label="target", color="#bbb"
    )
    ax.bar(
        [i + 0.2 for i in x],
        [m.seen_tokens for m in data.mixture],
        width=0.4,
        label="in shards",
        color="#58a",
    )
    ax.set_xticks(list(x), names, rotation=20, fontsize=8)
    ax.set_ylabel("tokens")
    ax.set_title("Mixture: target vs realised tokens")
    ax.legend(fontsize=8)
    return _png(fig)


def _bar_timings(data: RunData) -> str | None:
    if not data.timings:
        return None
    plt = _pyplot()
    labels = [
        f"{step}" if phase != DOCUMENTS_PHASE else f"{DOCUMENTS_PHASE}/{step}"
        for phase, step, _, _ in data.timings
    ]
    seconds = [s for _, _, s, _ in data.timings]
    fig, ax = plt.subplots(figsize=(7, 0.6 + 0.28 * len(labels)))
    ax.barh(labels[::-1], seconds[::-1], color="#a85")
    ax.set_xlabel("seconds (summed over tasks)")
    ax.set_title("Time per stage")
    ax.tick_params(axis="y", labelsize=8)
    return _png(fig)


def _funnel_table(data: RunData) -> str:
    tok = "tokens" if data.tokens_measured else "tokens (n/a)"
    head = (
        "<tr><th class=l>source</th><th class=l>lang</th><th class=l>stage / rule</th>"
        "<th>docs in</th><th>removed</th><th>docs out</th><th>kept %</th>"
        f"<th>chars in</th><th>chars out</th><th>{tok} in ≈</th><th>{tok} out ≈</th></tr>"
    )
    rows = [head]

    def line(r: FunnelRow, css: str) -> str:
        return (
            f"<tr class='{css}'><td class=l>{escape(r.source)}</td><td class=l>{escape(r.lang)}</td>"
            f"<td class=l><b>{escape(r.stage)}</b></td><td>{_n(r.docs_in)}</td><td>{_n(r.docs_removed)}</td>"
            f"<td>{_n(r.docs_out)}</td><td>{_pct(r.docs_out, r.docs_in)}</td><td>{_n(r.chars_in)}</td>"
            f"<td>{_n(r.chars_out)}</td><td>{_n(r.tokens_in)}</td><td>{_n(r.tokens_out)}</td></tr>"
        )

    for r in data.funnel:
        if r.lang != "all":
            continue
        rows.append(line(r, "all"))
        for reason, (docs, chars) in r.rules.items():
            rows.append(
                f"<tr class=rule><td></td><td></td><td class=l>{escape(reason)}</td><td></td>"
                f"<td>{_n(docs)}</td><td></td><td>{_pct(docs, r.docs_in)} removed</td><td></td>"
                f"<td>−{_n(chars)}</td><td></td><td></td></tr>"
            )
    return "<table id=funnel>" + "".join(rows) + "</table>"


def _funnel_by_lang(data: RunData) -> str:
    """One row per (source, language): documents in, removed by each stage, out."""
    stages = data.stage_order
    head = "".join(f"<th>−{escape(st)}</th>" for st in stages)
    rows = [
        f"<tr><th class=l>source</th><th class=l>lang</th><th>docs in</th>{head}<th>docs out</th>"
        "<th>kept %</th><th>chars out</th><th>tokens out</th></tr>"
    ]
    groups: dict[tuple[str, str], dict[str, FunnelRow]] = {}
    for r in data.funnel:
        if r.lang != "all":
            groups.setdefault((r.source, r.lang), {})[r.stage] = r
    for (source, lang), by_stage in groups.items():
        first, last = by_stage[stages[0]], by_stage[stages[-1]]
        cells = "".join(
            f"<td>{_n(by_stage[st].docs_removed) if by_stage[st].docs_removed else ''}</td>" for st in stages
        )
        rows.append(
            f"<tr><td class=l>{escape(source)}</td><td class=l>{escape(lang)}</td>"
            f"<td>{_n(first.docs_in)}</td>"
            f"{cells}<td>{_n(last.docs_out)}</td><td>{_pct(last.docs_out, first.docs_in)}</td>"
            f"<td>{_n(last.chars_out)}</td><td>{_n(last.tokens_out)}</td></tr>"
        )
    return "<table id=funnel-lang>" + "".join(rows) + "</table>"


def _mixture_table(data: RunData) -> str:
    rows = [
        "<tr><th class=l>subset</th><th class=l>target</th><th>target tokens</th><th>unique tokens</th>"
        "<th>seen tokens</th><th>seen docs</th><th>deviation</th><th>share</th></tr>"
    ]
    for m in data.mixture:
        rows.append(
            f"<tr><td class=l>{escape(m.subset)}</td><td class=l>{escape(m.target)}</td>"
            f"<td>{_n(m.target_tokens)}</td><td>{_n(m.unique_tokens)}</td><td>{_n(m.seen_tokens)}</td>"
            f"<td>{_n(m.seen_documents)}</td><td>{100 * m.deviation:+.2f}%</td>"
            f"<td>{100 * m.share:.1f}%</td></tr>"
        )
    return "<table id=mixture>" + "".join(rows) + "</table>"


def _timing_table(data: RunData) -> str:
    rows = [
        "<tr><th class=l>phase</th><th class=l>step</th><th>seconds</th><th>items</th><th>items/s</th></tr>"
    ]
    for phase, step, seconds, items in data.timings:
        rate = f"{items / seconds:,.1f}" if seconds and items else "–"
        rows.append(
            f"<tr><td class=l>{escape(phase)}</td><td class=l>{escape(step)}</td><td>{seconds:.3f}</td>"
            f"<td>{_n(items)}</td><td>{rate}</td></tr>"
        )
    total = sum(s for _, _, s, _ in data.timings)
    rows.append(
        f"<tr><td class=l><b>total</b></td><td></td><td><b>{total:.3f}</b></td><td></td><td></td></tr>"
    )
    return "<table id=timings>" + "".join(rows) + "</table>"


def _examples(data: RunData) -> str:
    parts = []
    order = {s: i for i, s in enumerate(data.stage_order)}
    for (stage, reason), examples in sorted(
        data.examples.items(), key=lambda kv: (order.get(kv[0][0], 99), kv[0])
    ):
        parts.append(f"<h3>{escape(stage)} / {escape(reason)}</h3>")
        if not examples:
            parts.append("<p class=note>no text stored for this rule (dropped before extraction)</p>")
        for ex in examples:
            meta = f"lang {escape(ex.lang or '?')} · {escape(ex.url or '')}"
            parts.append(f"<div class=meta>{meta}</div><div class=ex>{escape(ex.text)}</div>")
    return "".join(parts) or "<p class=note>nothing was excluded</p>"


def render(data: RunData) -> str:
    m = data.manifest
    totals = m.get("totals", {})
    kept = sum(e["documents"] for by_lang in totals.get("kept", {}).values() for e in by_lang.values())
    final_rows = [r for r in data.funnel if r.lang == "all" and r.stage == data.stage_order[-1]]
    final = sum(r.docs_out for r in final_rows)
    plots = [
        (_hist_lang_scores(data), "language score histogram"),
        (_hist_lengths(data), "length histogram"),
        (_hist_clusters(data), "dedup cluster-size histogram"),
    ]
    mixture_plot = _bar_mixture(data)
    timing_plot = _bar_timings(data)
    token_note = (
        f"Tokens: the kept output's tokens are counted in <code>{TOKENIZED}/</code>; earlier stages are "
        "estimated as characters × the measured tokens per character of the same source and language "
        "(≈)."
        if data.tokens_measured
        else f"No <code>{TOKENIZED}/</code> output: token columns are not available."
    )
    body = [
        f"<h1>Corpus report: {escape(str(m.get('pipeline', '')))}</h1>",
        f"<p class=note>output <code>{escape(str(data.output_dir))}</code> · config sha256 "
        f"<code>{escape(str(m.get('config_sha256', ''))[:16])}</code> · "
        f"{len(m.get('inputs', []))} input file(s) · "
        f"{_n(kept)} documents after filtering, {_n(final)} in the final output</p>",
        "<h2>Funnel</h2>",
        "<p class=note>Per source and stage, with each rule's removals; then per language (<i>und</i>: "
        "dropped before language ID). Characters are of the extracted text; records dropped before "
        "extraction have none. "
        f"{token_note}</p>",
        _funnel_table(data),
        "<h3>By language</h3>",
        _funnel_by_lang(data),
        "<h2>Decontamination</h2>",
        "<p class=note>Per evaluation set: its items, those indexed (too short: fewer characters or words "
        "than the minimum, never matched), and the documents holding at least the configured share of an "
        "item's n-grams, dropped or cut; then a few of them with the item and its matched share.</p>",
        render_decontamination(data.decontamination),
        "<h2>Distributions</h2><div class=plots>",
        *(_img(uri, alt) for uri, alt in plots if uri),
        "</div>",
        "<h2>Mixture against its targets</h2>",
        _mixture_table(data) + (_img(mixture_plot, "mixture") if mixture_plot else "")
        if data.mixture
        else "<p class=note>no mixture output</p>",
        "<h2>Run time per stage</h2>",
        f"<p class=note>From <code>{LOGS}/&lt;phase&gt;/{PHASE_STATS}</code>: datatrove's timed seconds "
        "summed over "
        "tasks (reading and writing are not timed).</p>",
        _timing_table(data)
        + (f"<div class=plots>{_img(timing_plot, 'time per stage')}</div>" if timing_plot else ""),
        "<h2>Removed examples per rule</h2>",
        _examples(data),
    ]
    return (
        "<!DOCTYPE html><html lang=en><head><meta charset=utf-8>"
        f"<title>Corpus report: {escape(str(m.get('pipeline', '')))}</title><style>{_CSS}</style></head>"
        "<body>" + "\n".join(body) + "</body></html>\n"
    )


def build_report(output_dir: str | Path, html_path: str | Path | None = None) -> Path:
    data = load_run(output_dir)
    target = Path(html_path) if html_path else Path(output_dir) / REPORT_HTML
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text(render(data), encoding="utf-8")
    tmp.replace(target)
    return target
