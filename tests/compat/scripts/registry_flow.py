"""Registry + models workflow of the course, run by the REAL mlflow client against a server.

Input: env ``COMPAT_ARGS`` = {"prefix": "<unique>"}. Output: one ``RESULT{json}`` line.
"""

import json
import os

import mlflow
import numpy as np
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

ARGS = json.loads(os.environ["COMPAT_ARGS"])
prefix = ARGS["prefix"]
name = f"churn-model-{prefix}"
out: dict = {}
client = MlflowClient()
REQS = {"pip_requirements": ["scikit-learn"]}  # skips the client's slow requirement inference


def error_code(fn, *a, **kw):
    try:
        fn(*a, **kw)
    except MlflowException as exc:
        return exc.error_code
    return None


X, y = load_iris(return_X_y=True)
probe = X[[0, 60, 120]]
mlflow.set_experiment(f"/Users/me@company.com/registry-{prefix}")

with mlflow.start_run(run_name="v1") as r1:
    m1 = LogisticRegression(max_iter=50, C=0.01).fit(X, y)
    mlflow.log_metric("accuracy", float(m1.score(X, y)))
    info1 = mlflow.sklearn.log_model(m1, name="model", registered_model_name=name, **REQS)
out["v1_registered_version"] = info1.registered_model_version
out["v1_model_uri_prefix"] = info1.model_uri.split("/")[0]

with mlflow.start_run(run_name="v2") as r2:
    m2 = LogisticRegression(max_iter=500).fit(X, (y + 1) % 3)  # other labels: predictions differ
    mlflow.log_metric("accuracy", float(m2.score(X, y)))
    mlflow.sklearn.log_model(m2, name="model", **REQS)
mv2 = mlflow.register_model(f"runs:/{r2.info.run_id}/model", name)
out["v2_version"] = mv2.version
out["v2_status"] = mv2.status
out["v2_run_id_ok"] = mv2.run_id == r2.info.run_id

client.transition_model_version_stage(name, "1", "Production")
client.transition_model_version_stage(name, "2", "staging")
out["stages_before"] = {
    v.version: v.current_stage for v in client.search_model_versions(f"name='{name}'")
}
client.transition_model_version_stage(name, "2", "Production", archive_existing_versions=True)
client.update_model_version(name, "2", description="promoted: better accuracy")
versions = client.search_model_versions(f"name='{name}'")
out["stages_after"] = {v.version: v.current_stage for v in versions}
out["descriptions"] = {v.version: v.description or "" for v in versions}
out["latest_production"] = [v.version for v in client.get_latest_versions(name, ["Production"])]
out["bad_stage"] = error_code(client.transition_model_version_stage, name, "2", "Live")

found = client.search_registered_models(filter_string=f"name = '{name}'")
out["search_rm"] = [m.name for m in found]
out["search_rm_latest"] = sorted(
    (v.version, v.current_stage) for m in found for v in (m.latest_versions or [])
)
out["search_rm_like"] = [
    m.name
    for m in client.search_registered_models(filter_string=f"name LIKE 'churn-model-{prefix}%'")
]
out["missing_model"] = error_code(client.get_registered_model, f"nope-{prefix}")
out["duplicate_model"] = error_code(client.create_registered_model, name)

client.set_registered_model_alias(name, "champion", "2")
client.set_registered_model_alias(name, "challenger", "1")
out["alias_version"] = client.get_model_version_by_alias(name, "champion").version
out["rm_aliases"] = client.get_registered_model(name).aliases
out["mv_aliases"] = list(client.get_model_version(name, "2").aliases)

expected1 = m1.predict(probe).tolist()
expected2 = m2.predict(probe).tolist()
out["models_differ"] = expected1 != expected2


def predict(uri):
    return np.asarray(mlflow.pyfunc.load_model(uri).predict(probe)).tolist()


out["pred_production_ok"] = predict(f"models:/{name}/Production") == expected2
out["pred_alias_ok"] = predict(f"models:/{name}@champion") == expected2
out["pred_challenger_ok"] = predict(f"models:/{name}@challenger") == expected1
out["pred_latest_ok"] = predict(f"models:/{name}/latest") == expected2
out["pred_version_ok"] = predict(f"models:/{name}/1") == expected1
out["pred_runs_ok"] = predict(f"runs:/{r1.info.run_id}/model") == expected1
out["pred_sklearn_ok"] = (
    mlflow.sklearn.load_model(f"models:/{name}/Production").predict(probe).tolist() == expected2
)

client.delete_registered_model_alias(name, "champion")
out["deleted_alias"] = error_code(client.get_model_version_by_alias, name, "champion")
out["rm_aliases_after"] = client.get_registered_model(name).aliases
out["missing_version"] = error_code(client.get_model_version, name, "99")
print("RESULT" + json.dumps(out))
