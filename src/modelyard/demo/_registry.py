"""Demo step 2: register the best run's model and move it through the stages (section 3/6)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["MODEL_NAME", "RegistryResult", "run_registry"]

MODEL_NAME = "churn_classifier"
MIN_VALIDATION_ACCURACY = 0.8


@dataclass
class RegistryResult:
    version: str
    promoted: bool
    validation_accuracy: float
    predictions: list[int]


def run_registry(
    best_run_id: str, X_val: pd.DataFrame, y_val: pd.Series, echo: Any = print
) -> RegistryResult:
    from sklearn.metrics import accuracy_score

    import modelyard as mlflow
    from modelyard.tracking import MlflowClient

    client = MlflowClient()
    version = mlflow.register_model(f"runs:/{best_run_id}/model", MODEL_NAME)
    echo(f"  registered '{MODEL_NAME}' version {version.version} from run {best_run_id}")
    client.transition_model_version_stage(MODEL_NAME, version.version, "Staging")
    echo(f"  version {version.version} -> Staging")

    staging = mlflow.pyfunc.load_model(f"models:/{MODEL_NAME}/Staging")
    accuracy = float(accuracy_score(y_val, staging.predict(X_val)))
    echo(f"  validation on {len(X_val)} held-out customers: accuracy={accuracy:.4f}")
    promoted = accuracy >= MIN_VALIDATION_ACCURACY
    if promoted:
        client.transition_model_version_stage(
            MODEL_NAME, version.version, "Production", archive_existing_versions=True
        )
        client.update_model_version(
            MODEL_NAME,
            version.version,
            description=f"Validated on held-out data (accuracy={accuracy:.4f}); promoted by the demo",
        )
        client.set_registered_model_alias(MODEL_NAME, "champion", version.version)
        echo(f"  version {version.version} -> Production (older Production versions archived)")
    else:
        echo(f"  validation failed (< {MIN_VALIDATION_ACCURACY}); version stays in Staging")

    stage = "Production" if promoted else "Staging"
    production = mlflow.pyfunc.load_model(f"models:/{MODEL_NAME}/{stage}")
    predictions = [int(p) for p in production.predict(X_val.head(5))]
    echo(f"  models:/{MODEL_NAME}/{stage} predicts {predictions} for the first 5 customers")
    for v in client.search_model_versions(f"name='{MODEL_NAME}'"):
        echo(f"  version {v.version}: {v.current_stage:10} aliases={v.aliases}")
    echo("  audit trail:")
    for entry in client.get_model_history(MODEL_NAME):
        echo(
            f"    v{entry.version} {entry.kind:12} {entry.from_value or '-':>10} -> "
            f"{entry.to_value or '-':10} by {entry.user_id}"
        )
    return RegistryResult(str(version.version), promoted, accuracy, predictions)
