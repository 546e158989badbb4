"""`corpus-build train-classifier`: read positives and negatives, split by seed, fit, measure, save.

Inputs are a run's output folder (its kept `documents/`), a folder of Parquet/JSONL files, or single
files; every file is read in sorted path order, so the same inputs give the same rows. The held-out
part is never seen by training; AUC and the precision at the kept fraction are measured on it.
"""

from __future__ import annotations

import gzip
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from corpus_builder.classify.features import FeatureSpec, featurize, take_rows
from corpus_builder.classify.linear import TrainSettings, save_model, train
from corpus_builder.classify.metrics import precision_at_fraction, roc_auc, top_fraction_threshold
from corpus_builder.contracts import outputs
from corpus_builder.contracts.errors import BadInputError

_SUFFIXES = (".parquet", ".jsonl", ".jsonl.gz", ".json")


class TrainingInputError(BadInputError):
    """An input that holds no usable text."""


def _files(path: Path) -> list[Path]:
    if not path.exists():
        raise FileNotFoundError(f"no such file or folder: {path}")
    if path.is_file():
        return [path]
    root = path / outputs.DOCUMENTS if (path / outputs.DOCUMENTS).is_dir() else path
    return sorted(p for p in root.rglob("*") if p.is_file() and p.name.endswith(_SUFFIXES))


def _texts_of(path: Path, column: str) -> Iterator[str]:
    if path.name.endswith(".parquet"):
        if column not in pq.read_schema(path).names:
            raise KeyError(column)
        table = pq.read_table(path, columns=[column])
        yield from (text for text in table.column(column).to_pylist() if text)
        return
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                text = json.loads(line).get(column)
            except (json.JSONDecodeError, AttributeError):
                raise TrainingInputError(f"{path}:{number}: not a JSON object") from None
            if text:
                yield text


def read_texts(paths: list[str], column: str = "text") -> list[str]:
    texts: list[str] = []
    for given in paths:
        files = _files(Path(given))
        try:
            found = [text for file in files for text in _texts_of(file, column)]
        except KeyError:
            raise TrainingInputError(f"{given}: no column {column!r}") from None
        if not found:
            raise TrainingInputError(f"{given}: no documents with a {column!r} text")
        texts.extend(found)
    return texts


def feature_spec(dimensions: int) -> FeatureSpec:
    try:
        return FeatureSpec(dimensions=dimensions)
    except ValueError as exc:
        raise TrainingInputError(str(exc)) from None


@dataclass(frozen=True)
class TrainingReport:
    model_path: str
    sha256: str
    train_positives: int
    train_negatives: int
    held_out_positives: int
    held_out_negatives: int
    auc: float
    kept_fraction: float
    precision_at_kept: float
    threshold_at_kept: float
    iterations: int
    train_seconds: float
    score_docs_per_s: float

    def render(self) -> str:
        return "\n".join(
            [
                f"train: {self.train_positives} positive, {self.train_negatives} negative documents "
                f"({self.iterations} iterations, {self.train_seconds:.1f} s)",
                f"held out: {self.held_out_positives} positive, {self.held_out_negatives} negative",
                f"held-out AUC: {self.auc:.4f}",
                f"precision keeping the best {self.kept_fraction:.0%}: {self.precision_at_kept:.4f} "
                f"(score threshold {self.threshold_at_kept:.4f})",
                f"scoring: {self.score_docs_per_s:,.0f} docs/s (one core, features included)",
                f"wrote {self.model_path}",
                f"sha256 {self.sha256}",
            ]
        )


def _sample(texts: list[str], limit: int | None, rng: np.random.Generator) -> list[str]:
    if limit is None or len(texts) <= limit:
        return texts
    return [texts[i] for i in np.sort(rng.choice(len(texts), size=limit, replace=False))]


def _split(count: int, holdout: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    order = rng.permutation(count)
    held = max(1, round(count * holdout))
    if held >= count:
        raise TrainingInputError(f"{count} documents cannot spare a held-out share of {holdout}")
    return np.sort(order[held:]), np.sort(order[:held])


def train_classifier(
    positives: list[str],
    negatives: list[str],
    model_path: str,
    *,
    seed: int = 0,
    holdout: float = 0.2,
    kept_fraction: float = 0.3,
    max_docs: int | None = None,
    spec: FeatureSpec | None = None,
    settings: TrainSettings | None = None,
) -> TrainingReport:
    """Train on texts (positives = the kind to keep), evaluate on a seeded held-out share, save."""
    spec, settings = spec or FeatureSpec(), settings or TrainSettings()
    rng = np.random.default_rng(seed)
    positives, negatives = _sample(positives, max_docs, rng), _sample(negatives, max_docs, rng)
    texts = positives + negatives
    labels = np.concatenate([np.ones(len(positives)), np.zeros(len(negatives))])
    train_pos, held_pos = _split(len(positives), holdout, rng)
    train_neg, held_neg = _split(len(negatives), holdout, rng)
    train_rows = np.concatenate([train_pos, train_neg + len(positives)])
    held_rows = np.concatenate([held_pos, held_neg + len(positives)])
    features = featurize(texts, spec)
    started = time.process_time()
    model = train(take_rows(features, train_rows), labels[train_rows], spec, settings)
    train_seconds = time.process_time() - started
    model.info |= {"seed": seed, "holdout": holdout}
    held_texts = [texts[i] for i in held_rows]
    started = time.process_time()
    scores = model.score(held_texts)
    score_seconds = max(time.process_time() - started, 1e-9)
    held_labels = labels[held_rows]
    model.info |= {"held_out_auc": roc_auc(held_labels, scores)}
    sha256 = save_model(model, model_path)
    return TrainingReport(
        model_path=model_path,
        sha256=sha256,
        train_positives=len(train_pos),
        train_negatives=len(train_neg),
        held_out_positives=len(held_pos),
        held_out_negatives=len(held_neg),
        auc=model.info["held_out_auc"],
        kept_fraction=kept_fraction,
        precision_at_kept=precision_at_fraction(held_labels, scores, kept_fraction),
        threshold_at_kept=top_fraction_threshold(scores, kept_fraction),
        iterations=model.info["iterations"],
        train_seconds=train_seconds,
        score_docs_per_s=len(held_texts) / score_seconds,
    )
