"""Notebook 1 of the course (section 6, "MLOps et CI/CD"): train, log, register when good
enough, move the new version to Staging. Only the imports and the layout changed; the
configuration became command-line parameters so that a job can set them.

``# ... code d'entraînement ...`` is filled with a real training step on the local stand-in of
the ``customer_churn`` table (the same data as the other section examples).
"""

import argparse

import modelyard as mlflow
import modelyard.sklearn
from modelyard.demo.data import make_churn
from modelyard.tracking import MlflowClient
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import accuracy_score
from sklearn.model_selection import train_test_split

parser = argparse.ArgumentParser()
parser.add_argument("--model-name", default="customer_churn_classifier")
parser.add_argument("--min-accuracy-threshold", type=float, default=0.85)
parser.add_argument("--n-estimators", type=int, default=100)
parser.add_argument("--max-depth", type=int, default=10)
parser.add_argument("--n-rows", type=int, default=2000)
args = parser.parse_args()

df = make_churn(args.n_rows, seed=42)
X = df.drop("churn", axis=1)
y = df["churn"]
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=0)
client = MlflowClient()

# Notebook 1: Training Pipeline
from datetime import datetime

# Configuration
model_name = args.model_name
min_accuracy_threshold = args.min_accuracy_threshold

# Entraînement
with mlflow.start_run(run_name=f"training_{datetime.now().strftime('%Y%m%d')}"):
    # ... code d'entraînement ...
    model = RandomForestClassifier(
        n_estimators=args.n_estimators, max_depth=args.max_depth, random_state=42
    )
    model.fit(X_train, y_train)
    accuracy = accuracy_score(y_test, model.predict(X_test))
    mlflow.log_metric("accuracy", accuracy)
    mlflow.sklearn.log_model(model, "model")

    # Enregistrer le modèle
    if accuracy > min_accuracy_threshold:
        model_version = mlflow.register_model(
            model_uri=f"runs:/{mlflow.active_run().info.run_id}/model", name=model_name
        )

        # Transition automatique vers Staging
        client.transition_model_version_stage(
            name=model_name, version=model_version.version, stage="Staging"
        )

        print(f"Modèle version {model_version.version} déployé en Staging")
    else:
        print(f"Accuracy {accuracy} < seuil {min_accuracy_threshold}. Modèle non déployé.")
