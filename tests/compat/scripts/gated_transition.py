"""A gated stage transition through the REAL mlflow client: blocked while the evaluation is
below the policy's threshold, applied once a passing evaluation is logged.

Input: env ``COMPAT_ARGS`` = {"prefix": "<unique>"}. The policy is set through modelyard's REST
route (MLflow has no policy API). Output: one ``RESULT{json}`` line.
"""

import json
import os
import urllib.request

from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

ARGS = json.loads(os.environ["COMPAT_ARGS"])
name = f"gated-{ARGS['prefix']}"
client = MlflowClient()
out: dict = {}

client.create_registered_model(name)
exp = client.create_experiment(f"exp-{ARGS['prefix']}")
train = client.create_run(exp)
mv = client.create_model_version(name, f"runs:/{train.info.run_id}/model", train.info.run_id)

policy = {
    "stages": {
        "Production": [{"type": "metric_threshold", "metric": "accuracy_score", "threshold": 0.85}]
    }
}
request = urllib.request.Request(
    os.environ["MLFLOW_TRACKING_URI"] + "/api/2.0/mlflow/registered-models/policy/set",
    data=json.dumps({"name": name, "policy": policy}).encode(),
    headers={"Content-Type": "application/json"},
    method="POST",
)
with urllib.request.urlopen(request) as response:
    out["policy_version"] = json.loads(response.read())["policy"]["version"]


def evaluation(accuracy: float) -> str:
    run = client.create_run(exp)
    client.set_tag(run.info.run_id, "modelyard.evaluation.model_version", f"{name}/{mv.version}")
    client.log_metric(run.info.run_id, "accuracy_score", accuracy)
    client.set_terminated(run.info.run_id)
    return run.info.run_id


out["low_run"] = evaluation(0.80)
try:
    client.transition_model_version_stage(name, mv.version, "Production")
    out["blocked"] = None
except MlflowException as exc:
    out["blocked"] = {"code": exc.error_code, "message": exc.message}
out["stage_after_block"] = client.get_model_version(name, mv.version).current_stage

out["high_run"] = evaluation(0.91)
moved = client.transition_model_version_stage(name, mv.version, "Production")
out["stage_after_pass"] = moved.current_stage
print("RESULT" + json.dumps(out))
