"""Explainability of the best model: permutation importance on raw columns and SHAP values.

Artifacts of the best trial run: ``explain/feature_importance.csv``,
``explain/shap_values.csv`` and ``explain/shap_summary.png``.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

__all__ = ["explain_best"]


class _OutOfTime(Exception):
    pass


def _permutation_importance(
    predictor: Any, X: Any, y: Any, problem_type: str, seed: int, deadline: float
) -> Any:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    classes = list(predictor.classes)

    def score(frame: Any) -> float:
        pred = predictor.predict(frame)
        if problem_type == "classification":
            return float(np.mean(np.asarray([classes.index(v) for v in pred]) == y))
        return -float(np.sqrt(np.mean((np.asarray(pred, dtype=float) - y) ** 2)))

    base = score(X)
    rows = []
    for col in X.columns:
        if time.monotonic() > deadline:
            raise _OutOfTime("the time budget ran out during permutation importance")
        drops = []
        for _ in range(3):
            shuffled = X.copy()
            shuffled[col] = X[col].to_numpy()[rng.permutation(len(X))]
            drops.append(base - score(shuffled))
        rows.append(
            {"feature": col, "importance": float(np.mean(drops)), "std": float(np.std(drops))}
        )
    return pd.DataFrame(rows).sort_values("importance", ascending=False)


def _shap(pipeline: Any, X: Any, problem_type: str) -> tuple[Any, list[str]]:
    import numpy as np
    import shap

    featurizer, model = pipeline.named_steps["featurizer"], pipeline.named_steps["model"]
    model = getattr(model, "estimator", model)  # a classifier's label-decoding wrapper
    Xt = featurizer.transform(X)
    names = [str(n) for n in featurizer.get_feature_names_out()]
    try:
        values = shap.TreeExplainer(model).shap_values(Xt, check_additivity=False)
    except Exception:
        background = Xt[: min(50, len(Xt))]
        if hasattr(model, "coef_"):
            values = shap.LinearExplainer(model, background).shap_values(Xt)
        else:  # model-agnostic and slow: a few rows only
            fn = model.predict_proba if problem_type == "classification" else model.predict
            Xt = Xt[:20]
            explainer = shap.Explainer(fn, background[:20], algorithm="permutation")
            values = explainer(Xt, max_evals=2 * Xt.shape[1] + 1).values
    values = np.asarray(values)
    if values.ndim == 3:  # (n, features, classes): explain the last (positive) class
        values = values[:, :, -1] if values.shape[1] == Xt.shape[1] else values[-1]
    return values, names


def explain_best(
    result: Any,
    predictor: Any,
    data: Any,
    cols: list[str],
    problem_type: str,
    run_id: str,
    deadline: float = float("inf"),
) -> None:
    """Log the explanations; stop (raising) when the monotonic ``deadline`` passes: the
    permutation importance checks it per column, and SHAP is skipped when the importance took
    longer than the time left."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    from modelyard import MlflowClient

    client = MlflowClient()
    X = data.X_val if len(data.X_val) else data.X_train
    y = data.y_val if len(data.X_val) else data.y_train
    X, y = X.iloc[:300], y[:300]
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        t0 = time.monotonic()
        imp = _permutation_importance(predictor, X[cols], y, problem_type, 0, deadline)
        imp.to_csv(out / "feature_importance.csv", index=False)
        client.log_artifact(run_id, str(out / "feature_importance.csv"), "explain")
        if time.monotonic() + (time.monotonic() - t0) > deadline:
            raise _OutOfTime("no time left in the budget for SHAP values")
        values, names = _shap(result.pipelines[0], X.iloc[:100], problem_type)
        pd.DataFrame(values, columns=names).to_csv(out / "shap_values.csv", index=False)
        client.log_artifact(run_id, str(out / "shap_values.csv"), "explain")
        import numpy as np

        mean_abs = np.abs(values).mean(axis=0)
        order = np.argsort(mean_abs)[-15:]
        fig, ax = plt.subplots(figsize=(7, 5))
        ax.barh([names[i] for i in order], mean_abs[order])
        ax.set_xlabel("mean |SHAP value|")
        ax.set_title(f"SHAP summary: {result.description[:60]}")
        fig.tight_layout()
        fig.savefig(out / "shap_summary.png", dpi=90)
        plt.close(fig)
        client.log_artifact(run_id, str(out / "shap_summary.png"), "explain")
