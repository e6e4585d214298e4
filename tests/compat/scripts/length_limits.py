"""MLflow's field length limits seen by the REAL mlflow client (``.venv-mlflow``) against a live
server: each field at its limit accepted, one character more refused.

Input: env ``COMPAT_ARGS`` = {"prefix": "<unique>"}. Output: one ``RESULT{json}`` line with, per
case, ``[error_code, message]`` of the refusal (``None`` when accepted).
"""

import json
import os

from mlflow import MlflowClient
from mlflow.entities import Dataset, DatasetInput
from mlflow.exceptions import MlflowException

ARGS = json.loads(os.environ["COMPAT_ARGS"])
prefix = ARGS["prefix"]
client = MlflowClient()
out: dict = {}


def attempt(fn, *a, **kw):
    try:
        fn(*a, **kw)
    except MlflowException as exc:
        return [exc.error_code, exc.message]
    return None


exp = client.create_experiment(f"{prefix}-limits")
out["run_name_250"] = attempt(client.create_run, exp, run_name="r" * 250)
out["run_name_251"] = attempt(client.create_run, exp, run_name="r" * 251)
run = client.create_run(exp)
run_id = run.info.run_id
out["update_run_name_251"] = attempt(client.update_run, run_id, name="u" * 251)
out["exp_tag_20000"] = attempt(client.set_experiment_tag, exp, "note", "v" * 20000)
out["exp_tag_20001"] = attempt(client.set_experiment_tag, exp, "note", "v" * 20001)


def dataset(digest):
    return [DatasetInput(Dataset(name="d", digest=digest, source_type="local", source="{}"))]


out["digest_36"] = attempt(client.log_inputs, run_id, datasets=dataset("a" * 36))
out["digest_37"] = attempt(client.log_inputs, run_id, datasets=dataset("a" * 37))
out["artifact_location_2049"] = attempt(
    client.create_experiment, f"{prefix}-loc", artifact_location="mlflow-artifacts:/" + "x" * 2031
)
model = f"{prefix}-model"
out["rm_description_5000"] = attempt(client.create_registered_model, model, description="d" * 5000)
out["rm_description_5001"] = attempt(
    client.create_registered_model, f"{prefix}-other", description="d" * 5001
)
out["mv_source_500"] = attempt(client.create_model_version, model, "s3://b/" + "x" * 493)
out["mv_source_501"] = attempt(client.create_model_version, model, "s3://b/" + "x" * 494)
out["stored_run_name"] = len(client.get_run(run_id).info.run_name)
print("RESULT" + json.dumps(out))
