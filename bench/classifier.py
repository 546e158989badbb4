"""Quality classifier and paragraph language ID on real text (issue 18).

    python -m bench.classifier [--data /work/shared/data] [--seeds 5] [--engine trafilatura]

Positives: jawiki articles (the project's Wikipedia reader on the truncated dump). Negatives: the
pages of the Common Crawl slice and of readability's gold set (mostly not Japanese), extracted as a
run would; and, as the harder case, Japanese web pages (the chardet, jsoup and readability Japanese
pages, as bench/filters.py reads them). For each feature setting: held-out AUC and precision when
keeping the best 30% (mean and worst over --seeds seeded splits), training CPU seconds and model
size. Then the cost on one core (CPU time): scoring docs/s (features included), and paragraph-level
against document-level language ID on the same documents. Reads --data only; writes a temp folder.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from bench.filters import html_docs
from corpus_builder.classify.features import FeatureSpec, featurize
from corpus_builder.classify.linear import load_model
from corpus_builder.classify.metrics import roc_auc
from corpus_builder.classify.training import train_classifier
from corpus_builder.sources.documents import SourceDocument
from corpus_builder.sources.warc.reader import iter_warc
from corpus_builder.sources.warc.record import WarcRecord
from corpus_builder.sources.wikipedia import iter_wikipedia
from corpus_builder.text.decode import decode_html
from corpus_builder.text.extract import ExtractSettings, make_extractor
from corpus_builder.text.langid import LanguageIdentifier
from corpus_builder.text.paragraph_langid import line_languages

MIN_CHARS = 200
SETTINGS = {
    "1-3-grams, 2^18 buckets (default)": FeatureSpec(),
    "1-2-grams, 2^18 buckets": FeatureSpec(orders=(1, 2)),
    "1-3-grams, 2^16 buckets": FeatureSpec(dimensions=1 << 16),
    "1-4-grams, 2^20 buckets": FeatureSpec(orders=(1, 2, 3, 4), dimensions=1 << 20),
}


def wiki_articles(data: Path) -> list[str]:
    path = str(data / "wikipedia/jawiki-truncated-100k.xml.xz")
    return [d.text for d in iter_wikipedia(path, min_chars=MIN_CHARS) if isinstance(d, SourceDocument)]


def cc_pages(data: Path, extract: Callable[[str], str]) -> list[str]:
    texts = []
    for record in iter_warc(str(data / "warc/commoncrawl/CC-MAIN-2020-34-slice.warc.gz")):
        if isinstance(record, WarcRecord) and record.payload:
            texts.append(extract(decode_html(record.payload, record.http_charset).text))
    return [t for t in texts if len(t) >= MIN_CHARS]


def readability_pages(data: Path, extract: Callable[[str], str]) -> list[str]:
    pages = sorted((data / "html/readability-gold").glob("*/source.html"))
    skip = {"yahoo-4", "hukumusume"}  # Japanese: counted with the Japanese web pages
    texts = [extract(decode_html(p.read_bytes()).text) for p in pages if p.parent.name not in skip]
    return [t for t in texts if len(t) >= MIN_CHARS]


def cpu_rate(function: Callable[[list[str]], object], texts: list[str], repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        function(texts)
        best = min(best, time.process_time() - start)
    return len(texts) / best


def quality_table(positives: list[str], negative_sets: dict[str, list[str]], seeds: int, work: Path) -> None:
    print("| features | negatives | AUC mean (worst) | precision at 30% mean (worst) | train CPU s | model |")
    print("|---|---|---:|---:|---:|---:|")
    for label, spec in SETTINGS.items():
        for negatives_label, negatives in negative_sets.items():
            aucs, precisions, seconds = [], [], []
            for seed in range(seeds):
                path = work / f"m{seed}.npz"
                report = train_classifier(positives, negatives, str(path), seed=seed, holdout=0.3, spec=spec)
                aucs.append(report.auc)
                precisions.append(report.precision_at_kept)
                seconds.append(report.train_seconds)
            size = os.path.getsize(work / "m0.npz")
            print(
                f"| {label} | {negatives_label} | {np.mean(aucs):.3f} ({min(aucs):.3f}) "
                f"| {np.mean(precisions):.3f} ({min(precisions):.3f}) | {np.mean(seconds):.1f} "
                f"| {size / 1e6:.1f} MB |"
            )


def hard_cases(positives: list[str], web: list[str], japanese_web: list[str], work: Path) -> None:
    """Two cases the table above does not show: short texts, and negatives the model never saw."""
    short = [t[:300] for t in positives], [t[:300] for t in web + japanese_web]
    report = train_classifier(*short, str(work / "short.npz"), seed=0, holdout=0.3)
    print(
        f"\nfirst 300 characters only, all web: AUC {report.auc:.3f}, precision at 30% "
        f"{report.precision_at_kept:.3f}"
    )
    # trained against non-Japanese pages only, then asked to rank Japanese web pages below jawiki
    cut = len(positives) * 7 // 10
    train_classifier(positives[:cut], web, str(work / "transfer.npz"), seed=0, holdout=0.3)
    model = load_model(work / "transfer.npz")
    held_wiki = positives[cut:]  # never seen by that model
    scores = model.score(held_wiki + japanese_web)
    labels = np.array([1] * len(held_wiki) + [0] * len(japanese_web))
    print(
        f"trained on CC + readability negatives, Japanese web pages ranked below jawiki: AUC "
        f"{roc_auc(labels, scores):.3f}; Japanese web pages scoring over 0.5: "
        f"{int((scores[len(held_wiki) :] > 0.5).sum())}/{len(japanese_web)}"
    )


def cost_table(texts: list[str], model_path: Path) -> None:
    model = load_model(model_path)
    identifier = LanguageIdentifier()
    chars = sum(len(t) for t in texts)
    calls = {"paragraph": 0}

    def document_lid(batch: list[str]) -> None:
        for text in batch:
            identifier.predict(text)

    def paragraph_lid(batch: list[str]) -> None:
        for text in batch:
            line_languages(text, identifier, min_chars=20)

    def score_each(batch: list[str]) -> None:
        for text in batch:  # as the stage does it: one document at a time
            model.score_rows(featurize([text], model.spec))

    original_predict = identifier.predict

    def counting(text: str) -> tuple[str, float]:
        calls["paragraph"] += 1
        return original_predict(text)

    identifier.predict = counting  # type: ignore[method-assign]
    paragraph_lid(texts)
    identifier.predict = original_predict  # type: ignore[method-assign]
    rates = {
        "document-level language ID (first 10,000 chars)": cpu_rate(document_lid, texts),
        "paragraph-level language ID (every line)": cpu_rate(paragraph_lid, texts),
        "classifier score (features + dot product)": cpu_rate(score_each, texts),
    }
    print(f"\n{len(texts)} documents, {chars / len(texts):,.0f} characters on average; one core, CPU time\n")
    print("| step | docs/s | chars/s |\n|---|---:|---:|")
    for label, rate in rates.items():
        print(f"| {label} | {rate:,.0f} | {rate * chars / len(texts):,.0f} |")
    ratio = (
        rates["document-level language ID (first 10,000 chars)"]
        / rates["paragraph-level language ID (every line)"]
    )
    print(
        f"\nparagraph / document LID cost: {ratio:.1f}x; fastText calls per document: "
        f"{calls['paragraph'] / len(texts):.1f} (document mode: 1)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default="/work/shared/data")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--engine", default="trafilatura", choices=["trafilatura", "resiliparse"])
    args = parser.parse_args()
    data = Path(args.data)
    extract = make_extractor(ExtractSettings(engine=args.engine))
    positives = wiki_articles(data)
    web = cc_pages(data, extract) + readability_pages(data, extract)
    japanese_web = [t for t in html_docs(data) if len(t) >= MIN_CHARS]
    print(
        f"positives: {len(positives)} jawiki articles; negatives: {len(web)} web pages (CC slice + "
        f"readability, extracted with {args.engine}), {len(japanese_web)} Japanese web pages\n"
    )
    negative_sets = {
        "CC + readability": web,
        "Japanese web": japanese_web,
        "all web": web + japanese_web,
    }
    with tempfile.TemporaryDirectory() as work:
        quality_table(positives, negative_sets, args.seeds, Path(work))
        hard_cases(positives, web, japanese_web, Path(work))
        model_path = Path(work) / "default.npz"
        train_classifier(positives, web + japanese_web, str(model_path), seed=0, holdout=0.3)
        cost_table(positives + web + japanese_web, model_path)


if __name__ == "__main__":
    main()
