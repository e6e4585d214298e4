"""Course section 2, "Enregistrer une expérience simple", run on modelyard.

Only the imports changed (``import modelyard as mlflow``), and the Databricks table read is
replaced by the generated churn data set.
"""

import matplotlib

matplotlib.use("Agg")

import modelyard.sklearn
from _data import read_customer_churn
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import train_test_split

import modelyard as mlflow

# Charger les données
df = read_customer_churn()
X = df.drop("churn", axis=1)
y = df["churn"]

X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.2, random_state=42
)

# Démarrer une run MLflow
with mlflow.start_run(run_name="rf_baseline") as run:

# Log des paramètres
    n_estimators = 100
    max_depth = 10

    mlflow.log_param("n_estimators", n_estimators)
    mlflow.log_param("max_depth", max_depth)
    mlflow.log_param("model_type", "RandomForest")

# Entraînement
    model = RandomForestClassifier(
        n_estimators=n_estimators,
        max_depth=max_depth,
        random_state=42
    )
    model.fit(X_train, y_train)

# Prédictions
    y_pred = model.predict(X_test)

# Log des métriques
    accuracy = accuracy_score(y_test, y_pred)
    f1 = f1_score(y_test, y_pred)

    mlflow.log_metric("accuracy", accuracy)
    mlflow.log_metric("f1_score", f1)

# Log du modèle
    mlflow.sklearn.log_model(
        model,
        "model",
        registered_model_name="customer_churn_classifier"
    )

# Log d'artefacts (fichiers)
    import matplotlib.pyplot as plt
    from sklearn.metrics import ConfusionMatrixDisplay, confusion_matrix

    cm = confusion_matrix(y_test, y_pred)
    disp = ConfusionMatrixDisplay(confusion_matrix=cm)
    disp.plot()
    plt.savefig("confusion_matrix.png")
    mlflow.log_artifact("confusion_matrix.png")

    print(f"Run ID: {run.info.run_id}")
    print(f"Accuracy: {accuracy:.4f}")
    print(f"F1 Score: {f1:.4f}")
