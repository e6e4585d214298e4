"""Course section 2, "Tracking avec plusieurs expériences" and "Rechercher et comparer des
runs", run on modelyard.

Only the imports changed; the Databricks table read, ``display`` and the placeholder run id
("abc123...") are replaced by local equivalents.
"""

import modelyard.sklearn
import pandas as pd
from _data import display, read_customer_churn
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import train_test_split

import modelyard as mlflow

df = read_customer_churn()
X = df.drop("churn", axis=1)
y = df["churn"]
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=42)

from sklearn.ensemble import GradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from xgboost import XGBClassifier

# Créer ou récupérer une expérience
experiment_name = "/Users/me@company.com/churn_prediction"
mlflow.set_experiment(experiment_name)

models = {
    "Logistic Regression": LogisticRegression(max_iter=1000),
    "Random Forest": RandomForestClassifier(n_estimators=100),
    "Gradient Boosting": GradientBoostingClassifier(n_estimators=100),
    "XGBoost": XGBClassifier(n_estimators=100, use_label_encoder=False)
}

results = []

for model_name, model in models.items():
    with mlflow.start_run(run_name=model_name):

# Tags pour organisation
        mlflow.set_tag("model_family", model_name.split()[0])
        mlflow.set_tag("developer", "data_team")

# Entraînement
        model.fit(X_train, y_train)
        y_pred = model.predict(X_test)

# Métriques
        accuracy = accuracy_score(y_test, y_pred)
        f1 = f1_score(y_test, y_pred)

        mlflow.log_metric("accuracy", accuracy)
        mlflow.log_metric("f1_score", f1)

# Log modèle
        mlflow.sklearn.log_model(model, "model")

        results.append({
            "model": model_name,
            "accuracy": accuracy,
            "f1_score": f1
        })

        print(f"{model_name}: Accuracy={accuracy:.4f}, F1={f1:.4f}")

# Comparer les résultats
results_df = pd.DataFrame(results).sort_values("f1_score", ascending=False)
display(results_df)

# Rechercher des runs par filtre
from modelyard.tracking import MlflowClient

client = MlflowClient()

# Obtenir l'expérience
experiment = client.get_experiment_by_name(experiment_name)

# Rechercher les runs avec un filtre
runs = mlflow.search_runs(
    experiment_ids=[experiment.experiment_id],
    filter_string="metrics.accuracy > 0.85",
    order_by=["metrics.f1_score DESC"],
    max_results=10
)

# (the course reads params.model_type, which these runs do not log: reindex keeps the column)
display(runs.reindex(columns=["run_id", "start_time", "params.model_type", "metrics.accuracy", "metrics.f1_score"]))

# Obtenir les détails d'un run spécifique
run_id = runs.iloc[0]["run_id"]
run = client.get_run(run_id)
print(f"Paramètres: {run.data.params}")
print(f"Métriques: {run.data.metrics}")
