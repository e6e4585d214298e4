"""Demo step 1: the course's tracking workflow (section 2) on the generated churn data."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["TrackingResult", "run_tracking"]

EXPERIMENT_NAME = "/Users/demo@modelyard.dev/churn_prediction"


@dataclass
class TrackingResult:
    experiment_id: str
    runs: pd.DataFrame  # search_runs output, best first
    best_run_id: str
    X_test: pd.DataFrame
    y_test: pd.Series
    X_val: pd.DataFrame
    y_val: pd.Series


def _models(seed: int) -> dict[str, Any]:
    from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from xgboost import XGBClassifier

    return {
        "Logistic Regression": make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)),
        "Random Forest": RandomForestClassifier(n_estimators=100, max_depth=10, random_state=seed),
        "Gradient Boosting": GradientBoostingClassifier(n_estimators=100, random_state=seed),
        "XGBoost": XGBClassifier(n_estimators=100, max_depth=4, random_state=seed, n_jobs=2),
    }


def _confusion_png(y_true: Any, y_pred: Any, title: str, path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import ConfusionMatrixDisplay, confusion_matrix

    fig, ax = plt.subplots(figsize=(4, 4))
    ConfusionMatrixDisplay(confusion_matrix(y_true, y_pred), display_labels=["stay", "churn"]).plot(
        ax=ax, colorbar=False
    )
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def run_tracking(df: pd.DataFrame, seed: int = 42, echo: Any = print) -> TrackingResult:
    from sklearn.metrics import (
        accuracy_score,
        f1_score,
        precision_score,
        recall_score,
        roc_auc_score,
    )
    from sklearn.model_selection import train_test_split

    import modelyard as mlflow
    import modelyard.sklearn
    import modelyard.xgboost

    X = df.drop("churn", axis=1)
    y = df["churn"]
    X_rest, X_val, y_rest, y_val = train_test_split(X, y, test_size=0.15, random_state=seed + 1)
    X_train, X_test, y_train, y_test = train_test_split(
        X_rest, y_rest, test_size=0.2, random_state=seed
    )

    experiment = mlflow.set_experiment(EXPERIMENT_NAME)
    echo(f"  experiment '{experiment.name}' (id {experiment.experiment_id})")
    with tempfile.TemporaryDirectory() as tmp:
        for model_name, model in _models(seed).items():
            with mlflow.start_run(run_name=model_name) as run:
                mlflow.set_tag("model_family", model_name.split()[0])
                mlflow.set_tag("developer", "data_team")
                mlflow.log_param("model_type", model_name)
                estimator = model.steps[-1][1] if hasattr(model, "steps") else model
                params = {
                    k: v
                    for k, v in estimator.get_params().items()
                    if k in ("n_estimators", "max_depth", "max_iter", "learning_rate", "C")
                }
                mlflow.log_params(params)
                model.fit(X_train, y_train)
                y_pred = model.predict(X_test)
                y_proba = model.predict_proba(X_test)[:, 1]
                metrics = {
                    "accuracy": accuracy_score(y_test, y_pred),
                    "f1_score": f1_score(y_test, y_pred),
                    "precision": precision_score(y_test, y_pred),
                    "recall": recall_score(y_test, y_pred),
                    "roc_auc": roc_auc_score(y_test, y_proba),
                }
                mlflow.log_metrics(metrics)
                png = os.path.join(tmp, "confusion_matrix.png")
                _confusion_png(y_test, y_pred, model_name, png)
                mlflow.log_artifact(png)
                if model_name == "XGBoost":
                    modelyard.xgboost.log_model(model, "model", input_example=X_train.head(3))
                else:
                    modelyard.sklearn.log_model(model, "model", input_example=X_train.head(3))
                echo(
                    f"  {model_name:20} accuracy={metrics['accuracy']:.4f} "
                    f"f1={metrics['f1_score']:.4f}  run {run.info.run_id}"
                )
    runs = cast(
        "pd.DataFrame",
        mlflow.search_runs(
            experiment_ids=[experiment.experiment_id],
            filter_string="metrics.accuracy > 0.5",
            order_by=["metrics.f1_score DESC"],
            max_results=10,
        ),
    )
    return TrackingResult(
        experiment.experiment_id, runs, runs.iloc[0]["run_id"], X_test, y_test, X_val, y_val
    )
