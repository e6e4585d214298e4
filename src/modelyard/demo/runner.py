"""``modelyard demo``: the whole lifecycle on the embedded default store, step by step."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

__all__ = ["run_demo"]


def _table(frame: Any, columns: list[str]) -> str:
    cols = [c for c in columns if c in frame.columns]
    return frame[cols].to_string(index=False, float_format=lambda v: f"{v:.4f}")


def run_demo(
    workdir: str | None = None,
    tracking_uri: str | None = None,
    rows: int = 5000,
    seed: int = 42,
    echo: Callable[[str], Any] = print,
    automl_trials: int = 6,
) -> dict[str, Any]:
    """Run the demo in ``workdir`` (default: the current directory) and return a summary.

    The AutoML step runs exactly ``automl_trials`` trials (plus an ensemble when it helps)."""
    import modelyard as mlflow
    from modelyard.demo._tracking import run_tracking
    from modelyard.demo.data import make_churn

    if workdir:
        os.makedirs(workdir, exist_ok=True)
        os.chdir(workdir)
    if tracking_uri:
        mlflow.set_tracking_uri(tracking_uri)
    summary: dict[str, Any] = {"tracking_uri": mlflow.get_tracking_uri()}
    echo(f"modelyard demo — tracking store: {summary['tracking_uri']}")
    started = time.perf_counter()

    steps = 5
    echo(f"\n[1/{steps}] Tracking: four models on the churn data")
    df = make_churn(rows, seed)
    data_path = os.path.abspath("customer_churn.csv")
    df.to_csv(data_path, index=False)
    echo(f"  generated {len(df)} customers -> {data_path} (churn rate {df.churn.mean():.1%})")
    result = run_tracking(df, seed=seed, echo=echo)
    echo("\n  search_runs(filter 'metrics.accuracy > 0.5', order_by f1_score DESC):")
    echo(
        _table(
            result.runs,
            [
                "tags.mlflow.runName",
                "params.model_type",
                "metrics.accuracy",
                "metrics.f1_score",
                "metrics.roc_auc",
            ],
        )
    )
    summary.update(
        experiment_id=result.experiment_id,
        best_run_id=result.best_run_id,
        n_runs=len(result.runs),
    )

    from modelyard.demo._registry import run_registry

    echo(f"\n[2/{steps}] Registry: register the best model, validate, promote")
    reg = run_registry(result.best_run_id, result.X_val, result.y_val, echo=echo)
    summary.update(
        model_version=reg.version,
        promoted=reg.promoted,
        validation_accuracy=reg.validation_accuracy,
    )

    from modelyard.demo._deploy import run_deploy
    from modelyard.demo._registry import MODEL_NAME

    echo(f"\n[3/{steps}] Deployment: batch scoring into Delta, real-time endpoint with a token")
    dep = run_deploy(df, MODEL_NAME, seed=seed, echo=echo)
    summary.update(
        serving_response=dep.response,
        served_version=dep.served_version,
        batch_rows=dep.scored_rows,
        predictions_table=dep.table_path,
    )

    from modelyard.demo._deploy import API_FEATURES
    from modelyard.demo._monitor import run_monitoring

    echo(f"\n[4/{steps}] Monitoring: drift on the endpoint's traffic against the training data")
    mon = run_monitoring(df, MODEL_NAME, API_FEATURES, dep.logged_requests, echo=echo)
    summary.update(
        drifted_columns=mon.drifted_columns,
        drift_report=mon.report_path,
        monitored_requests=mon.rows_monitored,
    )

    from modelyard.demo._automl import run_automl

    echo(f"\n[5/{steps}] AutoML: classify(target_col='churn', primary_metric='f1')")
    auto = run_automl(df, seed=seed, max_trials=automl_trials, echo=echo)
    summary.update(
        automl_best_f1=auto.best_trial.metrics["test_f1_score"], automl_trials=len(auto.trials)
    )

    echo(f"\nDone in {time.perf_counter() - started:.1f}s. Best run: {result.best_run_id}")
    return summary
