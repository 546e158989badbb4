"""Helpers shared by tests/test_dedup*.py (no tests here): documents shaped like the pipeline writes them."""

from __future__ import annotations

import hashlib
import random
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from corpus_builder.config.dedup import DedupConfig
from corpus_builder.dedup import build_dedup_phases
from corpus_builder.phases.base import RunContext
from corpus_builder.phases.inline import run_phases
from corpus_builder.writers.schema import DOCUMENT_SCHEMA

REPO = Path(__file__).resolve().parents[1]


def sentences(name: str) -> list[str]:
    lines = (REPO / "corpus_builder/samples/texts" / name).read_text(encoding="utf-8").splitlines()
    return [s for s in lines if s and not s.startswith("#")]


JA = sentences("ja_prose.txt")
EN = sentences("en_prose.txt")


def article(rng: random.Random, pool: list[str], n: int = 8, sep: str = "") -> str:
    return sep.join(rng.sample(pool, n))


def edit(text: str, rng: random.Random, edits: int, alphabet: str = "あいうえおかきくけこ") -> str:
    chars = list(text)
    for _ in range(edits):
        chars[rng.randrange(len(chars))] = rng.choice(alphabet)
    return "".join(chars)


def doc(
    id: str,
    text: str,
    source: str = "cc",
    url: str | None = None,
    snapshot: str | None = "CC-MAIN-2024-10",
    lang: str = "ja",
) -> dict:
    return {
        "id": id,
        "text": text,
        "source": source,
        "url": url or f"https://{hashlib.md5(id.encode()).hexdigest()[:8]}.example/{id}",
        "snapshot": snapshot,
        "warc_path": f"{source}/{snapshot}.warc.gz",
        "record_id": f"<urn:uuid:{id}>",
        "offset": 0,
        "date": "2024-03-01T00:00:00Z",
        "lang": lang,
        "lang_score": 0.99,
        "charset": "utf-8",
        "charset_method": "utf8",
        "extractor": "trafilatura",
        "quality_signals": [{"key": "swallow.hiragana_fraction", "value": 0.3}],
    }


def write_docs(out: Path, lang: str, task: str, docs: list[dict]) -> None:
    path = out / "documents" / lang / f"{task}.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(docs, schema=DOCUMENT_SCHEMA), path)


def run_dedup(out: Path, shuffle_seed: int | None = None, **config) -> list[str]:
    cfg = DedupConfig(**config)
    ctx = RunContext(output_dir=str(out), seed=0)
    return run_phases(build_dedup_phases(cfg, ctx), shuffle_seed=shuffle_seed)


def read_all(out: Path, sub: str) -> pa.Table | None:
    files = sorted((out / sub).rglob("*.parquet"))
    if not files:
        return None
    return pa.concat_tables([pq.read_table(f) for f in files], promote_options="default")


def kept_ids(out: Path) -> set[str]:
    t = read_all(out, "deduped")
    return set(t.column("id").to_pylist()) if t is not None else set()


def excluded(out: Path) -> dict[str, dict]:
    t = read_all(out, "excluded")
    return {r["id"]: r for r in t.to_pylist()} if t is not None else {}


def output_bytes(out: Path) -> dict[str, bytes]:
    """Every final output file (not dedup/work) → its bytes."""
    files = {}
    for sub in ("deduped", "excluded", "counts", "dedup/clusters", "dedup/index"):
        for f in sorted((out / sub).rglob("*")):
            if f.is_file():
                files[str(f.relative_to(out))] = f.read_bytes()
    return files
