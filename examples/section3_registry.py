"""Course section 3, "MLflow Model Registry", run on modelyard.

Only the imports changed. Local stand-ins: the churn data comes from the generated data set, the
model is trained here, and "abc123..." is the id of a run this script creates. The course moves
version 3, so the set-up registers three versions first (as after three training runs).
"""

import modelyard as mlflow
import modelyard.sklearn
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import train_test_split

from _data import read_customer_churn

df = read_customer_churn()
X = df.drop("churn", axis=1)
y = df["churn"]
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=42)
model = RandomForestClassifier(n_estimators=50, max_depth=8, random_state=42).fit(X_train, y_train)

# set-up: a first registered version, as left by section 2
with mlflow.start_run():
    mlflow.sklearn.log_model(model, "model", registered_model_name="customer_churn_classifier")

# --- the course's code -------------------------------------------------------------------
# Méthode 1 : Lors du log
with mlflow.start_run():
    mlflow.sklearn.log_model(
        model,
        "model",
        registered_model_name="customer_churn_classifier"
    )

# Méthode 2 : Depuis un run existant
with mlflow.start_run() as existing_run:
    mlflow.sklearn.log_model(model, "model")
run_id = existing_run.info.run_id
model_uri = f"runs:/{run_id}/model"

mlflow.register_model(
    model_uri=model_uri,
    name="customer_churn_classifier"
)

from modelyard.tracking import MlflowClient

client = MlflowClient()
model_name = "customer_churn_classifier"

# Promouvoir une version en Staging
client.transition_model_version_stage(
    name=model_name,
    version=3,
    stage="Staging",
    archive_existing_versions=False
)

# Promouvoir en Production (et archiver les anciennes versions)
client.transition_model_version_stage(
    name=model_name,
    version=3,
    stage="Production",
    archive_existing_versions=True  # Archive les anciennes versions en Production
)

# Ajouter une description
client.update_model_version(
    name=model_name,
    version=3,
    description="Modèle entraîné sur données Q1 2024, accuracy=0.92, déployé le 2024-01-15"
)

# Lister toutes les versions
versions = client.search_model_versions(f"name='{model_name}'")
for v in versions:
    print(f"Version {v.version}: {v.current_stage} - {v.description}")

# Charger la version Production
model_production = mlflow.pyfunc.load_model(
    model_uri=f"models:/{model_name}/Production"
)

# Charger une version spécifique
model_v3 = mlflow.pyfunc.load_model(
    model_uri=f"models:/{model_name}/3"
)

# Prédiction
predictions = model_production.predict(X_test)
print(f"{len(predictions)} predictions, churn rate {predictions.mean():.3f}")
