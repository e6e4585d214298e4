"""Metrics with Databricks AutoML's names, computed from raw predictions.

``primary_metric`` values a user passes (``f1``, ``rmse``, ``smape`` ...) map to a *metric key*
(``f1_score``, ``root_mean_squared_error``, ``smape``); logged metrics are
``{train,val,test}_{key}``. Every function here imports numpy/sklearn lazily.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = [
    "CLASSIFICATION_METRICS",
    "FORECAST_METRICS",
    "REGRESSION_METRICS",
    "MetricSpec",
    "classification_metrics",
    "forecast_metrics",
    "metric_spec",
    "regression_metrics",
    "tune_threshold",
]


@dataclass(frozen=True)
class MetricSpec:
    """A primary metric: the user's name, the logged key and whether larger is better."""

    name: str
    key: str
    greater_is_better: bool

    def score(self, value: float) -> float:
        """A value to maximize."""
        return value if self.greater_is_better else -value


CLASSIFICATION_METRICS: dict[str, MetricSpec] = {
    "f1": MetricSpec("f1", "f1_score", True),
    "log_loss": MetricSpec("log_loss", "log_loss", False),
    "precision": MetricSpec("precision", "precision_score", True),
    "accuracy": MetricSpec("accuracy", "accuracy_score", True),
    "roc_auc": MetricSpec("roc_auc", "roc_auc", True),
}
REGRESSION_METRICS: dict[str, MetricSpec] = {
    "r2": MetricSpec("r2", "r2_score", True),
    "mae": MetricSpec("mae", "mean_absolute_error", False),
    "rmse": MetricSpec("rmse", "root_mean_squared_error", False),
    "mse": MetricSpec("mse", "mean_squared_error", False),
}
FORECAST_METRICS: dict[str, MetricSpec] = {
    "smape": MetricSpec("smape", "smape", False),
    "mse": MetricSpec("mse", "mse", False),
    "rmse": MetricSpec("rmse", "rmse", False),
    "mae": MetricSpec("mae", "mae", False),
    "mdape": MetricSpec("mdape", "mdape", False),
}
_BY_PROBLEM = {
    "classification": CLASSIFICATION_METRICS,
    "regression": REGRESSION_METRICS,
    "forecast": FORECAST_METRICS,
}


def metric_spec(problem_type: str, primary_metric: str) -> MetricSpec:
    """The spec of ``primary_metric`` for a problem type; unknown names raise
    :class:`~modelyard.errors.InvalidParameterValue`."""
    from modelyard.errors import InvalidParameterValue

    table = _BY_PROBLEM[problem_type]
    if not isinstance(primary_metric, str) or primary_metric.lower() not in table:
        raise InvalidParameterValue(
            f"Invalid value {primary_metric!r} for parameter 'primary_metric' of a "
            f"{problem_type} experiment: expected one of {sorted(table)}"
        )
    return table[primary_metric.lower()]


def _positive_column(classes: Any, pos_label: Any) -> int:
    for i, c in enumerate(classes):
        if c == pos_label:
            return i
    return len(classes) - 1


def classification_metrics(
    y_true: Any,
    proba: Any,
    classes: Any,
    *,
    pos_label: Any = None,
    threshold: float | None = None,
) -> dict[str, float]:
    """Databricks-named classification metrics from class probabilities (n, k).

    Binary problems use ``pos_label`` (default: the larger class) and a decision ``threshold``
    on its probability (default 0.5); multiclass averages are support-weighted.
    """
    import numpy as np
    from sklearn import metrics as skm

    y = np.asarray(y_true)
    p = np.clip(np.asarray(proba, dtype=float), 1e-15, 1.0)
    classes = np.asarray(classes)
    out: dict[str, float] = {}
    if len(classes) == 2:
        pos = _positive_column(classes, pos_label)
        cut = 0.5 if threshold is None else threshold
        pred = np.where(p[:, pos] >= cut, classes[pos], classes[1 - pos])
        kw: dict[str, Any] = {"pos_label": classes[pos], "average": "binary", "zero_division": 0}
        out["roc_auc"] = _safe(lambda: skm.roc_auc_score(y == classes[pos], p[:, pos]))
    else:
        pred = classes[np.argmax(p, axis=1)]
        kw = {"average": "weighted", "zero_division": 0}
        out["roc_auc"] = _safe(
            lambda: skm.roc_auc_score(
                y, p / p.sum(axis=1, keepdims=True), multi_class="ovr", labels=classes
            )
        )
    out["accuracy_score"] = float(skm.accuracy_score(y, pred))
    out["f1_score"] = float(skm.f1_score(y, pred, **kw))
    out["precision_score"] = float(skm.precision_score(y, pred, **kw))
    out["recall_score"] = float(skm.recall_score(y, pred, **kw))
    out["log_loss"] = float(skm.log_loss(y, p / p.sum(axis=1, keepdims=True), labels=classes))
    out["score"] = out["accuracy_score"]
    return {k: v for k, v in out.items() if v == v}


def regression_metrics(y_true: Any, y_pred: Any) -> dict[str, float]:
    """Databricks-named regression metrics."""
    import numpy as np
    from sklearn import metrics as skm

    y = np.asarray(y_true, dtype=float)
    p = np.asarray(y_pred, dtype=float)
    mse = float(skm.mean_squared_error(y, p))
    r2 = float(skm.r2_score(y, p)) if len(y) > 1 else float("nan")
    out = {
        "r2_score": r2,
        "mean_absolute_error": float(skm.mean_absolute_error(y, p)),
        "mean_squared_error": mse,
        "root_mean_squared_error": float(np.sqrt(mse)),
        "score": r2,
    }
    return {k: v for k, v in out.items() if v == v}


def forecast_metrics(y_true: Any, y_pred: Any) -> dict[str, float]:
    """Forecast error metrics: smape (in [0, 2]), mse, rmse, mae, mdape, mape."""
    import numpy as np

    y = np.asarray(y_true, dtype=float)
    p = np.asarray(y_pred, dtype=float)
    err = p - y
    denom = np.abs(y) + np.abs(p)
    with np.errstate(divide="ignore", invalid="ignore"):
        smape_terms = np.where(denom == 0, 0.0, 2.0 * np.abs(err) / denom)
        ape = np.abs(err) / np.abs(y)
    ape = ape[np.isfinite(ape)]
    mse = float(np.mean(err**2))
    return {
        "smape": float(np.mean(smape_terms)),
        "mse": mse,
        "rmse": float(np.sqrt(mse)),
        "mae": float(np.mean(np.abs(err))),
        "mdape": float(np.median(ape)) if ape.size else float("nan"),
        "mape": float(np.mean(ape)) if ape.size else float("nan"),
    }


def tune_threshold(y_true: Any, pos_proba: Any, pos_value: Any, metric: str) -> float:
    """Decision threshold on out-of-fold positive-class probabilities.

    ``f1`` maximizes F1; ``precision`` maximizes F0.5 (maximizing precision alone picks a
    threshold that predicts almost nothing positive). Returns 0.5 when nothing beats it.
    """
    import numpy as np

    beta2 = 0.25 if metric == "precision" else 1.0
    y = np.asarray(y_true) == pos_value
    s = np.asarray(pos_proba, dtype=float)
    order = np.argsort(-s, kind="mergesort")
    s_sorted, y_sorted = s[order], y[order]
    tp = np.cumsum(y_sorted)
    fp = np.cumsum(~y_sorted)
    n_pos = y.sum()
    if n_pos == 0:
        return 0.5
    # Only cut between distinct scores.
    last = np.r_[s_sorted[1:] != s_sorted[:-1], True]
    tp, fp, cuts = tp[last], fp[last], s_sorted[last]
    precision = tp / np.maximum(tp + fp, 1)
    recall = tp / n_pos
    fbeta = (1 + beta2) * precision * recall / np.maximum(beta2 * precision + recall, 1e-12)
    best = int(np.argmax(fbeta))
    # Threshold halfway to the next lower score keeps predictions stable.
    nxt = cuts[best + 1] if best + 1 < len(cuts) else cuts[best] - 1e-6
    return float(np.clip((cuts[best] + nxt) / 2.0, 1e-6, 1 - 1e-6))


def _safe(fn: Any) -> float:
    try:
        return float(fn())
    except ValueError:
        return float("nan")
