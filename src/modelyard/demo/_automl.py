"""Demo step 4: a short AutoML run on the churn data (course section 4).

The search is bounded by ``max_trials`` (seeded); the time budget is only a safety net far above
what six trials need, so the demo does the same work on a fast and on a busy machine.
"""

from __future__ import annotations

from typing import Any

__all__ = ["run_automl"]


SAFETY_TIMEOUT_MINUTES = 30.0


def run_automl(
    df: Any,
    seed: int = 42,
    max_trials: int = 6,
    echo: Any = print,
    timeout_minutes: float = SAFETY_TIMEOUT_MINUTES,
) -> Any:
    import modelyard as mlflow
    from modelyard import automl

    summary = automl.classify(
        dataset=df,
        target_col="churn",
        primary_metric="f1",
        timeout_minutes=timeout_minutes,
        max_trials=max_trials,
        experiment_name="/Users/demo@modelyard.dev/churn_automl",
        seed=seed,
        progress=False,
    )
    best = summary.best_trial
    echo(f"  {len(summary.trials)} trials tracked; best: {best.model_description}")
    echo(f"  best test F1 = {best.metrics['test_f1_score']:.4f}  model: {best.model_path}")
    model = mlflow.pyfunc.load_model(best.model_path)
    preds = [int(p) for p in model.predict(df.drop(columns="churn").head(5))]
    echo(f"  the best model reloaded with pyfunc.load_model predicts {preds}")
    notebooks = [
        p
        for p in (
            getattr(summary, "data_exploration_notebook_path", None),
            getattr(best, "notebook_path", None),
        )
        if p
    ]
    for path in notebooks:
        echo(f"  generated notebook: {path}")
    return summary
