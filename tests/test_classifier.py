"""The learned quality classifier: features, metrics, training, the model file, the verb, the stage."""

from __future__ import annotations

import gzip
import hashlib
import json
import random
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from datatrove.data import Document
from typer.testing import CliRunner

from corpus_builder.classify.features import FeatureSpec, featurize, take_rows
from corpus_builder.classify.linear import (
    ClassifierModelError,
    LinearModel,
    TrainSettings,
    load_model,
    save_model,
    train,
)
from corpus_builder.classify.metrics import precision_at_fraction, roc_auc, top_fraction_threshold
from corpus_builder.classify.training import TrainingInputError, read_texts, train_classifier
from corpus_builder.cli import app
from corpus_builder.config.stages import ClassifierStage
from corpus_builder.contracts.document import DROP_REASON
from corpus_builder.stages.classifier import QualityClassifier

SMALL = FeatureSpec(dimensions=1 << 12)

ARTICLE_WORDS = ["研究", "発表", "地域", "歴史", "文化", "調査", "結果", "報告", "技術", "社会"]
SHOP_WORDS = ["送料無料", "ポイント", "カート", "ログイン", "会員登録", "セール", "在庫", "価格"]


def _articles(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [
        "".join(f"{rng.choice(ARTICLE_WORDS)}の{rng.choice(ARTICLE_WORDS)}について述べる。" for _ in range(8))
        for _ in range(count)
    ]


def _shop_pages(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [" ".join(rng.choice(SHOP_WORDS) for _ in range(20)) for _ in range(count)]


def test_features_are_fixed_unit_length_rows() -> None:
    rows = featurize(["ab", "", "ab ab"], SMALL)
    assert rows.rows == 3 and np.diff(rows.indptr)[1] == 0
    # the hash is ours, not Python's salted one: these buckets hold in every process
    assert rows.indices[: rows.indptr[1]].tolist() == sorted(rows.indices[: rows.indptr[1]].tolist())
    assert featurize(["ab"], SMALL).indices.tolist() == [117, 1665, 2510]
    for row in (0, 2):
        values = rows.values[rows.indptr[row] : rows.indptr[row + 1]]
        assert np.dot(values, values) == pytest.approx(1.0)
    # whitespace runs are one space, so layout does not change a document's features
    assert featurize(["a  b\n\nc"], SMALL).indices.tolist() == featurize(["a b c"], SMALL).indices.tolist()


def test_take_rows_and_products_agree_with_a_dense_matrix() -> None:
    texts = ["東京の天気", "", "晴れのち曇り", "abc"]
    rows = featurize(texts, SMALL)
    dense = np.zeros((rows.rows, SMALL.dimensions))
    for i in range(rows.rows):
        span = slice(rows.indptr[i], rows.indptr[i + 1])
        dense[i, rows.indices[span]] = rows.values[span]
    weights = np.random.default_rng(0).normal(size=SMALL.dimensions)
    np.testing.assert_allclose(rows.dot(weights), dense @ weights)
    np.testing.assert_allclose(rows.transposed_dot(np.arange(4.0), SMALL.dimensions), np.arange(4.0) @ dense)
    picked = take_rows(rows, [3, 0, 1])
    np.testing.assert_allclose(picked.dot(weights), (dense @ weights)[[3, 0, 1]])


def test_auc_matches_counting_pairs_with_ties_as_half() -> None:
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 2, 200)
    scores = np.round(rng.random(200) + labels * 0.3, 1)  # rounding makes many ties
    pairs = [(p, n) for p in scores[labels == 1] for n in scores[labels == 0]]
    expected = sum(1.0 if p > n else 0.5 if p == n else 0.0 for p, n in pairs) / len(pairs)
    assert roc_auc(labels, scores) == pytest.approx(expected)
    assert roc_auc(np.array([1, 0]), np.array([0.9, 0.1])) == 1.0
    with pytest.raises(ValueError):
        roc_auc(np.array([1, 1]), np.array([0.1, 0.2]))


def test_precision_and_threshold_at_the_kept_fraction() -> None:
    labels = np.array([1, 0, 1, 0, 0])
    scores = np.array([0.9, 0.8, 0.7, 0.2, 0.1])
    assert precision_at_fraction(labels, scores, 0.4) == 0.5
    assert precision_at_fraction(labels, scores, 0.2) == 1.0
    assert top_fraction_threshold(scores, 0.6) == 0.7


def test_training_separates_the_classes_and_is_deterministic(tmp_path: Path) -> None:
    texts = _articles(60, 0) + _shop_pages(60, 0)
    labels = np.array([1] * 60 + [0] * 60)
    rows = featurize(texts, SMALL)
    first = train(rows, labels, SMALL, TrainSettings(iterations=100))
    again = train(rows, labels, SMALL, TrainSettings(iterations=100))
    assert np.array_equal(first.weights, again.weights) and first.bias == again.bias
    scores = first.score(_articles(10, 1) + _shop_pages(10, 1))
    assert scores[:10].min() > 0.5 > scores[10:].max()
    assert save_model(first, tmp_path / "a.npz") == save_model(again, tmp_path / "b.npz")
    with pytest.raises(ValueError, match="both"):
        train(rows, np.ones(120), SMALL, TrainSettings())


def test_model_file_round_trips_and_foreign_files_are_refused(tmp_path: Path) -> None:
    model = LinearModel(SMALL, np.arange(SMALL.dimensions, dtype=np.float32), 0.25, {"note": "x"})
    sha = save_model(model, tmp_path / "m.npz")
    assert sha == hashlib.sha256((tmp_path / "m.npz").read_bytes()).hexdigest()
    loaded = load_model(tmp_path / "m.npz")
    assert loaded.spec == SMALL and loaded.bias == 0.25 and loaded.info == {"note": "x"}
    assert np.array_equal(loaded.weights, model.weights)
    np.savez(tmp_path / "other.npz", weights=np.zeros(3))
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    for bad in ("other.npz", "junk.npz", "missing.npz"):
        with pytest.raises(ClassifierModelError):
            load_model(tmp_path / bad)


def _write_inputs(tmp_path: Path) -> tuple[Path, Path]:
    run = tmp_path / "run" / "documents" / "ja"
    run.mkdir(parents=True)
    articles = _articles(80, 2)
    pq.write_table(pa.table({"text": articles[:40]}), run / "00000.parquet")
    pq.write_table(pa.table({"text": articles[40:]}), run / "00001.parquet")
    (tmp_path / "run" / "excluded").mkdir()
    pq.write_table(pa.table({"text": ["never read"]}), tmp_path / "run" / "excluded" / "00000.parquet")
    negatives = tmp_path / "shop.jsonl.gz"
    with gzip.open(negatives, "wt", encoding="utf-8") as f:
        for text in _shop_pages(80, 2):
            f.write(json.dumps({"text": text}, ensure_ascii=False) + "\n")
    return tmp_path / "run", negatives


def test_read_texts_takes_a_runs_kept_documents_and_jsonl(tmp_path: Path) -> None:
    run, negatives = _write_inputs(tmp_path)
    assert read_texts([str(run)]) == _articles(80, 2)
    assert read_texts([str(negatives)]) == _shop_pages(80, 2)
    with pytest.raises(TrainingInputError, match="column"):
        read_texts([str(run)], column="body")
    (tmp_path / "empty.jsonl").write_text("\n", encoding="utf-8")
    with pytest.raises(TrainingInputError, match="no documents"):
        read_texts([str(tmp_path / "empty.jsonl")])
    (tmp_path / "broken.jsonl").write_text("{\n", encoding="utf-8")
    with pytest.raises(TrainingInputError, match="broken.jsonl:1"):
        read_texts([str(tmp_path / "broken.jsonl")])


def test_train_classifier_reports_held_out_figures_and_seeds_the_split(tmp_path: Path) -> None:
    positives, negatives = _articles(50, 3), _shop_pages(50, 3)
    report = train_classifier(positives, negatives, str(tmp_path / "m.npz"), seed=5, spec=SMALL)
    assert (report.held_out_positives, report.held_out_negatives) == (10, 10)
    assert report.auc == 1.0 and report.precision_at_kept == 1.0
    same = train_classifier(positives, negatives, str(tmp_path / "n.npz"), seed=5, spec=SMALL)
    other = train_classifier(positives, negatives, str(tmp_path / "o.npz"), seed=6, spec=SMALL)
    assert same.sha256 == report.sha256 != other.sha256
    assert load_model(tmp_path / "m.npz").info["seed"] == 5


def test_train_classifier_verb(tmp_path: Path) -> None:
    run, negatives = _write_inputs(tmp_path)
    model = tmp_path / "model.npz"
    args = ["train-classifier", "--positive", str(run), "--negative", str(negatives), "-o", str(model)]
    result = CliRunner().invoke(app, [*args, "--kept-fraction", "0.5", "--dimensions", "4096"])
    assert result.exit_code == 0, result.output
    assert "held-out AUC: 1.0000" in result.output and "keeping the best 50%" in result.output
    assert f"sha256 {hashlib.sha256(model.read_bytes()).hexdigest()}" in result.output
    missing = CliRunner().invoke(app, [*args[:2], str(tmp_path / "nope"), *args[3:]])
    assert missing.exit_code == 2 and "nope" in missing.output
    odd = CliRunner().invoke(app, [*args, "--dimensions", "1000"])
    assert odd.exit_code == 2 and "power of two" in odd.output


def _stage_model(tmp_path: Path) -> tuple[Path, str]:
    report = train_classifier(_articles(40, 4), _shop_pages(40, 4), str(tmp_path / "m.npz"), spec=SMALL)
    return tmp_path / "m.npz", report.sha256


def test_classifier_stage_scores_keeps_by_threshold_and_records_the_model(tmp_path: Path) -> None:
    path, sha = _stage_model(tmp_path)
    step = QualityClassifier(ClassifierStage(model_path="m.npz", min_score=0.5), base_dir=str(tmp_path))
    docs = [
        Document(text=_articles(1, 9)[0], id="article", metadata={"lang": "ja"}),
        Document(text=_shop_pages(1, 9)[0], id="shop", metadata={"lang": "ja"}),
        Document(text=_shop_pages(1, 9)[0], id="english", metadata={"lang": "en"}),
    ]
    out = {doc.id: doc for doc in step.run(docs)}
    assert out["article"].metadata["quality_signals"]["classifier.score"] > 0.5
    assert DROP_REASON not in out["article"].metadata
    assert out["shop"].metadata[DROP_REASON] == "score_low"
    assert "quality_signals" not in out["english"].metadata  # not one of its languages
    assert step.stats[f"model_sha256.{sha}"].total == 2
    with pytest.raises(ClassifierModelError, match="expects"):
        QualityClassifier(ClassifierStage(model_path=str(path), model_sha256="0" * 64))
    QualityClassifier(ClassifierStage(model_path=str(path), model_sha256=sha))


@pytest.mark.slow
def test_classifier_stage_in_a_run(tmp_path: Path) -> None:
    from corpus_builder.run import RunOptions, run_pipeline
    from corpus_builder.writers.schema import as_dict

    _stage_model(tmp_path)
    lines = [{"id": f"a{i}", "text": t} for i, t in enumerate(_articles(5, 7))]
    lines += [{"id": f"s{i}", "text": t} for i, t in enumerate(_shop_pages(5, 7))]
    (tmp_path / "docs.jsonl").write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n")
    pipeline = tmp_path / "p.yaml"
    pipeline.write_text(
        f"""name: clf
seed: 0
sources: [{{name: web, kind: dolma, paths: ["{tmp_path}/docs.jsonl"]}}]
stages:
  - step: langid
    keep: {{ja: 0.5}}
  - step: classifier
    model_path: m.npz
    min_score: 0.5
output: {{dir: {tmp_path}/out}}
""",
        encoding="utf-8",
    )
    run_pipeline(pipeline, RunOptions())
    kept = pq.read_table(tmp_path / "out" / "documents" / "ja").to_pylist()
    assert sorted(r["id"] for r in kept) == [f"a{i}" for i in range(5)]
    assert all(as_dict(r["quality_signals"])["classifier.score"] > 0.5 for r in kept)
    excluded = pq.read_table(tmp_path / "out" / "excluded").to_pylist()
    assert {(r["stage"], r["reason"]) for r in excluded} == {("classifier", "score_low")}
