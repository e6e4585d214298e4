"""The web UI's prompt-engineering route (``/ajax-api/2.0/mlflow/runs/create-promptlab-run``).

MLflow's UI records one prompt evaluation as a finished run: the prompt template, the model route
and the model parameters as params, the evaluation (prompt parameters, model input and output) as
the table artifact ``eval_results_table.json``, and the tags that make the UI show it as a
prompt-engineering run. modelyard records the same run; it does not save MLflow's ``promptlab``
model flavor (there is no AI-gateway here to serve it).
"""

from __future__ import annotations

import io
import json
from typing import Any

from modelyard.entities import Param, RunStatus, RunTag
from modelyard.errors import InvalidParameterValue
from modelyard.server.routing import Call, Endpoint
from modelyard.utils.time import now_ms
from modelyard.wire import run_to_json

__all__ = ["ENDPOINTS"]

EVAL_TABLE = "eval_results_table.json"
_REQUIRED = (
    "experiment_id",
    "prompt_template",
    "prompt_parameters",
    "model_route",
    "model_input",
    "mlflow_version",
)


def _pairs(value: Any, field: str) -> list[tuple[str, str]]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(p, dict) for p in value):
        raise InvalidParameterValue(
            f"Invalid value for parameter '{field}': expected a list of {{key, value}} objects"
        )
    return [(str(p.get("key", "")), str(p.get("value", ""))) for p in value]


def create_promptlab_run(call: Call) -> dict[str, Any]:
    body = call.args.raw()
    for name in _REQUIRED:
        if not body.get(name):
            raise InvalidParameterValue(f"CreatePromptlabRun request must specify {name}.")
    prompt_parameters = _pairs(body.get("prompt_parameters"), "prompt_parameters")
    model_parameters = _pairs(body.get("model_parameters"), "model_parameters")
    output_parameters = _pairs(body.get("model_output_parameters"), "model_output_parameters")
    tags = [RunTag(k, v) for k, v in call.args.key_values("tags")]
    run = call.tracking.create_run(
        experiment_id=str(body["experiment_id"]),
        user_id=call.args.str("user_id") or "unknown",
        start_time=call.args.int("start_time") or now_ms(),
        tags=tags,
        run_name=call.args.str("run_name") or None,
    )
    run_id = run.info.run_id
    params = [Param(k, v) for k, v in model_parameters]
    params += [
        Param("model_route", str(body["model_route"])),
        Param("prompt_template", str(body["prompt_template"])),
    ]
    call.tracking.log_batch(
        run_id,
        params=params,
        tags=[
            RunTag("mlflow.loggedArtifacts", json.dumps([{"path": EVAL_TABLE, "type": "table"}])),
            RunTag("mlflow.runSourceType", "PROMPT_ENGINEERING"),
        ],
    )
    columns = [k for k, _ in prompt_parameters] + ["prompt", "output"]
    columns += [k for k, _ in output_parameters]
    row: list[Any] = [v for _, v in prompt_parameters] + [str(body["model_input"])]
    row += [body.get("model_output")] + [v for _, v in output_parameters]
    table = json.dumps({"columns": columns, "data": [row]}).encode()
    call.ctx.repository_for(run.info.artifact_uri).put_stream(EVAL_TABLE, io.BytesIO(table))
    call.tracking.update_run_info(run_id, run_status=RunStatus.FINISHED, end_time=now_ms())
    return {"run": run_to_json(call.tracking.get_run(run_id))}


ENDPOINTS: list[Endpoint] = [
    Endpoint("POST", "/mlflow/runs/create-promptlab-run", create_promptlab_run),
]
