"""Classifier step: a trained linear model's score on every document of its languages; keep by threshold.

The model file's sha256 is checked (when the stage names one) and always recorded: the step's stats
count the documents scored under `model_sha256.<hex>`, so `_logs/` says which weights scored the run.
"""

from __future__ import annotations

from pathlib import Path

from datatrove.data import Document

from corpus_builder.classify.features import featurize
from corpus_builder.classify.linear import ClassifierModelError, file_sha256, load_model
from corpus_builder.config.stages import ClassifierStage
from corpus_builder.stages.base import DocumentStep


class QualityClassifier(DocumentStep):
    type = "🎯 CLASSIFIER"

    def __init__(self, config: ClassifierStage, base_dir: str | None = None) -> None:
        super().__init__()
        path = Path(config.model_path)
        if base_dir and not path.is_absolute():
            path = Path(base_dir) / path
        self.model = load_model(path)  # a missing or foreign file fails here, before any task
        self.sha256 = file_sha256(path)
        if config.model_sha256 and config.model_sha256 != self.sha256:
            raise ClassifierModelError(
                f"{path}: sha256 {self.sha256}, but the pipeline expects {config.model_sha256}"
            )
        self.signal = f"{config.name}.score"
        self.min_score = config.min_score
        self.languages = frozenset(config.languages)
        self.set_name(config.name)

    def process(self, doc: Document) -> str | None:
        if doc.metadata.get("lang") not in self.languages:
            return None
        score = float(self.model.score_rows(featurize([doc.text], self.model.spec))[0])
        doc.metadata.setdefault("quality_signals", {})[self.signal] = score
        self.stat_update(f"model_sha256.{self.sha256}")
        return "score_low" if score < self.min_score else None
