"""Dedup benchmark: near-duplicate recall / false positives per MinHash preset on real Japanese
text, signature speed against datatrove, and the full dedup at growing scale.

    python bench/minhash.py [--shared /work/shared/data] [--articles 3000] [--sections quality,speed,scale]
                            [--scale 100000,200000,400000,800000,1600000] [--workers 2]
                            [--datatrove-python /tmp/dtvenv/bin/python]

quality  Japanese Wikipedia articles (jawiki-truncated-100k.xml.xz, crude markup stripping), a
         planted variant for half of them (random character edits, boilerplate lines, truncation,
         or a mix), each pair's true character-5-gram Jaccard computed exactly. The full dedup
         phases run on originals + variants; a pair is found if both land in one cluster.
         A false positive is a removed document whose true Jaccard with the copy kept instead is
         < 0.5; the rate is over documents without a planted duplicate.
speed    signatures/s on one core, ours vs datatrove's MinhashDedupSignature (5-grams, 20x10,
         64-bit) on the same articles. datatrove's dedup package imports `tokenizers` (and, for
         language="ja", spaCy + SudachiPy), which the project does not install, so it runs in the
         Python given by --datatrove-python (e.g. a venv under /tmp with datatrove==0.10.1,
         tokenizers, spacy, sudachipy, sudachidict_core).
scale    the whole chain (plan → signatures → buckets → component rounds → resolve → filter) on
         synthetic short documents with 10% planted exact/near duplicates, tasks run in a process
         pool of --workers; wall time and peak RSS of the largest process.

Reads the shared data read-only and writes only under a temporary folder.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import lzma
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from corpus_builder.config.dedup import DedupConfig
from corpus_builder.dedup import build_dedup_phases
from corpus_builder.dedup.hashing import MinHasher, shingle_text
from corpus_builder.dedup.lsh import candidate_probability
from corpus_builder.phases.base import Phase, PhaseStep, RunContext
from corpus_builder.writers.schema import DOCUMENT_SCHEMA

REPO = Path(__file__).resolve().parents[1]


# ------------------------------------------------------------------------------- data


def strip_wiki(text: str) -> str:
    text = re.sub(r"<!--.*?-->", "", text, flags=re.S)
    text = re.sub(r"<ref[^>]*/>", "", text)
    text = re.sub(r"<ref.*?</ref>", "", text, flags=re.S)
    for _ in range(5):
        text = re.sub(r"\{\{[^{}]*\}\}", "", text)
    text = re.sub(r"\{\|.*?\|\}", "", text, flags=re.S)
    text = re.sub(r"\[\[(?:ファイル|画像|File|Image|Category|カテゴリ):[^\]]*\]\]", "", text)
    text = re.sub(r"\[\[(?:[^|\]]*\|)?([^\]]*)\]\]", r"\1", text)
    text = re.sub(r"\[https?://\S+ ?([^\]]*)\]", r"\1", text)
    text = re.sub(r"<[^>]+>", "", text)
    text = re.sub(r"'{2,}", "", text)
    lines = []
    for line in text.splitlines():
        line = line.strip().strip("=").strip()
        if not line or line[0] in "|!{}*#:;" or line.startswith("__"):
            continue
        lines.append(line)
    return "\n".join(lines)


def wiki_articles(shared: Path, n: int, min_chars: int = 400, max_chars: int = 1500) -> list[str]:
    """Up to n documents: articles' text cut at line boundaries into pieces of min..max chars
    (the dump holds only ~170 long articles, so pieces of articles stand in for documents)."""
    pages: list[str] = []
    with contextlib.suppress(ET.ParseError):  # the file is a truncated dump: its last page is cut off
        _parse_pages(shared, pages, 10**9, min_chars, 10**9)
    out = []
    for page in pages:
        piece = ""
        for line in page.splitlines():
            piece = f"{piece}\n{line}" if piece else line
            if len(piece) >= min_chars:
                out.append(piece[:max_chars])
                piece = ""
    seen = set()
    unique = [t for t in out if not (t in seen or seen.add(t))]
    return unique[:n]


def _parse_pages(shared: Path, out: list[str], n: int, min_chars: int, max_chars: int) -> None:
    with lzma.open(shared / "wikipedia/jawiki-truncated-100k.xml.xz") as f:
        for _, elem in ET.iterparse(f, events=("end",)):
            tag = elem.tag.rsplit("}", 1)[-1]
            if tag == "page":
                ns_el = [c for c in elem if c.tag.endswith("ns")]
                rev = [c for c in elem if c.tag.endswith("revision")]
                if ns_el and ns_el[0].text == "0" and rev:
                    t = [c for c in rev[0] if c.tag.endswith("text")]
                    raw = t[0].text or "" if t else ""
                    if not raw.lstrip().upper().startswith(("#REDIRECT", "#転送")):
                        body = strip_wiki(raw)
                        if len(body) >= min_chars:
                            out.append(body[:max_chars])
                            if len(out) >= n:
                                return
                elem.clear()


BOILERPLATE = [
    "このページの先頭へ戻る",
    "Copyright (C) All Rights Reserved.",
    "ホーム > ニュース > 記事一覧",
    "この記事をシェアする: Twitter Facebook LINE",
    "お問い合わせ | プライバシーポリシー | 利用規約",
    "関連記事: 人気ランキング 今週のおすすめ",
    "ログイン 新規会員登録 カートを見る",
]


def shingles(text: str, n: int = 5) -> set[str]:
    s = shingle_text(text)
    return {s[i : i + n] for i in range(max(1, len(s) - n + 1))}


def jaccard(a: str, b: str) -> float:
    sa, sb = shingles(a), shingles(b)
    return len(sa & sb) / len(sa | sb)


def variant(text: str, rng: random.Random, target: float) -> tuple[str, str]:
    kind = rng.choice(["edits", "boilerplate", "truncate", "mixed"])
    L = len(text)
    alphabet = "あいうえおかきくけこさしすせそアイウエオ日本語の、。"

    def edits(t: str, j: float) -> str:
        k = max(1, int(L * (1 - j) / (5 * (1 + j))))
        chars = list(t)
        for _ in range(k):
            chars[rng.randrange(len(chars))] = rng.choice(alphabet)
        return "".join(chars)

    def boiler(t: str, j: float) -> str:
        need = int(L * (1 / j - 1))
        head, tail = [], []
        while sum(map(len, head + tail)) < need:
            (head if rng.random() < 0.5 else tail).append(rng.choice(BOILERPLATE) + str(rng.randrange(1000)))
        return "\n".join(head + [t] + tail)

    def trunc(t: str, j: float) -> str:
        return t[: max(10, int(len(t) * j))]

    if kind == "edits":
        return edits(text, target), kind
    if kind == "boilerplate":
        return boiler(text, target), kind
    if kind == "truncate":
        return trunc(text, target), kind
    part = target ** (1 / 3)
    return boiler(edits(trunc(text, part), part), part), kind


def doc_row(
    i: int, text: str, source: str = "cc", snapshot: str = "CC-MAIN-2024-10", lang: str = "ja"
) -> dict:
    return {
        "id": f"doc-{i:08d}",
        "text": text,
        "source": source,
        "url": None,
        "snapshot": snapshot,
        "warc_path": "bench.warc.gz",
        "record_id": None,
        "offset": i,
        "date": None,
        "lang": lang,
        "lang_score": 1.0,
        "charset": "utf-8",
        "charset_method": "utf8",
        "extractor": None,
        "quality_signals": None,
    }


def write_docs(out: Path, rows: list[dict], files: int) -> None:
    per = (len(rows) + files - 1) // files
    for f in range(files):
        part = rows[f * per : (f + 1) * per]
        if part:
            path = out / "documents/ja" / f"{f:05d}.parquet"
            path.parent.mkdir(parents=True, exist_ok=True)
            pq.write_table(pa.Table.from_pylist(part, schema=DOCUMENT_SCHEMA), path, compression="zstd")


# ------------------------------------------------------------------------------- runner


def _run_one(phase: Phase, rank: int) -> int:
    phase.run_task(rank, PhaseStep(phase))
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def run_pool(phases: list[Phase], workers: int) -> dict[str, float]:
    """Run phases like an executor would: tasks in worker processes, finish() in the driver."""
    times: dict[str, float] = {}
    queue = list(phases)
    peak_kb = 0
    with ProcessPoolExecutor(workers) as pool:
        while queue:
            phase = queue.pop(0)
            t0 = time.perf_counter()
            n = phase.num_tasks()
            if workers == 1:
                peaks = [_run_one(phase, r) for r in range(n)]
            else:
                peaks = list(pool.map(_run_one, [phase] * n, range(n)))
            peak_kb = max([peak_kb, *peaks])
            queue = phase.finish() + queue
            group = "component rounds" if phase.name.startswith("dedup.components.") else phase.name
            times[group] = times.get(group, 0.0) + time.perf_counter() - t0
            if phase.name.startswith("dedup.components."):
                times["rounds"] = times.get("rounds", 0) + 1
    times["peak_rss_mb"] = peak_kb / 1024
    return times


# ------------------------------------------------------------------------------- sections


def section_quality(articles: list[str], workers: int, presets: dict[str, dict]) -> str:
    rng = random.Random(0)
    rows, pairs = [], []
    n = len(articles)
    for i, text in enumerate(articles):
        rows.append(doc_row(i, text, snapshot="CC-MAIN-2024-10"))
    for i in range(0, n, 2):  # half of the articles get a planted variant
        target = rng.uniform(0.45, 1.0)
        v, kind = variant(articles[i], rng, target)
        j = n + len(pairs)
        rows.append(doc_row(j, v, snapshot="CC-MAIN-2023-50"))
        pairs.append((i, j, jaccard(articles[i], v), kind))
    texts = {int(r["id"][4:]): r["text"] for r in rows}
    lines = [
        f"Planted pairs: {len(pairs)} on {n} jawiki articles "
        f"({sum(len(a) for a in articles) / n:.0f} chars on average); true J >= 0.8: "
        f"{sum(p[2] >= 0.8 for p in pairs)}, >= 0.9: {sum(p[2] >= 0.9 for p in pairs)}, "
        f"< 0.5: {sum(p[2] < 0.5 for p in pairs)}.",
        "",
        "| preset | bands x rows | recall J>=0.8 | recall J>=0.9 | recall 0.7<=J<0.8 | S-curve p(0.8) | "
        "false positives (removed with J<0.5) | FP rate | removed docs |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, mh in presets.items():
        tmp = Path(tempfile.mkdtemp(prefix="bench-dedup-"))
        try:
            write_docs(tmp, rows, files=8)
            cfg = DedupConfig(minhash=mh, partitions=8, url=False)
            ctx = RunContext(output_dir=str(tmp), seed=0)
            run_pool(build_dedup_phases(cfg, ctx), workers)
            cl = pa.concat_tables(
                [pq.read_table(f) for f in sorted((tmp / "dedup/clusters").glob("*.parquet"))]
            )
            cluster = dict(zip(cl.column("id").to_pylist(), cl.column("cluster_id").to_pylist(), strict=True))
            ex = pa.concat_tables([pq.read_table(f) for f in sorted((tmp / "excluded").glob("*.parquet"))])
        finally:
            shutil.rmtree(tmp)

        def found(a: int, b: int, cluster: dict[str, str] = cluster) -> bool:
            ca, cb = cluster.get(f"doc-{a:08d}"), cluster.get(f"doc-{b:08d}")
            return ca is not None and ca == cb

        def recall(lo: float, hi: float = 1.01, found=found) -> str:
            sel = [p for p in pairs if lo <= p[2] < hi]
            return f"{sum(found(a, b) for a, b, _, _ in sel) / max(1, len(sel)):.3f} ({len(sel)})"

        fp = 0
        for d, k in zip(ex.column("id").to_pylist(), ex.column("duplicate_of").to_pylist(), strict=False):
            if jaccard(texts[int(d[4:])], texts[int(k[4:])]) < 0.5:
                fp += 1
        planted = {a for a, _, j, _ in pairs if j >= 0.5} | {b for _, b, j, _ in pairs if j >= 0.5}
        negatives = len(rows) - len(planted)
        ngram, bands, r = mh_resolved(mh)
        lines.append(
            f"| {name} | {bands} x {r} | {recall(0.8)} | {recall(0.9)} | {recall(0.7, 0.8)} | "
            f"{candidate_probability(0.8, bands, r):.3f} | {fp} | {fp / negatives:.4%} | {ex.num_rows} |"
        )
    by_kind = {}
    for _, _, j, kind in pairs:
        by_kind.setdefault(kind, []).append(j)
    lines.append("")
    lines.append(
        "Variants: "
        + ", ".join(
            f"{k} {len(v)} (median J {sorted(v)[len(v) // 2]:.2f})" for k, v in sorted(by_kind.items())
        )
    )
    return "\n".join(lines)


def mh_resolved(mh: dict) -> tuple[int, int, int]:
    from corpus_builder.config.dedup import MinHashConfig

    return MinHashConfig(**mh).resolved()


DT_SCRIPT = r"""
import json, sys, time
from datatrove.pipeline.dedup.minhash import MinhashDedupSignature, MinhashConfig
from datatrove.utils.hashing import HashConfig
texts = json.load(open(sys.argv[1]))
lang = sys.argv[2]
cfg = MinhashConfig(n_grams=5, num_buckets=20, hashes_per_bucket=10, hash_config=HashConfig(precision=64))
step = MinhashDedupSignature("/tmp/unused-dt-sigs", config=cfg, language=lang)
step.get_signature(step.get_shingles(texts[0]))
t0 = time.perf_counter()
nonempty = 0
for t in texts:
    sh = step.get_shingles(t)
    if sh.size:
        step.get_signature(sh)
        nonempty += 1
print(json.dumps({"seconds": time.perf_counter() - t0, "docs": len(texts), "with_shingles": nonempty}))
"""


def section_speed(articles: list[str], dt_python: str | None) -> str:
    texts = articles
    chars = sum(len(t) for t in texts)
    h = MinHasher(5, 20, 10, seed=1)
    h.signatures(texts[:10])
    t0 = time.perf_counter()
    for i in range(0, len(texts), 2048):
        h.band_hashes_of(texts[i : i + 2048])
    ours = time.perf_counter() - t0
    lines = [
        f"{len(texts)} jawiki articles, {chars / len(texts):.0f} chars on average; one core; "
        "5-grams, 20 x 10 hashes, 64-bit.",
        "",
        "| implementation | shingles | docs/s | chars/s (M) | time vs ours |",
        "|---|---|---|---|---|",
        f"| corpus_builder.dedup (numpy, batched) | characters (NFKC) | {len(texts) / ours:,.0f} | "
        f"{chars / ours / 1e6:.2f} | 1.0x |",
    ]
    if not dt_python or not Path(dt_python).exists():
        lines.append(
            f"| datatrove MinhashDedupSignature | - | not run: no --datatrove-python ({dt_python}) | | |"
        )
        return "\n".join(lines)
    with tempfile.TemporaryDirectory() as d:
        data = Path(d) / "texts.json"
        data.write_text(json.dumps(texts, ensure_ascii=False))
        script = Path(d) / "dt.py"
        script.write_text(DT_SCRIPT)
        for lang, label in (("en", "words, English tokenizer (default)"), ("ja", "words, spaCy+SudachiPy")):
            proc = subprocess.run([dt_python, str(script), str(data), lang], capture_output=True, text=True)
            if proc.returncode != 0:
                err = proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "?"
                lines.append(f"| datatrove 0.10.1 language={lang} | {label} | failed: {err[:120]} | | |")
                continue
            r = json.loads(proc.stdout.strip().splitlines()[-1])
            lines.append(
                f"| datatrove 0.10.1 language={lang} | {label} | {r['docs'] / r['seconds']:,.0f} | "
                f"{chars / r['seconds'] / 1e6:.2f} | {r['seconds'] / ours:.1f}x slower |"
            )
    return "\n".join(lines)


def synth_rows(n: int, seed: int) -> list[dict]:
    """Short synthetic Japanese documents: 4 random sentences of the sample prose + a serial number;
    5% exact copies and 5% near copies (2 character edits) of earlier documents."""
    rng = random.Random(seed)
    lines = (REPO / "corpus_builder/samples/texts/ja_prose.txt").read_text(encoding="utf-8").splitlines()
    pool = [s for s in lines if s and not s.startswith("#")]
    rows = []
    for i in range(n):
        r = rng.random()
        if i > 10 and r < 0.05:
            text = rows[rng.randrange(i)]["text"]
        elif i > 10 and r < 0.10:
            chars = list(rows[rng.randrange(i)]["text"])
            for _ in range(2):
                chars[rng.randrange(len(chars))] = "あ"
            text = "".join(chars)
        else:
            text = f"{rng.randrange(10**9)}番 " + "".join(rng.sample(pool, 4))
        rows.append(doc_row(i, text, snapshot=f"CC-MAIN-2024-{rng.randrange(10, 14)}"))
    return rows


def _prepare(n: int, folder: str) -> None:
    rows = synth_rows(n, seed=n)
    write_docs(Path(folder), rows, files=max(2, n // 50_000))


def _scale_point(n: int, workers: int, partitions: int) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix=f"bench-scale-{n}-"))
    try:
        with ProcessPoolExecutor(1) as p:  # generate in a child so the driver's RSS stays small
            p.submit(_prepare, n, str(tmp)).result()
        t0 = time.perf_counter()
        cfg = DedupConfig(partitions=partitions, url=False)
        times = run_pool(build_dedup_phases(cfg, RunContext(output_dir=str(tmp), seed=0)), workers)
        times["wall"] = time.perf_counter() - t0
        times["driver_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        kept = sum(pq.ParquetFile(f).metadata.num_rows for f in (tmp / "deduped").rglob("*.parquet"))
        times["kept"] = kept
        times["work_mb"] = sum(f.stat().st_size for f in (tmp / "dedup/work").rglob("*") if f.is_file()) / 1e6
        return times
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def section_scale(sizes: list[int], workers: int, partitions: int, budget_s: float) -> str:
    lines = [
        f"Synthetic ~100-char Japanese documents (10% planted duplicates), llm-jp-v4 preset, exact+near, "
        f"{partitions} partitions, {workers} worker processes on {os.cpu_count()} CPUs.",
        "",
        "| docs | wall s | docs/s | signatures s | buckets s | component rounds (s) | resolve+filter s | "
        "kept | peak RSS of a task process (MB) | work files (MB) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    start = time.perf_counter()
    for n in sizes:
        if time.perf_counter() - start > budget_s:
            lines.append(f"| {n:,} | skipped: time budget {budget_s:.0f}s spent | | | | | | | | |")
            continue
        t = _scale_point(n, workers, partitions)
        lines.append(
            f"| {n:,} | {t['wall']:.1f} | {n / t['wall']:,.0f} | {t['dedup.signatures']:.1f} | "
            f"{t['dedup.buckets']:.1f} | {int(t.get('rounds', 0))} ({t.get('component rounds', 0):.1f}) | "
            f"{t['dedup.resolve'] + t['dedup.filter']:.1f} | "
            f"{t['kept']:,} | {t['peak_rss_mb']:.0f} | {t['work_mb']:.0f} |"
        )
        print(lines[-1], file=sys.stderr, flush=True)
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default="/work/shared/data")
    ap.add_argument("--articles", type=int, default=3000)
    ap.add_argument("--sections", default="quality,speed,scale")
    ap.add_argument("--scale", default="100000,200000,400000,800000,1600000")
    ap.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    ap.add_argument("--partitions", type=int, default=16)
    ap.add_argument("--scale-budget", type=float, default=3600)
    ap.add_argument("--datatrove-python", default="/tmp/dtvenv/bin/python")
    args = ap.parse_args()
    sections = args.sections.split(",")
    articles = wiki_articles(Path(args.shared), args.articles) if {"quality", "speed"} & set(sections) else []
    if "quality" in sections:
        print("## Near-duplicate recall and false positives (jawiki, planted variants)\n")
        presets = {
            "llm-jp-v4 (default)": {"preset": "llm-jp-v4"},
            "swallow": {"preset": "swallow"},
            "5-gram 9 x 13": {"ngram": 5, "bands": 9, "rows": 13},
        }
        print(section_quality(articles, args.workers, presets), "\n", flush=True)
    if "speed" in sections:
        print("## Signature speed\n")
        print(section_speed(articles, args.datatrove_python), "\n", flush=True)
    if "scale" in sections:
        print("## Scale\n")
        sizes = [int(s) for s in args.scale.split(",")]
        print(section_scale(sizes, args.workers, args.partitions, args.scale_budget), flush=True)


if __name__ == "__main__":
    main()
