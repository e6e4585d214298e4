"""Model-quality metrics of a window, from predictions and labels (numpy only).

Classification: accuracy, precision, recall, F1 (binary: of the positive class; more classes:
macro averages) and ROC AUC (binary, when scores are given, or when the predictions themselves
are scores in [0, 1]). Regression: RMSE, MAE, R², MAPE (over non-zero labels).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

__all__ = ["classification_metrics", "metrics_from_confusion", "regression_metrics", "roc_auc"]


def roc_auc(y: Any, scores: Any) -> float | None:
    """Area under the ROC curve by the rank-sum formula (ties get mid-ranks)."""
    import numpy as np
    from scipy.stats import rankdata

    y = np.asarray(y).astype(bool)
    n_pos = int(y.sum())
    n_neg = int(y.size - n_pos)
    if n_pos == 0 or n_neg == 0:
        return None
    ranks = rankdata(np.asarray(scores, dtype=np.float64))
    return float((ranks[y].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def classification_metrics(y: Any, pred: Any, scores: Any = None) -> dict[str, float | None]:
    import numpy as np

    from modelyard.monitoring._columns import label_of

    y_lab = np.array([label_of(v) for v in y], dtype=object)
    pred_arr = np.asarray(pred)
    is_score = (
        scores is None
        and pred_arr.dtype.kind == "f"
        and pred_arr.size
        and bool(np.all((pred_arr >= 0) & (pred_arr <= 1)))
        and set(y_lab.tolist()) <= {"0", "1"}
        and not bool(np.all(np.isin(pred_arr, (0.0, 1.0))))
    )
    if is_score:
        scores, pred_arr = pred_arr, (pred_arr >= 0.5).astype(np.int64)
    p_lab = np.array([label_of(v) for v in pred_arr], dtype=object)
    confusion = Counter(zip(y_lab.tolist(), p_lab.tolist(), strict=True))
    auc = None
    if scores is not None and confusion:
        binary, positives = _positives(confusion)
        if binary:
            auc = roc_auc(y_lab == positives[0], scores)
    return metrics_from_confusion(confusion, auc)


def _positives(confusion: Mapping[tuple[str, str], int]) -> tuple[bool, list[str]]:
    """Whether the labels are binary, and the classes precision and recall are of (binary: the
    positive class; more classes: each, macro-averaged)."""
    classes = sorted({c for pair in confusion for c in pair})
    binary = set(classes) <= {"0", "1"} or len(classes) <= 2
    positives = ["1"] if binary and "1" in classes else (classes[-1:] if binary else classes)
    return binary, positives


def metrics_from_confusion(
    confusion: Mapping[tuple[str, str], int], auc: float | None = None
) -> dict[str, float | None]:
    """:func:`classification_metrics` from the counts of ``(label, prediction)`` pairs (labels
    as :func:`label_of` prints them), with the ROC AUC computed elsewhere (Spark monitors)."""
    import numpy as np

    n = sum(confusion.values())
    out: dict[str, float | None] = {"count": float(n)}
    if n == 0:
        return {
            **out,
            "accuracy": None,
            "precision": None,
            "recall": None,
            "f1": None,
            "roc_auc": None,
        }
    out["accuracy"] = sum(k for (y, p), k in confusion.items() if y == p) / n
    binary, positives = _positives(confusion)
    precs, recs, f1s = [], [], []
    for c in positives:
        tp = float(sum(k for (y, p), k in confusion.items() if p == c and y == c))
        fp = float(sum(k for (y, p), k in confusion.items() if p == c and y != c))
        fn = float(sum(k for (y, p), k in confusion.items() if p != c and y == c))
        pr = tp / (tp + fp) if tp + fp else 0.0
        rc = tp / (tp + fn) if tp + fn else 0.0
        precs.append(pr)
        recs.append(rc)
        f1s.append(2 * pr * rc / (pr + rc) if pr + rc else 0.0)
    out["precision"] = float(np.mean(precs))
    out["recall"] = float(np.mean(recs))
    out["f1"] = float(np.mean(f1s))
    out["roc_auc"] = auc if binary else None
    return out


def regression_metrics(y: Any, pred: Any) -> dict[str, float | None]:
    import numpy as np

    y = np.asarray(y, dtype=np.float64)
    p = np.asarray(pred, dtype=np.float64)
    n = int(y.size)
    if n == 0:
        return {"count": 0.0, "rmse": None, "mae": None, "r2": None, "mape": None}
    err = p - y
    ss_tot = float(np.sum((y - y.mean()) ** 2))
    nz = y != 0
    return {
        "count": float(n),
        "rmse": float(np.sqrt(np.mean(err**2))),
        "mae": float(np.mean(np.abs(err))),
        "r2": float(1 - np.sum(err**2) / ss_tot) if ss_tot > 0 else None,
        "mape": float(np.mean(np.abs(err[nz] / y[nz]))) if nz.any() else None,
    }
