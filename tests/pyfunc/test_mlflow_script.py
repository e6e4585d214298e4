"""The user's headline workflow, written for MLflow, run with ``import modelyard as mlflow``."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest


@pytest.fixture
def mlflow(tmp_path, monkeypatch):
    import modelyard

    monkeypatch.chdir(tmp_path)
    for key in ("MLFLOW_EXPERIMENT_ID", "MLFLOW_EXPERIMENT_NAME", "MLFLOW_TRACKING_URI"):
        monkeypatch.delenv(key, raising=False)
    modelyard.set_tracking_uri(f"sqlite:///{tmp_path / 'mlruns.db'}")
    yield modelyard
    while modelyard.active_run() is not None:
        modelyard.end_run()
    modelyard.set_tracking_uri(None)


def test_churn_workflow(mlflow) -> None:
    from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score
    from xgboost import XGBClassifier

    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(120, 4)), columns=["tenure", "charges", "calls", "age"])
    y = (X["tenure"] - X["calls"] > 0).astype(int)
    X_train, X_test, y_train, y_test = X[:90], X[90:], y[:90], y[90:]

    mlflow.set_experiment("/Users/me@company.com/churn_prediction")
    models = {
        "Logistic Regression": LogisticRegression(max_iter=1000),
        "Random Forest": RandomForestClassifier(n_estimators=10),
        "Gradient Boosting": GradientBoostingClassifier(n_estimators=10),
        "XGBoost": XGBClassifier(n_estimators=10),
    }
    run_ids = {}
    for model_name, model in models.items():
        with mlflow.start_run(run_name=model_name) as run:
            model.fit(X_train, y_train)
            mlflow.log_metric("accuracy", accuracy_score(y_test, model.predict(X_test)))
            mlflow.sklearn.log_model(model, "model")  # default skops serialization
            run_ids[model_name] = run.info.run_id

    model_name = "customer_churn_classifier"
    client = mlflow.MlflowClient()
    for label in ("Random Forest", "XGBoost"):
        version = mlflow.register_model(f"runs:/{run_ids[label]}/model", model_name)
    client.transition_model_version_stage(model_name, version.version, "Staging")
    client.transition_model_version_stage(model_name, "1", "Production")

    production = mlflow.pyfunc.load_model(model_uri=f"models:/{model_name}/Production")
    staging = mlflow.pyfunc.load_model(f"models:/{model_name}/Staging")
    v1 = mlflow.pyfunc.load_model(model_uri=f"models:/{model_name}/1")
    assert production.predict(X_test).tolist() == models["Random Forest"].predict(X_test).tolist()
    assert v1.predict(X_test).tolist() == production.predict(X_test).tolist()
    assert staging.predict(X_test).tolist() == models["XGBoost"].predict(X_test).tolist()
    gb = mlflow.sklearn.load_model(f"runs:/{run_ids['Gradient Boosting']}/model")
    assert gb.predict(X_test).tolist() == models["Gradient Boosting"].predict(X_test).tolist()
    assert mlflow.models.infer_signature(X_test).inputs.input_names() == list(X.columns)
