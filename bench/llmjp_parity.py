"""Parity check: the `llm-jp` preset and url rule set against LLM-jp's own ja_cc code, side by side.

Runs LLM-jp's functions (llm-jp/llm-jp-corpus scripts/filters.py, the `ja_cc` order of
scripts/filter_data.py at c58e94f) and ours on the same real documents, with LLM-jp's word lists
given to our preset by path, and counts where the two disagree: the first failing filter, and
the kept text (ours keeps line breaks that LLM-jp's extraction drops, so texts are compared with
"\\n" removed).  Nothing here is copied into the project; the third-party code is read from paths:

    git -C <llm-jp-corpus mirror> archive c58e94f scripts | tar -x -C /tmp/llmjp
    pip install --no-deps --target /tmp/hojichar090 hojichar==0.9.0 mmh3
    python bench/llmjp_parity.py --llmjp-scripts /tmp/llmjp/scripts --hojichar-path /tmp/hojichar090 \\
        [--data /work/shared/data]

Copied into another checkout's bench/ (e.g. ``git archive 477bca5``), it measures that checkout.

Documents: the jawiki excerpt and the Japanese HTML pages of bench/filters.py, every readability
gold page (most are not Japanese), each also with an English menu line on top (the ordering case
of issue 21).  URLs: every WARC-Target-URI of the WARCs under <data>/warc plus edge cases.
Prints markdown tables; not part of the test run.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from collections import Counter
from pathlib import Path

MENU_LINE = "Home | News | About | Contact\n"  # 29 characters: the page still starts within 50
# LLM-jp function (filter_data.py ja_cc order) -> our rule
CHAIN = (
    ("is_not_empty", "not_empty"),
    ("is_japanese", "kana_in_first_50_chars"),
    ("is_not_ad_content", "max_ad_keywords"),
    ("is_not_adult_content", "max_adult_words"),
    ("is_not_discrimination_content", "max_discrimination_words"),
    ("is_not_violence_content", "max_violence_words"),
    ("has_good_average_sentence_length", "max_chars_per_kuten"),
    ("has_good_compression_ratio", "zlib_compression_ratio"),
)
EDGE_URLS = (
    "https://ja.wikipedia.org/wiki/A",
    "http://ja.wikipedia.org/wiki/A",
    "https://ja.m.wikipedia.org/wiki/A",
    "https://en.wikipedia.org/wiki/A",
    "https://example.jp./a",
    "HTTPS://EXAMPLE.JP/a",
    "https://example.co.uk/",
    "https://xn--eckwd4c7c.xn--zckzah/",
)


def load_llmjp(scripts: Path):
    spec = importlib.util.spec_from_file_location("llmjp_filters", scripts / "filters.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def llmjp_verdict(fns, extract, text: str) -> tuple[str | None, str]:
    example = {"text": text, "meta": {}}
    for name, judge in fns:
        try:
            if not judge(example):
                return name, ""
        except Exception as exc:  # noqa: BLE001 - LLM-jp's code raising is a result here
            return f"{name} raised {type(exc).__name__}", ""
    out = extract(dict(example))["text"]
    return (None, out) if out.strip() else ("empty_after_extraction", "")


def warc_urls(root: Path) -> list[str]:
    from warcio.archiveiterator import ArchiveIterator

    urls: list[str] = []
    for path in sorted(root.rglob("*.warc*")):
        try:
            with path.open("rb") as handle:
                for record in ArchiveIterator(handle):
                    uri = record.rec_headers.get_header("WARC-Target-URI")
                    if uri and record.rec_type == "response":
                        urls.append(uri)
        except Exception:  # noqa: BLE001 - the broken-WARC fixtures are expected to fail
            continue
    return urls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default="/work/shared/data")
    parser.add_argument("--llmjp-scripts", required=True, help="llm-jp-corpus scripts/ at c58e94f")
    parser.add_argument("--hojichar-path", help="directory holding hojichar 0.9.0 (if not installed)")
    args = parser.parse_args()
    root, scripts = Path(args.data), Path(args.llmjp_scripts)
    if args.hojichar_path:
        sys.path.insert(0, args.hojichar_path)
    repo = Path(__file__).resolve().parents[1]
    sys.path.insert(0, str(repo))
    import hojichar

    from bench.filters import WIKI, html_docs, wiki_docs
    from corpus_builder.quality.presets import load_preset
    from corpus_builder.quality.urls import build_url_rules

    llmjp = load_llmjp(scripts)
    fns = [
        ("is_not_empty", llmjp.is_not_empty()),
        ("is_japanese", llmjp.is_japanese()),
        ("is_not_ad_content", llmjp.is_not_ad_content()),
        ("is_not_adult_content", llmjp.is_not_adult_content(3)),
        ("is_not_discrimination_content", llmjp.is_not_discrimination_content(3)),
        ("is_not_violence_content", llmjp.is_not_violence_content(3)),
        ("has_good_average_sentence_length", llmjp.has_good_average_sentence_length(250)),
        ("has_good_compression_ratio", llmjp.has_good_compression_ratio(0.30, 0.70)),
    ]
    extract = llmjp.extract_japanese_text()
    dict_dir = scripts / "dict"
    ours = load_preset("llm-jp").with_options(
        {
            "llmjp": {
                "ads_wordlist_path": str(
                    Path(hojichar.__file__).parent / "dict/advertisement_keywords_ja.txt"
                ),
                "adult_wordlist_path": str(dict_dir / "ja_adult_keywords.txt"),
                "discrimination_wordlist_path": str(dict_dir / "ja_discrimination_keywords.txt"),
                "violence_wordlist_path": str(dict_dir / "ja_violence_keywords.txt"),
            }
        }
    )
    to_ours = dict(CHAIN) | {"empty_after_extraction": "not_empty_after_kana_lines"}

    import trafilatura

    gold = sorted((root / "html/readability-gold").glob("*/source.html"))
    other = [trafilatura.extract(p.read_text(errors="replace"), deduplicate=False) or "" for p in gold]
    sets = {
        "jawiki": wiki_docs(root / WIKI),
        "Japanese HTML": html_docs(root),
        "readability gold (mostly not ja)": [t for t in other if t.strip()],
    }
    print("| documents | n | LLM-jp kept | ours kept | same first failing rule | same kept text |")
    print("|---|---:|---:|---:|---:|---:|")
    reasons: Counter[str] = Counter()
    disagreements: list[str] = []
    seconds = {"LLM-jp's code (HojiChar 0.9.0)": 0.0, "llm-jp preset": 0.0}
    total_docs = total_chars = 0
    for label, docs in list(sets.items()):
        for variant, texts in ((label, docs), (f"{label} + menu line on top", [MENU_LINE + d for d in docs])):
            same_rule = same_text = kept_theirs = kept_ours = 0
            for text in texts:
                start = time.perf_counter()
                theirs, their_text = llmjp_verdict(fns, extract, text)
                middle = time.perf_counter()
                # as the quality step does it (also for a checkout whose preset cleans before its rules)
                before_rules, _ = ours.apply_modifiers(text)
                verdict = ours.evaluate(before_rules)
                after = getattr(ours, "apply_modifiers_after_rules", lambda t: (t, {}))
                our_text, _ = after(before_rules) if verdict.kept else ("", {})
                seconds["LLM-jp's code (HojiChar 0.9.0)"] += middle - start
                seconds["llm-jp preset"] += time.perf_counter() - middle
                total_docs += 1
                total_chars += len(text)
                expected = to_ours.get(theirs, theirs) if theirs else None
                if expected == "zlib_compression_ratio":
                    expected = verdict.failed if "zlib" in (verdict.failed or "") else "(a zlib bound)"
                kept_theirs += theirs is None
                kept_ours += verdict.kept
                reasons[theirs or "kept"] += 1
                if expected == verdict.failed:
                    same_rule += 1
                else:
                    disagreements.append(f"{variant}: LLM-jp {theirs}, ours {verdict.failed}: {text[:60]!r}")
                if verdict.kept and theirs is None:
                    same_text += our_text.replace("\n", "") == their_text
            n = len(texts)
            print(
                f"| {variant} | {n} | {kept_theirs} | {kept_ours} | {same_rule}/{n} "
                f"| {same_text}/{kept_theirs} |"
            )
    print(
        "\nLLM-jp's first failing filter over all documents: "
        + ", ".join(f"{k} {v}" for k, v in reasons.most_common())
    )
    for line in disagreements[:20]:
        print("  disagreement:", line)
    print("\n| chain, LLM-jp's word lists | docs/s | chars/s | vs LLM-jp's code |\n|---|---:|---:|---:|")
    base = seconds["LLM-jp's code (HojiChar 0.9.0)"]
    for label, spent in seconds.items():
        print(f"| {label} | {total_docs / spent:,.1f} | {total_chars / spent:,.0f} | {base / spent:.2f}x |")

    urls = warc_urls(root / "warc") + list(EDGE_URLS)
    domain = llmjp.has_valid_domain()
    rules = build_url_rules(preset="llm-jp")
    same, differ = 0, []
    for url in urls:
        try:
            theirs = domain({"text": "", "meta": {"url": url}})
        except Exception as exc:  # noqa: BLE001
            theirs = f"raised {type(exc).__name__}"
        reason = rules.check(url)
        if theirs is (reason is None):
            same += 1
        else:
            differ.append(f"{url}: LLM-jp {'keep' if theirs is True else theirs}, ours {reason or 'keep'}")
    print(
        f"\n| URLs | n | same decision |\n|---|---:|---:|\n| WARC targets + {len(EDGE_URLS)} edge cases "
        f"| {len(urls)} | {same}/{len(urls)} |"
    )
    for line in differ:
        print("  differs:", line)


if __name__ == "__main__":
    main()
