"""Benchmark: docs/s of each filter preset on real Japanese text, and the fast Japanese word
tokenizers against datatrove's default Japanese path (spaCy + SudachiPy) on the same documents.

Reads (never copies) /work/shared/data: the jawiki dump excerpt (wikitext, crudely de-marked) and
the Japanese HTML pages of the chardet and readability test sets (extracted with trafilatura).

    python bench/filters.py [--data /work/shared/data] [--max-docs 300] [--repeat 1]

Prints a markdown table.  Not part of the test run.
"""

from __future__ import annotations

import argparse
import lzma
import re
import statistics
import sys
import time
from pathlib import Path

WIKI = "wikipedia/jawiki-truncated-100k.xml.xz"
HTML_DIRS = (
    "html/chardet-encodings/SHIFT_JIS",
    "html/chardet-encodings/EUC-JP",
    "html/chardet-encodings/CP932",
)


def wiki_docs(path: Path) -> list[str]:
    with lzma.open(path, "rt", encoding="utf-8", errors="replace") as handle:
        raw = handle.read()
    docs = []
    for match in re.finditer(r"<text[^>]*>(.*?)(?:</text>|$)", raw, re.S):
        text = match.group(1)
        text = re.sub(r"\{\{[^{}]*\}\}", "", text)
        text = re.sub(r"\[\[(?:[^\]|]*\|)?([^\]]*)\]\]", r"\1", text)
        text = re.sub(r"&lt;.*?&gt;|'''?|==+|\{\||\|\}|^[|!*#:;].*$", "", text, flags=re.M)
        text = re.sub(r"\n{3,}", "\n\n", text).strip()
        if len(text) > 200:
            docs.append(text)
    return docs


def html_docs(root: Path) -> list[str]:
    import trafilatura

    docs = []
    paths = [p for d in HTML_DIRS for p in sorted((root / d).glob("*")) if p.is_file()]
    paths += [root / "html/readability-gold" / n / "source.html" for n in ("yahoo-4", "hukumusume")]
    for path in paths:
        data = path.read_bytes()
        for enc in ("utf-8", "cp932", "euc_jp", "iso2022_jp"):
            try:
                html = data.decode(enc)
                break
            except UnicodeDecodeError:
                continue
        else:
            continue
        text = trafilatura.extract(html, deduplicate=False) or ""
        if len(text) > 100:
            docs.append(text)
    return docs


def rate(function, docs: list[str], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for doc in docs:
            function(doc)
        best = min(best, time.perf_counter() - start)
    return len(docs) / best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default="/work/shared/data")
    parser.add_argument("--max-docs", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    root = Path(args.data)

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from corpus_builder.quality.presets import load_preset

    docs = (wiki_docs(root / WIKI) + html_docs(root))[: args.max_docs]
    chars = sum(map(len, docs))
    print(f"{len(docs)} documents, {chars:,} characters (median {statistics.median(map(len, docs)):.0f})\n")

    print("| preset | docs/s | chars/s | kept |\n|---|---:|---:|---:|")
    configs = [
        ("swallow-quality", {}),
        ("swallow", {}),
        ("llm-jp", {}),
        ("hojichar", {}),
        ("hojichar (analyzer: fugashi)", {"hojichar": {"analyzer": "fugashi"}}),
        ("fineweb2-ja (fugashi)", {}),
        ("fineweb2-ja (sudachi)", {"fineweb2": {"tokenizer": "sudachi"}}),
    ]
    for label, options in configs:
        preset = load_preset(label.split(" ")[0])
        if options:
            try:
                preset = preset.with_options(options)
            except Exception as exc:  # noqa: BLE001
                print(f"| {label} | skipped: {exc} | | |")
                continue

        def run(doc: str, preset=preset) -> bool:
            text, _ = preset.apply_modifiers(doc)
            return preset.evaluate(text).kept

        try:
            run(docs[0])  # warm-up: builds taggers, word lists
        except ImportError as exc:
            print(f"| {label} | skipped: {exc} | | |")
            continue
        kept = sum(run(d) for d in docs)
        per_s = rate(run, docs, args.repeat)
        print(f"| {label} | {per_s:,.1f} | {per_s * chars / len(docs):,.0f} | {kept}/{len(docs)} |")

    print("\n| Japanese word tokenizer | chars/s | speed-up vs datatrove default |\n|---|---:|---:|")
    from corpus_builder.quality.tokenizers import get_tokenizer

    results: dict[str, float] = {}
    try:
        from datatrove.utils.word_tokenizers import load_word_tokenizer

        spacy_ja = load_word_tokenizer("ja")
        spacy_ja.word_tokenize(docs[0])
        per_doc = rate(spacy_ja.word_tokenize, docs, args.repeat)
        results["datatrove default (spaCy + SudachiPy)"] = per_doc * chars / len(docs)
    except Exception as exc:  # noqa: BLE001
        print(f"| datatrove default | not runnable here: {exc} | |")
    for name in ("fugashi", "sudachi", "script"):
        try:
            tok = get_tokenizer(name)
            tok.words(docs[0])
        except ImportError as exc:
            print(f"| {name} | not installed: {exc} | |")
            continue
        results[name] = rate(tok.words, docs, args.repeat) * chars / len(docs)
    base = results.get("datatrove default (spaCy + SudachiPy)")
    for name, per_s in results.items():
        speedup = f"{per_s / base:.1f}x" if base else "n/a"
        print(f"| {name} | {per_s:,.0f} | {speedup} |")


if __name__ == "__main__":
    main()
