"""Tokenizer training and the tokenize phase, on documents written here."""

from __future__ import annotations

import hashlib
import random
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from corpus_builder.config.tokenize import TokenizeConfig
from corpus_builder.phases.base import RunContext
from corpus_builder.phases.inline import run_phases
from corpus_builder.tokenize import Tokenizer, build_tokenize_phases, train_tokenizer
from corpus_builder.writers.schema import DOCUMENT_SCHEMA

JA_WORDS = [
    "東京",
    "大阪",
    "京都",
    "日本語",
    "文章",
    "学習",
    "言語",
    "モデル",
    "データ",
    "研究",
    "開発",
    "技術",
    "情報",
    "社会",
    "世界",
    "今日",
    "明日",
    "天気",
    "とても",
    "よい",
    "です",
    "ます",
    "した",
]
EN_WORDS = [
    "the",
    "quick",
    "brown",
    "fox",
    "jumps",
    "over",
    "lazy",
    "dog",
    "language",
    "model",
    "data",
    "training",
    "corpus",
    "token",
    "text",
    "web",
    "page",
]
CODE_LINES = ["def f(x):", "    return x + 1", "for i in range(10):", "    print(i)", "import os", "class A:"]


def make_text(lang: str, rng: random.Random) -> str:
    if lang == "ja":
        words, sep = JA_WORDS, ""
    elif lang == "en":
        words, sep = EN_WORDS, " "
    else:
        return "\n".join(rng.choice(CODE_LINES) for _ in range(rng.randint(2, 12)))
    sentences = [
        sep.join(rng.choice(words) for _ in range(rng.randint(3, 15))) for _ in range(rng.randint(1, 6))
    ]
    return ("。" if lang == "ja" else ". ").join(sentences) + ("。" if lang == "ja" else ".")


def document_rows(lang: str, source: str, n: int, seed: int) -> list[dict]:
    rng = random.Random(f"{seed}-{lang}-{source}")
    rows = []
    for i in range(n):
        rows.append(
            {
                "id": hashlib.sha1(f"{source}/{lang}/{seed}/{i}".encode()).hexdigest(),
                "text": make_text(lang, rng),
                "source": source,
                "url": f"https://example.com/{source}/{lang}/{i}",
                "snapshot": None,
                "warc_path": f"{source}.warc.gz",
                "record_id": None,
                "offset": i,
                "date": None,
                "lang": lang,
                "lang_score": 0.99,
                "charset": "utf-8",
                "charset_method": "utf8",
                "extractor": "test",
                "quality_signals": [{"key": "test.signal", "value": float(i)}],
            }
        )
    return rows


def write_documents(out: Path, layout: dict[tuple[str, str], list[int]], folder: str = "documents") -> None:
    """layout: (lang, source) → documents per file; files are <folder>/<lang>/<source>-<k>.parquet."""
    for (lang, source), sizes in layout.items():
        (out / folder / lang).mkdir(parents=True, exist_ok=True)
        for k, n in enumerate(sizes):
            rows = document_rows(lang, source, n, seed=k)
            table = pa.Table.from_pylist(rows, schema=DOCUMENT_SCHEMA)
            table = table.append_column("added_by_a_later_stage", pa.array([f"x{i}" for i in range(n)]))
            pq.write_table(table, out / folder / lang / f"{source}-{k:03d}.parquet")


def tiny_config(**overrides) -> TokenizeConfig:
    train = {
        "vocab_size": 500,
        "sample_docs": {"ja": 200, "en": 200, "code": 100},
        **overrides.pop("train", {}),
    }
    return TokenizeConfig(train=train, num_threads=2, batch_docs=64, **overrides)


LAYOUT = {("ja", "cc"): [150, 120], ("en", "cc"): [150], ("code", "stack"): [80]}


@pytest.fixture(scope="module")
def tokenized_run(tmp_path_factory) -> tuple[Path, TokenizeConfig]:
    out = tmp_path_factory.mktemp("run")
    write_documents(out, LAYOUT)
    config = tiny_config()
    ran = run_phases(build_tokenize_phases(config, RunContext(str(out), seed=7), "documents"))
    assert ran == ["tokenizer.train", "tokenize"]
    return out, config


def test_train_is_deterministic(tmp_path: Path) -> None:
    write_documents(tmp_path, LAYOUT)
    config = tiny_config()
    a = train_tokenizer(config, str(tmp_path / "documents"), str(tmp_path / "a" / "t.model"), seed=3)
    b = train_tokenizer(config, str(tmp_path / "documents"), str(tmp_path / "b" / "t.model"), seed=3)
    assert (tmp_path / "a" / "t.model").read_bytes() == (tmp_path / "b" / "t.model").read_bytes()
    assert a == b and a.vocab_size == 500 and a.model_type == "unigram" and a.byte_fallback
    assert a.normalizer == "nfkc" and not a.pre_normalize and a.dtype == "uint16"
    bpe = train_tokenizer(
        tiny_config(train={"model_type": "bpe"}),
        str(tmp_path / "documents"),
        str(tmp_path / "c.model"),
        seed=3,
    )
    assert bpe.model_type == "bpe" and bpe.sha256 != a.sha256


def test_tokenized_output(tokenized_run) -> None:
    out, config = tokenized_run
    files = sorted(p.relative_to(out).as_posix() for p in (out / "tokenized").rglob("*.parquet"))
    assert files == [
        "tokenized/code/stack-000.parquet",
        "tokenized/en/cc-000.parquet",
        "tokenized/ja/cc-000.parquet",
        "tokenized/ja/cc-001.parquet",
    ]
    tokenizer = Tokenizer.load(str(out / "tokenizer" / "tokenizer.model"), config)
    eos = tokenizer.info.eos_id
    for name in files:
        source = pq.read_table(out / name.replace("tokenized", "documents"))
        table = pq.read_table(out / name)
        assert table.column_names == source.column_names + ["token_count", "input_ids"]
        assert table.schema.field("input_ids").type == pa.list_(pa.uint16())
        assert table.schema.field("token_count").type == pa.int64()
        assert table.drop_columns(["token_count", "input_ids"]).equals(source)
        ids = table.column("input_ids").to_pylist()
        assert table.column("token_count").to_pylist() == [len(x) for x in ids]
        assert all(x[-1] == eos and eos not in x[:-1] for x in ids)
        texts = source.column("text").to_pylist()
        assert [x[:-1] for x in ids] == tokenizer._sp.encode(texts)
        # whitespace and line breaks survive (code indentation)
        assert tokenizer._sp.decode(ids[0][:-1]) == texts[0]


def test_rerun_is_byte_identical_and_no_eos(tokenized_run, tmp_path: Path) -> None:
    out, config = tokenized_run
    before = {p: p.read_bytes() for p in (out / "tokenized").rglob("*") if p.is_file()}
    run_phases(build_tokenize_phases(config, RunContext(str(out), seed=7), "documents"))
    after = {p: p.read_bytes() for p in (out / "tokenized").rglob("*") if p.is_file()}
    assert before == after
    assert not list(out.rglob("*.inprogress"))
    # a given model, no EOD, reading a `deduped/` folder
    write_documents(tmp_path, {("ja", "cc"): [20]}, folder="deduped")
    given = TokenizeConfig(model=str(out / "tokenizer" / "tokenizer.model"), add_eos=False)
    assert run_phases(build_tokenize_phases(given, RunContext(str(tmp_path), 0), "deduped")) == [
        "tokenize"
    ]
    table = pq.read_table(tmp_path / "tokenized" / "ja" / "cc-000.parquet")
    eos = Tokenizer.load(str(out / "tokenizer" / "tokenizer.model"), given).info.eos_id
    assert all(eos not in x for x in table.column("input_ids").to_pylist())


def test_normalisation_is_explicit(tokenized_run) -> None:
    out, _ = tokenized_run
    model = str(out / "tokenizer" / "tokenizer.model")
    with pytest.raises(ValueError, match="normalises with 'nfkc'"):
        Tokenizer.load(model, TokenizeConfig(model=model, normalization="identity"))
    nfkc = Tokenizer.load(model, TokenizeConfig(model=model))
    # NFKC folds full-width letters and half-width katakana
    assert nfkc.encode(["ＡＢＣ ｶﾀｶﾅ"]) == nfkc.encode(["ABC カタカナ"])


def test_config_validation() -> None:
    with pytest.raises(ValueError, match="`model`"):
        TokenizeConfig()
    with pytest.raises(ValueError, match="Extra inputs"):
        TokenizeConfig(model="x.model", vocab=3)


def test_phases_pickle_for_worker_processes(tokenized_run) -> None:
    import pickle

    out, config = tokenized_run
    phases = build_tokenize_phases(config, RunContext(str(out), seed=7), "documents")
    tokenize = phases[-1]
    assert tokenize.tokenizer.info.vocab_size == 500  # loaded in the driver
    clone = pickle.loads(pickle.dumps(tokenize))
    assert clone._tokenizer is None and clone.tokenizer.info == tokenize.tokenizer.info
    assert clone.num_tasks() == 4
