"""Tracking workflow run by the REAL mlflow client (``.venv-mlflow``) against a live server.

Input: env ``COMPAT_ARGS`` = {"prefix": "<unique>"}. Output: one ``RESULT{json}`` line.
"""

import hashlib
import json
import os
import struct
import tempfile
import time
import zlib

import mlflow
from mlflow import MlflowClient
from mlflow.entities import Metric, Param, RunTag, ViewType
from mlflow.exceptions import MlflowException

ARGS = json.loads(os.environ["COMPAT_ARGS"])
prefix = ARGS["prefix"]
out: dict = {}
client = MlflowClient()


def error_code(fn, *a, **kw):
    try:
        fn(*a, **kw)
    except MlflowException as exc:
        return exc.error_code
    return None


def png_bytes(width=4, height=3):
    rows = b"".join(
        b"\x00" + b"".join(bytes([(x * 60) % 256, (y * 80) % 256, 128]) for x in range(width))
        for y in range(height)
    )

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


# --- experiments by path-like names ------------------------------------------------------
exp_name = f"/Users/me@company.com/churn-{prefix}"
exp = mlflow.set_experiment(exp_name)
out["experiment_id"] = exp.experiment_id
out["experiment_name"] = exp.name
out["set_again_same_id"] = mlflow.set_experiment(exp_name).experiment_id == exp.experiment_id
out["by_name_id"] = client.get_experiment_by_name(exp_name).experiment_id

# --- runs, params, metrics with steps, tags, nested runs ------------------------------------
work = tempfile.mkdtemp()
png = png_bytes()
with open(os.path.join(work, "plot.png"), "wb") as f:
    f.write(png)
reports = os.path.join(work, "reports")
os.makedirs(os.path.join(reports, "sub"))
with open(os.path.join(reports, "summary.txt"), "w") as f:
    f.write("summary")
with open(os.path.join(reports, "sub", "table.csv"), "w") as f:
    f.write("a,b\n1,2\n")

run_ids = []
with mlflow.start_run(run_name="parent") as parent:
    parent_id = parent.info.run_id
    mlflow.log_param("model", "rf")
    mlflow.log_params({"n_estimators": 100, "max_depth": 5})
    for step in range(5):
        mlflow.log_metric("loss", 1.0 / (step + 1), step=step)
    mlflow.log_metrics({"auc": 0.9, "f1": 0.8})
    mlflow.set_tag("team", "churn")
    mlflow.set_tags({"stage": "dev", "owner": "me"})
    ts = int(time.time() * 1000)
    client.log_batch(
        parent_id,
        metrics=[Metric("batch_m", float(i), ts + i, i) for i in range(50)],
        params=[Param("batch_p", "x")],
        tags=[RunTag("batch_t", "y")],
    )
    mlflow.log_artifact(os.path.join(work, "plot.png"))
    mlflow.log_artifacts(reports, artifact_path="reports")
    for i in range(3):
        with mlflow.start_run(run_name=f"child-{i}", nested=True) as child:
            mlflow.log_param("i", i)
            mlflow.log_metric("score", 0.3 * i + 0.1)
            run_ids.append(child.info.run_id)

# --- get_run, history -----------------------------------------------------------------------
got = client.get_run(parent_id)
out["parent"] = {
    "status": got.info.status,
    "run_name": got.info.run_name,
    "params": got.data.params,
    "metrics": got.data.metrics,
    "tags": {k: v for k, v in got.data.tags.items() if not k.startswith("mlflow.source")},
    "artifact_uri": got.info.artifact_uri,
    "lifecycle_stage": got.info.lifecycle_stage,
}
out["loss_history"] = [[m.step, m.value] for m in client.get_metric_history(parent_id, "loss")]
out["batch_history_len"] = len(client.get_metric_history(parent_id, "batch_m"))
out["children_parent_tag"] = [
    client.get_run(r).data.tags.get("mlflow.parentRunId") for r in run_ids
]

# --- artifacts through the proxy ------------------------------------------------------------
out["root_artifacts"] = sorted((f.path, f.is_dir) for f in client.list_artifacts(parent_id))
out["reports_artifacts"] = sorted(
    (f.path, f.is_dir) for f in client.list_artifacts(parent_id, "reports")
)
out["fluent_list"] = sorted(
    f.path for f in mlflow.artifacts.list_artifacts(run_id=parent_id, artifact_path="reports/sub")
)
dl = client.download_artifacts(parent_id, "plot.png", tempfile.mkdtemp())
out["png_sha_ok"] = (
    hashlib.sha256(open(dl, "rb").read()).hexdigest() == hashlib.sha256(png).hexdigest()
)
out["png_size"] = os.path.getsize(dl)
ddir = mlflow.artifacts.download_artifacts(
    run_id=parent_id, artifact_path="reports", dst_path=tempfile.mkdtemp()
)
out["downloaded_dir"] = sorted(
    os.path.relpath(os.path.join(d, f), ddir) for d, _, fs in os.walk(ddir) for f in fs
)
out["downloaded_csv"] = open(os.path.join(ddir, "sub", "table.csv")).read()
out["missing_artifact_error"] = (
    error_code(client.download_artifacts, parent_id, "nope.txt", tempfile.mkdtemp())
    or "raised-other"
)

# --- search ----------------------------------------------------------------------------------
eid = exp.experiment_id
df = mlflow.search_runs(
    experiment_ids=[eid], filter_string="metrics.score > 0.2", order_by=["metrics.score DESC"]
)
out["df_ids"] = list(df["run_id"])
out["df_scores"] = [float(v) for v in df["metrics.score"]]
out["df_columns_have_params"] = "params.i" in df.columns
df_limited = mlflow.search_runs(
    experiment_ids=[eid],
    order_by=["metrics.score ASC"],
    max_results=2,
    filter_string="params.i != ''",
)
out["df_limited_ids"] = list(df_limited["run_id"])
runs_list = mlflow.search_runs(
    experiment_names=[exp_name],
    filter_string="tags.mlflow.runName LIKE 'child-%'",
    order_by=["params.i DESC"],
    output_format="list",
)
out["list_names"] = [r.info.run_name for r in runs_list]
page1 = client.search_runs([eid], order_by=["attributes.start_time ASC"], max_results=2)
page2 = client.search_runs(
    [eid], order_by=["attributes.start_time ASC"], max_results=2, page_token=page1.token
)
out["paged"] = [r.info.run_id for r in page1] + [r.info.run_id for r in page2]
out["page2_token"] = page2.token
out["all_run_ids_in_start_order"] = [parent_id] + run_ids
out["child_ids"] = run_ids
out["param_filter"] = [r.info.run_id for r in client.search_runs([eid], "params.model = 'rf'")]

# --- delete / restore ------------------------------------------------------------------------
client.delete_run(run_ids[0])
out["deleted_stage"] = client.get_run(run_ids[0]).info.lifecycle_stage
out["active_after_delete"] = len(client.search_runs([eid]))
out["deleted_only"] = [
    r.info.run_id for r in client.search_runs([eid], run_view_type=ViewType.DELETED_ONLY)
]
client.restore_run(run_ids[0])
out["restored_stage"] = client.get_run(run_ids[0]).info.lifecycle_stage
out["active_after_restore"] = len(client.search_runs([eid]))

other = client.create_experiment(f"/Users/me@company.com/tmp-{prefix}")
client.delete_experiment(other)
out["exp_deleted_stage"] = client.get_experiment(other).lifecycle_stage
out["deleted_exp_listed"] = other in [
    e.experiment_id for e in client.search_experiments(view_type=ViewType.DELETED_ONLY)
]
out["deleted_exp_by_name"] = client.get_experiment_by_name(
    f"/Users/me@company.com/tmp-{prefix}"
).lifecycle_stage
client.restore_experiment(other)
out["exp_restored_stage"] = client.get_experiment(other).lifecycle_stage

# --- errors and bad input --------------------------------------------------------------------
out["missing_run"] = error_code(client.get_run, "0" * 32)
out["missing_experiment"] = error_code(client.get_experiment, "987654321")
out["missing_history_run"] = error_code(client.get_metric_history, "f" * 32, "loss")
out["bad_filter"] = error_code(client.search_runs, [eid], "metrics.score = 'abc'")
out["bad_filter_syntax"] = error_code(client.search_runs, [eid], "params.i ==== 1")
out["bad_order_by"] = error_code(client.search_runs, [eid], "", order_by=["nonsense.x DESC"])
out["param_overwrite"] = error_code(client.log_param, parent_id, "model", "xgb")
out["duplicate_experiment"] = error_code(client.create_experiment, exp_name)
# The client splits big batches itself; send an oversized one on the wire directly.
import requests  # noqa: E402

resp = requests.post(
    os.environ["MLFLOW_TRACKING_URI"] + "/api/2.0/mlflow/runs/log-batch",
    json={
        "run_id": parent_id,
        "metrics": [
            {"key": "too_many", "value": 1.0, "timestamp": ts, "step": i} for i in range(1001)
        ],
    },
    timeout=30,
)
out["batch_too_big"] = [resp.status_code, resp.json().get("error_code")]
out["batch_too_big_stored"] = len(client.get_metric_history(parent_id, "too_many"))
base = os.environ["MLFLOW_TRACKING_URI"] + "/api/2.0/mlflow"
wrong_type = requests.post(
    base + "/runs/log-batch",
    data=json.dumps({"run_id": parent_id, "metrics": []}),
    headers={"Content-Type": "text/plain"},
    timeout=30,
)
out["wrong_content_type"] = [wrong_type.status_code, wrong_type.json().get("error_code")]
broken = requests.post(
    base + "/runs/log-batch",
    data=b'{"run_id": "' + parent_id.encode() + b'", "metrics": [',
    headers={"Content-Type": "application/json"},
    timeout=30,
)
out["malformed_json"] = [broken.status_code, broken.json().get("error_code")]
unknown = requests.get(base + "/no-such-endpoint", timeout=30)
out["unknown_endpoint"] = [unknown.status_code, unknown.json().get("error_code")]
out["bad_metric_key"] = error_code(
    client.log_batch, parent_id, metrics=[Metric("ok", 1.0, ts, 0), Metric("../bad", 1.0, ts, 0)]
)
out["bad_batch_partial"] = len(client.get_metric_history(parent_id, "ok"))
out["missing_log_run"] = error_code(client.log_metric, "e" * 32, "m", 1.0)
print("RESULT" + json.dumps(out))
