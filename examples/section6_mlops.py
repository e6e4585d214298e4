"""Course section 6, "MLOps et CI/CD": the training pipeline (notebook 1), validation and
promotion (notebook 2) and drift monitoring, run on modelyard.

Only the imports changed. Local stand-ins: "# ... code d'entraînement ..." is filled with a real
training step; the Spark tables ``training_data`` and ``production_inference`` are pandas
frames (the latter with a ``prediction_date`` column, as written by batch inference).
"""

import modelyard as mlflow
import modelyard.sklearn
import pandas as pd
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import accuracy_score
from sklearn.model_selection import train_test_split

from _data import read_customer_churn
from modelyard.demo.data import make_churn

df = read_customer_churn()
X = df.drop("churn", axis=1)
y = df["churn"]
X_train, X_rest, y_train, y_rest = train_test_split(X, y, test_size=0.4, random_state=0)
X_test, X_val, y_test, y_val = train_test_split(X_rest, y_rest, test_size=0.5, random_state=0)
feature_cols = list(X.columns)
from modelyard.tracking import MlflowClient
client = MlflowClient()

# --- Notebook 1: Training Pipeline -----------------------------------------------------
import modelyard as mlflow
from datetime import datetime

# Configuration
model_name = "customer_churn_classifier"
min_accuracy_threshold = 0.85

# Entraînement
with mlflow.start_run(run_name=f"training_{datetime.now().strftime('%Y%m%d')}"):

# ... code d'entraînement ...
    model = RandomForestClassifier(n_estimators=100, max_depth=10, random_state=42)
    model.fit(X_train, y_train)
    accuracy = accuracy_score(y_test, model.predict(X_test))
    mlflow.log_metric("accuracy", accuracy)
    mlflow.sklearn.log_model(model, "model")

# Enregistrer le modèle
    if accuracy > min_accuracy_threshold:
        model_version = mlflow.register_model(
            model_uri=f"runs:/{mlflow.active_run().info.run_id}/model",
            name=model_name
        )

# Transition automatique vers Staging
        client.transition_model_version_stage(
            name=model_name,
            version=model_version.version,
            stage="Staging"
        )

        print(f"Modèle version {model_version.version} déployé en Staging")
    else:
        print(f"Accuracy {accuracy} < seuil {min_accuracy_threshold}. Modèle non déployé.")

# --- Notebook 2: Validation et promotion -----------------------------------------------
from modelyard.tracking import MlflowClient

client = MlflowClient()

# Récupérer la dernière version Staging
staging_versions = client.get_latest_versions(model_name, stages=["Staging"])
staging_version = staging_versions[0]

# Charger et tester sur validation set
model = mlflow.pyfunc.load_model(f"models:/{model_name}/Staging")
val_predictions = model.predict(X_val)
val_accuracy = accuracy_score(y_val, val_predictions)

# Promotion vers Production si validation OK
if val_accuracy > 0.90:
    client.transition_model_version_stage(
        name=model_name,
        version=staging_version.version,
        stage="Production",
        archive_existing_versions=True
    )

# Notification
    print(f"✅ Modèle version {staging_version.version} déployé en Production!")
# Envoyer email/Slack notification
else:
    print(f"❌ Validation échouée. Accuracy: {val_accuracy}")

# --- Monitoring des modèles ------------------------------------------------------------
# Détecter le data drift
from scipy.stats import ks_2samp

# Données d'entraînement
train_data = X_train

# Données de production récentes (local stand-in: a shifted population scored last week)
prod_data = make_churn(1000, seed=7).drop("churn", axis=1)
prod_data["monthly_charges"] = prod_data["monthly_charges"] * 1.25  # prices went up
prod_data["prediction_date"] = pd.Timestamp.now().normalize() - pd.Timedelta(days=2)
prod_data = prod_data[prod_data["prediction_date"] >= pd.Timestamp.now().normalize() - pd.Timedelta(days=7)]

# Test de Kolmogorov-Smirnov pour chaque feature
drift_detected = False
for col in feature_cols:
    statistic, p_value = ks_2samp(train_data[col], prod_data[col])

    if p_value < 0.05:  # Seuil de significativité
        print(f"⚠️ Data drift détecté sur {col}: p-value={p_value:.4f}")
        drift_detected = True

if drift_detected:
    print("Déclenchement du pipeline de retraining...")
# Trigger retraining job via API
