"""Section 4 of the course (Databricks AutoML) with only the imports changed.

Runs on a generated, seeded churn-like DataFrame (1,000 rows). The search stops after 20 trials
or 30 minutes, whichever comes first; how long 20 trials take depends on the machine (from about
a minute on a free 4-core laptop to several minutes on 2 busy cores).
"""

import numpy as np
import pandas as pd

import modelyard as mlflow
from modelyard import automl


def make_churn(n: int = 1000, seed: int = 42) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    tenure = rng.integers(0, 72, n)
    monthly = rng.normal(70, 25, n).clip(15, 150).round(2)
    contract = rng.choice(["month-to-month", "one_year", "two_year"], n, p=[0.55, 0.25, 0.2])
    payment = rng.choice(["electronic_check", "mailed_check", "bank_transfer", "card"], n)
    logit = (
        -1.2
        + 1.6 * (contract == "month-to-month")
        - 0.045 * tenure
        + 0.015 * (monthly - 70)
        + 0.6 * (payment == "electronic_check")
    )
    return pd.DataFrame(
        {
            "age": rng.integers(18, 85, n),
            "tenure": tenure,
            "monthly_charges": monthly,
            "total_charges": (monthly * tenure).round(2),
            "contract": contract,
            "payment_method": payment,
            "churn": (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int),
        }
    )


df = make_churn()

# Configuration AutoML pour classification
summary = automl.classify(
    dataset=df, target_col="churn", primary_metric="f1", timeout_minutes=30, max_trials=20
)

# Résultats
print(f"Best trial: {summary.best_trial}")
print(f"Best model URI: {summary.best_trial.model_path}")
print(f"Best F1 score: {summary.best_trial.metrics['test_f1_score']}")

# Le meilleur modèle est automatiquement enregistré dans MLflow
# Vous pouvez le charger et l'utiliser
best_model = mlflow.pyfunc.load_model(summary.best_trial.model_path)
print(best_model.predict(df.drop(columns="churn").head()))

# Probabilities (churn risk), as with Databricks' sklearn pipelines; an ensemble's pyfunc takes
# params={"predict_method": "predict_proba"} instead
if summary.best_trial.model_description.startswith("Ensemble("):
    risk = best_model.predict(
        df.drop(columns="churn").head(), params={"predict_method": "predict_proba"}
    )
else:
    risk = mlflow.sklearn.load_model(summary.best_trial.model_path).predict_proba(
        df.drop(columns="churn").head()
    )
print(risk[:, 1])
