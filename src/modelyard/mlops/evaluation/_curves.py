"""Vectorised binary curves: one sort gives ROC, precision-recall, AUC and average precision."""

from __future__ import annotations

from typing import Any

__all__: list[str] = []


def counts_by_threshold(y_bin: Any, score: Any, weight: Any = None) -> tuple[Any, Any, Any]:
    """Cumulative false and true positives at each distinct score, highest score first."""
    import numpy as np

    order = np.argsort(score, kind="mergesort")[::-1]
    s = score[order]
    y = y_bin[order].astype(np.float64)
    w = np.ones_like(y) if weight is None else np.asarray(weight, dtype=np.float64)[order]
    last = np.r_[np.flatnonzero(np.diff(s)), y.size - 1]
    tps = np.cumsum(y * w)[last]
    fps = np.cumsum((1.0 - y) * w)[last]
    return fps, tps, s[last]


def roc(y_bin: Any, score: Any, weight: Any = None) -> tuple[Any, Any, float]:
    """(fpr, tpr, auc) with the (0, 0) origin prepended."""
    import numpy as np

    fps, tps, _ = counts_by_threshold(y_bin, score, weight)
    fps = np.r_[0.0, fps]
    tps = np.r_[0.0, tps]
    fpr = fps / fps[-1] if fps[-1] > 0 else np.full_like(fps, np.nan)
    tpr = tps / tps[-1] if tps[-1] > 0 else np.full_like(tps, np.nan)
    auc = float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2.0))
    return fpr, tpr, auc


def precision_recall(y_bin: Any, score: Any, weight: Any = None) -> tuple[Any, Any, float]:
    """(recall, precision, average precision), recall ascending from 0 with precision 1."""
    import numpy as np

    fps, tps, _ = counts_by_threshold(y_bin, score, weight)
    total = tps[-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(tps + fps > 0, tps / (tps + fps), 1.0)
    recall = tps / total if total > 0 else np.ones_like(tps)
    recall_full = np.r_[0.0, recall]
    precision_full = np.r_[1.0, precision]
    ap = float(np.sum(np.diff(recall_full) * precision_full[1:]))
    return recall_full, precision_full, ap


def thin(x: Any, y: Any, max_points: int = 2000) -> tuple[Any, Any]:
    """At most ``max_points`` points of a curve for drawing (ends kept)."""
    import numpy as np

    if x.size <= max_points:
        return x, y
    idx = np.unique(np.r_[np.linspace(0, x.size - 1, max_points).astype(np.int64), x.size - 1])
    return x[idx], y[idx]
