"""Built-in regressor metrics under MLflow's default-evaluator names."""

from __future__ import annotations

from typing import Any

__all__ = ["regressor_metrics"]


def regressor_metrics(y_true: Any, y_pred: Any, sample_weights: Any = None) -> dict[str, float]:
    """``example_count``, MAE, MSE, RMSE, sums/means on target, R², max error, MAPE."""
    import numpy as np

    y = np.asarray(y_true, dtype=np.float64).ravel()
    p = np.asarray(y_pred, dtype=np.float64).reshape(y.size, -1)[:, 0]
    w = None if sample_weights is None else np.asarray(sample_weights, dtype=np.float64)
    err = p - y
    mse = float(np.average(err * err, weights=w))
    mean_y = float(np.average(y, weights=w))
    ss_res = float(np.sum((err * err) if w is None else w * err * err))
    ss_tot = float(np.sum(((y - mean_y) ** 2) if w is None else w * (y - mean_y) ** 2))
    if ss_tot == 0:
        r2 = 1.0 if ss_res == 0 else 0.0
    else:
        r2 = 1.0 - ss_res / ss_tot
    eps = np.finfo(np.float64).eps
    sum_on_target = float(np.sum(y if w is None else y * w))
    return {
        "example_count": float(y.size),
        "mean_absolute_error": float(np.average(np.abs(err), weights=w)),
        "mean_squared_error": mse,
        "root_mean_squared_error": float(np.sqrt(mse)),
        "sum_on_target": sum_on_target,
        "mean_on_target": sum_on_target / y.size,
        "r2_score": r2,
        "max_error": float(np.max(np.abs(err))),
        "mean_absolute_percentage_error": float(
            np.average(np.abs(err) / np.maximum(np.abs(y), eps), weights=w)
        ),
    }
