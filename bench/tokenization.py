"""Benchmark: the tokenize phase vs raw `SentencePieceProcessor.encode` on the same documents.

    python bench/tokenization.py [--threads 1 2] [--repeat 3] [--copies 2] [--model PATH] [--wiki PATH]

Documents: Japanese Wikipedia pages from a (read-only) XML dump, markup stripped crudely, split
into paragraph blocks of at most ~3,000 characters, written as DOCUMENT_SCHEMA Parquet files.
Tokenizer: the LLM-jp v3 model if present (identity normalisation, as LLM-jp v3), else a model
trained here. Both sides use the same thread count and append EOS. "raw" times one
`encode(texts, num_threads=T)` call on texts already in memory; "ours" times the whole task (read
Parquet, encode in batches, build Arrow columns, write zstd Parquet atomically). Variants run in
interleaved rounds; each cell is the minimum over --repeat rounds.
Prints a markdown table.
"""

from __future__ import annotations

import argparse
import html
import lzma
import os
import re
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from corpus_builder.config.tokenize import TokenizeConfig
from corpus_builder.phases.base import RunContext
from corpus_builder.tokenize import Tokenizer
from corpus_builder.tokenize.phase import TokenizePhase, tokenize_file
from corpus_builder.writers.schema import DOCUMENT_SCHEMA

LLMJP = "/work/shared/models/llm-jp-tokenizer-100k.ver3.0b1.model"
WIKI = "/work/shared/data/wikipedia/jawiki-truncated-100k.xml.xz"


def strip_markup(text: str) -> str:
    text = html.unescape(text)
    text = re.sub(r"<ref[^>]*/>|<ref.*?</ref>", "", text, flags=re.S)
    text = re.sub(r"<[^>]+>", "", text)
    for _ in range(3):
        text = re.sub(r"\{\{[^{}]*\}\}", "", text)
    text = re.sub(r"\[\[(?:[^\[\]|]*\|)?([^\[\]]*)\]\]", r"\1", text)
    text = re.sub(r"\[https?://\S+ ?([^\]]*)\]", r"\1", text)
    text = re.sub(r"'{2,}", "", text)
    text = re.sub(r"^[=*#:;|!{}].*$", "", text, flags=re.M)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def documents(path: str, max_chars: int = 3000) -> list[str]:
    with lzma.open(path, "rt", encoding="utf-8", errors="replace") as f:
        xml = f.read()
    docs = []
    for raw in re.findall(r"<text[^>]*>(.*?)</text>", xml, flags=re.S):
        block = ""
        for para in strip_markup(raw).split("\n\n"):
            if len(block) + len(para) > max_chars and block:
                docs.append(block)
                block = ""
            block = f"{block}\n\n{para}" if block else para
        if block.strip():
            docs.append(block)
    return [d for d in docs if len(d) >= 50]


def write_docs(out: Path, texts: list[str], files: int) -> None:
    (out / "documents" / "ja").mkdir(parents=True, exist_ok=True)
    per = -(-len(texts) // files)
    for k in range(files):
        chunk = texts[k * per : (k + 1) * per]
        rows = {
            "id": [f"wiki-{k}-{i}" for i in range(len(chunk))],
            "text": chunk,
            "source": ["wiki"] * len(chunk),
            "warc_path": ["jawiki.xml.xz"] * len(chunk),
            "lang": ["ja"] * len(chunk),
            "lang_score": pa.array([1.0] * len(chunk), pa.float32()),
        }
        table = pa.table({f.name: rows.get(f.name, pa.nulls(len(chunk), f.type)) for f in DOCUMENT_SCHEMA})
        pq.write_table(table.cast(DOCUMENT_SCHEMA), out / "documents" / "ja" / f"wiki-{k:03d}.parquet")


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, nargs="+", default=[1, os.cpu_count() or 1])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--copies", type=int, default=2, help="repeat the Wikipedia text to get more data")
    parser.add_argument("--files", type=int, default=4)
    parser.add_argument("--model", default=LLMJP)
    parser.add_argument("--wiki", default=WIKI)
    args = parser.parse_args()

    texts = documents(args.wiki) * args.copies
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        write_docs(out, texts, args.files)
        if Path(args.model).exists():
            model, normalization, label = args.model, "identity", Path(args.model).name
        else:
            from corpus_builder.tokenize import train_tokenizer

            normalization = "nfkc"
            config = TokenizeConfig(train={"vocab_size": 32000, "sample_docs": {"ja": 5000}})
            model = str(out / "trained.model")
            train_tokenizer(config, str(out / "documents"), model)
            label = "trained unigram 32k"
        chars = sum(len(t) for t in texts)
        print(f"documents: {len(texts):,} ({chars:,} characters) in {args.files} files; tokenizer: {label}\n")
        print("| threads | variant | seconds | vs raw | tokens/s |")
        print("|---:|---|---:|---:|---:|")
        for threads in args.threads:
            config = TokenizeConfig(model=model, normalization=normalization, num_threads=threads)
            tokenizer = Tokenizer.load(model, config)
            sp = tokenizer._sp
            # raw: the texts of the same files, already in memory
            in_memory = [
                pq.read_table(p, columns=["text"])["text"].to_pylist()
                for p in sorted((out / "documents" / "ja").glob("*.parquet"))
            ]
            encoded = [sp.encode(batch, add_eos=True, num_threads=threads) for batch in in_memory]
            tokens = sum(len(x) for batch in encoded for x in batch)

            def raw(batches=in_memory, sp=sp, threads=threads) -> None:
                for batch in batches:
                    sp.encode(batch, add_eos=True, num_threads=threads)

            def arrow_only(batches=in_memory, tokenizer=tokenizer, size=config.batch_docs) -> None:
                for batch in batches:
                    for i in range(0, len(batch), size):
                        tokenizer.encode_arrow(batch[i : i + size])

            def task(update: dict, pre_nfkc: bool = False, config=config, tokenizer=tokenizer):
                cfg = config.model_copy(update=update)
                tok = tokenizer
                if pre_nfkc:
                    tok = Tokenizer(tokenizer.model_bytes, cfg.model_copy(update={"normalization": "nfkc"}))
                phase = TokenizePhase(cfg, RunContext(str(out), seed=0), "documents")
                folder = phase.ctx.folder()

                def run() -> None:
                    for source in phase.inputs():
                        tokenize_file(folder, source, phase.output_path(source), tok, cfg)

                return run

            variants = [
                ("raw `encode` (texts in memory)", raw),
                ("encode + Arrow columns, no I/O", arrow_only),
                ("**tokenize task** (zstd-3, default)", task({})),
                ("tokenize task, zstd-1", task({"compression_level": 1})),
                ("tokenize task, no compression", task({"compression": "none", "compression_level": None})),
            ]
            if normalization == "identity":
                variants.append(("tokenize task + NFKC in Python (zstd-3)", task({}, pre_nfkc=True)))
            # interleaved rounds (every variant once per round), min per variant: load drift on a shared
            # machine hits all variants alike instead of whichever happened to run during it
            times = {label: float("inf") for label, _ in variants}
            for _ in range(args.repeat):
                for label, fn in variants:
                    times[label] = min(times[label], best(fn, 1))
            t_raw = times[variants[0][0]]
            for label, _ in variants:
                seconds = times[label]
                print(
                    f"| {threads} | {label} | {seconds:.3f} | {100 * (seconds / t_raw - 1):+.1f}% | "
                    f"{tokens / seconds:,.0f} |"
                )
            print(f"|  | ({tokens:,} tokens) | | | |")


if __name__ == "__main__":
    main()
