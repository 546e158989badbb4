"""Ranking metrics for a quality classifier: ROC AUC and precision among the documents kept."""

from __future__ import annotations

import numpy as np


def roc_auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """Probability that a random positive outscores a random negative (ties count half): the
    Mann-Whitney statistic from average ranks."""
    labels = np.asarray(labels).astype(bool)
    positives, negatives = int(labels.sum()), int((~labels).sum())
    if positives == 0 or negatives == 0:
        raise ValueError("AUC needs both positive and negative documents")
    order = np.argsort(scores, kind="stable")
    sorted_scores = np.asarray(scores)[order]
    ranks = np.empty(len(scores), dtype=np.float64)
    # equal scores share the mean of their ranks
    _, first, counts = np.unique(sorted_scores, return_index=True, return_counts=True)
    mean_rank = first + (counts + 1) / 2.0
    ranks[order] = np.repeat(mean_rank, counts)
    rank_sum = ranks[labels].sum()
    return float((rank_sum - positives * (positives + 1) / 2.0) / (positives * negatives))


def top_fraction_threshold(scores: np.ndarray, fraction: float) -> float:
    """The score of the last document kept when the best `fraction` of documents are kept."""
    if not 0 < fraction <= 1:
        raise ValueError(f"kept fraction must be in (0, 1], not {fraction}")
    kept = max(1, round(len(scores) * fraction))
    return float(np.sort(scores)[::-1][kept - 1])


def precision_at_fraction(labels: np.ndarray, scores: np.ndarray, fraction: float) -> float:
    """Share of positives among the best `fraction` of documents (stable order on ties)."""
    kept = max(1, round(len(scores) * fraction))
    best = np.argsort(-np.asarray(scores), kind="stable")[:kept]
    return float(np.asarray(labels)[best].mean())
