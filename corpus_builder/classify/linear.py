"""Logistic regression on hashed n-grams: training, scoring, and the one-file model.

Training is full-batch gradient descent with Nesterov momentum from zero weights: no sampling, so
the result depends only on the rows and their order (the seed acts through the train/held-out
split). Rows have unit length, so the mean log-loss has a gradient Lipschitz constant of at most
0.25 · (1 + 1) (the features plus the constant bias input), which fixes a safe step without a search.
Classes are weighted to count equally, since the negative pool is usually much larger.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from corpus_builder.classify.features import FeatureSpec, SparseRows, featurize
from corpus_builder.contracts.errors import BadInputError

MODEL_FORMAT = "corpus_builder.linear_ngram.v1"
#: zip members get a fixed date, so the same weights give the same file and sha256
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)


class ClassifierModelError(BadInputError):
    """A model file that is missing, unreadable or not one of ours."""


@dataclass(frozen=True)
class TrainSettings:
    l2: float = 1e-5
    iterations: int = 300
    #: stop early when the gradient's norm falls below this
    tolerance: float = 1e-6


@dataclass
class LinearModel:
    spec: FeatureSpec
    weights: np.ndarray  # float32, spec.dimensions
    bias: float
    info: dict[str, Any] = field(default_factory=dict)

    def margins(self, rows: SparseRows) -> np.ndarray:
        return rows.dot(self.weights.astype(np.float64)) + self.bias

    def score_rows(self, rows: SparseRows) -> np.ndarray:
        return _sigmoid(self.margins(rows))

    def score(self, texts: list[str]) -> np.ndarray:
        """Probability of the positive class per text."""
        return self.score_rows(featurize(texts, self.spec))


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))  # no overflow warning for large |x|


def _gradient(
    rows: SparseRows, labels: np.ndarray, weights_per_row: np.ndarray, w: np.ndarray, b: float, l2: float
) -> tuple[np.ndarray, float]:
    residual = (_sigmoid(rows.dot(w) + b) - labels) * weights_per_row
    return rows.transposed_dot(residual, len(w)) + l2 * w, float(residual.sum())


def train(rows: SparseRows, labels: np.ndarray, spec: FeatureSpec, settings: TrainSettings) -> LinearModel:
    """Fit on rows with labels 1 (positive) and 0 (negative); both classes must be present."""
    labels = labels.astype(np.float64)
    positives = float(labels.sum())
    negatives = len(labels) - positives
    if positives == 0 or negatives == 0:
        raise ValueError("training needs both positive and negative documents")
    weights_per_row = np.where(labels == 1, 0.5 / positives, 0.5 / negatives)
    step = 1.0 / (0.5 + settings.l2)
    w = np.zeros(spec.dimensions)
    b = 0.0
    w_ahead, b_ahead = w.copy(), b
    momentum = 1.0
    done = 0
    while done < settings.iterations:
        done += 1
        grad_w, grad_b = _gradient(rows, labels, weights_per_row, w_ahead, b_ahead, settings.l2)
        if np.sqrt(np.dot(grad_w, grad_w) + grad_b * grad_b) < settings.tolerance:
            break
        w_next, b_next = w_ahead - step * grad_w, b_ahead - step * grad_b
        next_momentum = (1 + np.sqrt(1 + 4 * momentum * momentum)) / 2
        blend = (momentum - 1) / next_momentum
        w_ahead, b_ahead = w_next + blend * (w_next - w), b_next + blend * (b_next - b)
        w, b, momentum = w_next, b_next, next_momentum
    info = {
        "iterations": done,
        "train_positives": int(positives),
        "train_negatives": int(negatives),
        "l2": settings.l2,
    }
    return LinearModel(spec, w.astype(np.float32), float(b), info)


def _npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def save_model(model: LinearModel, path: str | Path) -> str:
    """Write the model as one .npz (loadable with numpy.load) and return its sha256."""
    meta = {"format": MODEL_FORMAT, "spec": asdict(model.spec), "info": model.info}
    members = {
        "weights.npy": _npy(model.weights.astype(np.float32)),
        "bias.npy": _npy(np.array(model.bias, dtype=np.float64)),
        "meta.npy": _npy(np.array(json.dumps(meta, sort_keys=True))),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            entry = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
            entry.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(entry, data)
    data = buffer.getvalue()
    Path(path).write_bytes(data)
    return hashlib.sha256(data).hexdigest()


def file_sha256(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def load_model(path: str | Path) -> LinearModel:
    try:
        with np.load(path, allow_pickle=False) as archive:
            meta = json.loads(str(archive["meta"]))
            weights = archive["weights"]
            bias = float(archive["bias"])
    except FileNotFoundError:
        raise ClassifierModelError(f"classifier model not found: {path}") from None
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
        raise ClassifierModelError(f"{path}: not a classifier model ({exc})") from None
    if meta.get("format") != MODEL_FORMAT:
        raise ClassifierModelError(f"{path}: format {meta.get('format')!r}, expected {MODEL_FORMAT}")
    spec = FeatureSpec(**{**meta["spec"], "orders": tuple(meta["spec"]["orders"])})
    if weights.shape != (spec.dimensions,):
        raise ClassifierModelError(f"{path}: {weights.shape[0]} weights for {spec.dimensions} dimensions")
    return LinearModel(spec, weights, bias, meta.get("info", {}))
