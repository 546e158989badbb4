"""Mixture: epochs, token budgets, the two-stage shuffle, shards, manifest, plan."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from corpus_builder.config.mixture import MixtureConfig, MixturePlanFile
from corpus_builder.mixture import build_mixture_phases, plan_table
from corpus_builder.mixture.phases import assign_partitions, doc_hashes
from corpus_builder.mixture.plan import measure_tokenized
from corpus_builder.phases.base import RunContext
from corpus_builder.phases.inline import run_phases
from corpus_builder.tokenize import build_tokenize_phases
from tests.test_tokenize import tiny_config, write_documents

LAYOUT = {
    ("ja", "cc"): [120, 90],
    ("ja", "wiki"): [150],
    ("en", "cc"): [140],
    ("code", "stack"): [60],
}


def files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def tokenized(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("tok")
    write_documents(out, LAYOUT)
    run_phases(build_tokenize_phases(tiny_config(), RunContext(str(out), seed=1), "documents"))
    return out


def mixture_config(tokenized: Path, **overrides) -> MixtureConfig:
    counts = measure_tokenized(str(tokenized))
    wiki_unique = counts["wiki/ja"][1]
    subsets = {
        "cc/ja": {"epochs": 2},
        "wiki/ja": {"target_tokens": int(wiki_unique * 1.37)},
        "cc/en": {"epochs": 0.5},
    }
    return MixtureConfig(subsets=subsets, shard_tokens=4000, seed=11, **overrides)


@pytest.fixture(scope="module")
def mixed(tokenized: Path, tmp_path_factory) -> tuple[Path, MixtureConfig]:
    out = tmp_path_factory.mktemp("mix")
    shutil.copytree(tokenized / "tokenized", out / "tokenized")
    config = mixture_config(tokenized)
    ran = run_phases(build_mixture_phases(config, RunContext(str(out), seed=0)))
    assert ran == ["mixture.scan", "mixture.partition", "mixture.shuffle"]
    return out, config


def shard_table(out: Path) -> pa.Table:
    return pa.concat_tables(pq.read_table(p) for p in sorted((out / "mixture" / "shards").glob("*.parquet")))


def test_shards_and_manifest_agree_in_three_readers(mixed) -> None:
    out, _ = mixed
    manifest = json.loads((out / "mixture" / "manifest.json").read_text())
    shards = sorted((out / "mixture" / "shards").glob("*.parquet"))
    assert [s["path"] for s in manifest["shards"]] == [f"shards/{p.name}" for p in shards]
    assert len(shards) > 3
    assert manifest["tokenizer"]["vocab_size"] == 500 and manifest["tokenizer"]["dtype"] == "uint16"
    assert manifest["code_version"] == __import__("corpus_builder").__version__
    for entry, path in zip(manifest["shards"], shards, strict=True):
        table = pq.read_table(path)
        assert table.schema.field("input_ids").type == pa.list_(pa.uint16())
        frame = pl.read_parquet(path)
        (duck_docs, duck_tokens, duck_ids) = duckdb.sql(
            f"select count(*), sum(token_count), sum(len(input_ids)) from read_parquet('{path}')"
        ).fetchall()[0]
        assert entry["documents"] == table.num_rows == frame.height == duck_docs
        assert entry["tokens"] == pa.compute.sum(table["token_count"]).as_py() == frame["token_count"].sum()
        assert entry["tokens"] == duck_tokens == duck_ids == frame["input_ids"].list.len().sum()
        per_subset = frame.group_by(pl.concat_str(["source", "lang"], separator="/")).agg(
            pl.col("token_count").sum()
        )
        assert dict(per_subset.iter_rows()) == entry["tokens_per_subset"]
        # shard size is an upper bound up to the one document that crosses it
        assert entry["tokens"] - table["token_count"][-1].as_py() < 4000
    all_rows = shard_table(out)
    totals = manifest["totals"]
    assert totals["seen_tokens"] == pa.compute.sum(all_rows["token_count"]).as_py()
    assert totals["seen_documents"] == all_rows.num_rows
    counts = measure_tokenized(str(out))
    assert totals["by_lang"]["ja"]["unique_tokens"] == counts["cc/ja"][1] + counts["wiki/ja"][1]
    assert totals["by_source"]["stack"]["seen_tokens"] == counts["stack/code"][1]
    assert not (out / "mixture" / "_partitions").exists()


def test_rerun_is_byte_identical(mixed, tmp_path: Path) -> None:
    out, config = mixed
    before = files(out / "mixture")
    run_phases(build_mixture_phases(config, RunContext(str(out), seed=0)))
    assert files(out / "mixture") == before
    # and in a fresh directory
    shutil.copytree(out / "tokenized", tmp_path / "tokenized")
    run_phases(build_mixture_phases(config, RunContext(str(tmp_path), seed=0)))
    assert files(tmp_path / "mixture") == before
    # another seed shuffles differently
    other = config.model_copy(update={"seed": 12})
    shutil.rmtree(tmp_path / "mixture")
    run_phases(build_mixture_phases(other, RunContext(str(tmp_path), seed=0)))
    assert files(tmp_path / "mixture")["shards/000000.parquet"] != before["shards/000000.parquet"]


def test_epoch_two_each_document_twice_never_adjacent(mixed) -> None:
    out, _ = mixed
    rows = shard_table(out).select(["id", "source", "lang", "copy"]).to_pylist()
    keys = [(r["source"], r["lang"], r["id"]) for r in rows]
    count = Counter(keys)
    unique = pq.read_table(out / "tokenized" / "ja" / "cc-000.parquet", columns=["id"])["id"].to_pylist()
    unique += pq.read_table(out / "tokenized" / "ja" / "cc-001.parquet", columns=["id"])["id"].to_pylist()
    assert {k[2] for k in count if k[:2] == ("cc", "ja")} == set(unique)
    assert all(count[("cc", "ja", i)] == 2 for i in unique)
    assert all(keys[i] != keys[i + 1] for i in range(len(keys) - 1))
    # never two copies in one shard; copies 0 and 1 both present
    for path in (out / "mixture" / "shards").glob("*.parquet"):
        ids = pq.read_table(path, columns=["id"])["id"].to_pylist()
        assert len(ids) == len(set(ids))
    assert Counter(r["copy"] for r in rows if r["source"] == "cc" and r["lang"] == "ja") == {
        0: len(unique),
        1: len(unique),
    }
    # stack/code is not listed: default_epochs 1
    assert {count[k] for k in count if k[:2] == ("stack", "code")} == {1}


def test_fractional_factors_hit_their_target_within_one_document(mixed) -> None:
    out, config = mixed
    manifest = json.loads((out / "mixture" / "manifest.json").read_text())
    counts = measure_tokenized(str(out))
    for name, wanted in (
        ("wiki/ja", config.subsets["wiki/ja"].target_tokens),
        ("cc/en", round(0.5 * counts["cc/en"][1])),
    ):
        lang = name.split("/")[1]
        source = name.split("/")[0]
        largest = max(
            pq.read_table(p, columns=["token_count"])["token_count"].to_pylist()[i]
            for p in (out / "tokenized" / lang).glob(f"{source}-*.parquet")
            for i in range(pq.read_metadata(p).num_rows)
        )
        seen = manifest["subsets"][name]["seen_tokens"]
        assert abs(seen - wanted) <= largest / 2, (name, seen, wanted, largest)
        assert manifest["subsets"][name]["sampled_tokens"] > 0
    wiki = manifest["subsets"]["wiki/ja"]
    assert wiki["full_copies"] == 1 and 1.3 < wiki["epochs"] < 1.45
    assert manifest["subsets"]["cc/en"]["full_copies"] == 0


def test_partition_assignment_spreads_copies() -> None:
    h = doc_hashes(["a/ja"] * 5000, [str(i) for i in range(5000)], seed=3)
    copies = np.array([1, 2, 3, 4, 2] * 1000)
    rows, copy, part, key = assign_partitions(h, copies, partitions=10)
    assert len(rows) == copies.sum()
    by_row: dict[int, list[int]] = {}
    for r, p in zip(rows.tolist(), part.tolist(), strict=True):
        by_row.setdefault(r, []).append(p)
    for ps in by_row.values():
        ps.sort()
        assert all(b - a >= 2 for a, b in zip(ps, ps[1:], strict=False))
    # roughly uniform over partitions
    assert np.bincount(part, minlength=10).min() > 0.6 * len(part) / 10


def test_too_few_partitions_for_the_copies(tokenized: Path, tmp_path: Path) -> None:
    shutil.copytree(tokenized / "tokenized", tmp_path / "tokenized")
    config = MixtureConfig(subsets={"cc/ja": {"epochs": 3}}, partitions=6)
    with pytest.raises(ValueError, match="need at least 7"):
        run_phases(build_mixture_phases(config, RunContext(str(tmp_path), seed=0)))


def test_plan_measured_and_given(mixed, repo: Path, capsys) -> None:
    out, config = mixed
    table = plan_table(config, output_dir=str(out), echo=True)
    printed = capsys.readouterr().out
    assert "| cc/ja |" in printed and "| 2.00 |" in printed
    counts = measure_tokenized(str(out))
    assert table.by_lang()["ja"][0] == counts["cc/ja"][1] + counts["wiki/ja"][1]
    plan_file = MixturePlanFile.model_validate(
        yaml.safe_load((repo / "pipelines/llm-jp-v3-mixture.yaml").read_text())
    )
    llmjp = plan_table(plan_file.mixture)
    assert llmjp.seen_tokens == 2_072_488_058_295
    text = str(llmjp)
    assert "2,072,488,058,295" in text
    assert "ja: 592.2B unique → 1,007.2B seen" in text
    assert len(llmjp.plans) == 19


def test_config_errors() -> None:
    with pytest.raises(ValueError, match="not both"):
        MixtureConfig(subsets={"cc/ja": {"epochs": 2, "target_tokens": 10}})
    with pytest.raises(ValueError, match="<source>/<lang>"):
        MixtureConfig(subsets={"ccja": {"epochs": 2}})
    with pytest.raises(ValueError, match="Extra inputs"):
        MixtureConfig(shard_size=3)
    with pytest.raises(ValueError, match="no `tokens:`"):
        plan_table(MixtureConfig(subsets={"cc/ja": {"epochs": 2}}))
