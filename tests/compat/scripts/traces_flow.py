"""MLflow 3 tracing run by the REAL mlflow client (``.venv-mlflow``) against a live server.

Input: env ``COMPAT_ARGS`` = {"prefix": "<unique>"}. Output: one ``RESULT{json}`` line.
"""

import json
import os

import mlflow
import requests
from mlflow import MlflowClient
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


exp = mlflow.set_experiment(f"traces-{prefix}")
exp_id = exp.experiment_id


@mlflow.trace(span_type="TOOL")
def add_one(x):
    return x + 1


@mlflow.trace(name="predict")
def predict(x, scale=2):
    with mlflow.start_span(name="scale") as span:
        span.set_inputs({"x": x, "scale": scale})
        y = x * scale
        span.set_outputs({"y": y})
        span.set_attribute("note", "scaled")
    return add_one(y)


@mlflow.trace
def failing(x):
    raise ValueError(f"bad input {x}")


# --- traces from decorators and context managers ------------------------------------------
out["predict_result"] = predict(3)
predict_id = mlflow.get_last_active_trace_id()
out["predict_id"] = predict_id
try:
    failing(1)
except ValueError:
    pass
failing_id = mlflow.get_last_active_trace_id()
with mlflow.start_run(run_name=f"run-{prefix}") as run:
    predict(10, scale=3)
    run_trace_id = mlflow.get_last_active_trace_id()
mlflow.flush_trace_async_logging()

# --- the client API: start_trace / start_span / end_span / end_trace -----------------------
root = client.start_trace("manual_root", inputs={"q": "hello"}, tags={"origin": "client"})
child = client.start_span(
    "manual_child", trace_id=root.trace_id, parent_id=root.span_id, inputs={"i": 1}
)
client.end_span(root.trace_id, child.span_id, outputs={"o": 2})
client.end_trace(root.trace_id, outputs={"answer": "world"})
manual_id = root.trace_id
out["manual_id"] = manual_id
mlflow.flush_trace_async_logging()

# --- get_trace: info and spans -------------------------------------------------------------
trace = mlflow.get_trace(predict_id)
out["predict_info"] = {
    "state": trace.info.state.value,
    "experiment_id": trace.info.experiment_id,
    "name_tag": trace.info.tags.get("mlflow.traceName"),
    "artifact_location": trace.info.tags.get("mlflow.artifactLocation"),
    "request_preview": trace.info.request_preview,
    "response_preview": trace.info.response_preview,
    "has_duration": trace.info.execution_duration is not None,
}
spans = {s.name: s for s in trace.data.spans}
names_by_id = {s.span_id: s.name for s in trace.data.spans}
out["predict_spans"] = {
    name: {
        "parent": names_by_id.get(s.parent_id) if s.parent_id else None,
        "inputs": s.inputs,
        "outputs": s.outputs,
        "status": s.status.status_code.value,
        "span_type": s.span_type,
    }
    for name, s in spans.items()
}
out["scale_note"] = spans["scale"].get_attribute("note")

failed = mlflow.get_trace(failing_id)
out["failing"] = {
    "state": failed.info.state.value,
    "span_status": failed.data.spans[0].status.status_code.value,
    "events": [e.name for e in failed.data.spans[0].events],
}
manual = client.get_trace(manual_id)
out["manual"] = {
    "names": sorted(s.name for s in manual.data.spans),
    "tag_origin": manual.info.tags.get("origin"),
    "root_inputs": [s.inputs for s in manual.data.spans if s.name == "manual_root"][0],
    "child_outputs": [s.outputs for s in manual.data.spans if s.name == "manual_child"][0],
}
out["run_trace_source_run"] = client.get_trace(run_trace_id).info.request_metadata.get(
    "mlflow.sourceRun"
)
out["run_id"] = run.info.run_id

# --- the server's own GetTrace / BatchGetTraces (spans read back from traces.json) ----------
store = client._tracing_client.store  # the real client's RestStore
served = store.get_trace(predict_id)
out["served_spans"] = sorted(
    [s.name, s.inputs, s.outputs, s.span_type, s.status.status_code.value]
    for s in served.data.spans
)
out["served_name_tag"] = served.info.tags.get("mlflow.traceName")
batch = store.batch_get_traces([predict_id, manual_id])
out["batch"] = [[t.info.trace_id, len(t.data.spans)] for t in batch]
out["batch_infos"] = [t.trace_id for t in store.batch_get_trace_infos([manual_id, predict_id])] == [
    manual_id,
    predict_id,
]

# --- search ----------------------------------------------------------------------------------
all_traces = mlflow.search_traces(locations=[exp_id], return_type="list")
out["search_count"] = len(all_traces)
out["search_ids_newest_first"] = [t.info.trace_id for t in all_traces] == sorted(
    [t.info.trace_id for t in all_traces],
    key=lambda tid: -[t for t in all_traces if t.info.trace_id == tid][0].info.request_time,
)
out["search_span_counts"] = sorted(len(t.data.spans) for t in all_traces)
ok = mlflow.search_traces(locations=[exp_id], filter_string="status = 'OK'", return_type="list")
out["ok_count"] = len(ok)
errors = client.search_traces(
    locations=[exp_id], filter_string="attributes.status = 'ERROR'", include_spans=False
)
out["error_ids"] = [t.info.trace_id for t in errors]
out["failing_id"] = failing_id
by_name = mlflow.search_traces(
    locations=[exp_id], filter_string="tags.`mlflow.traceName` = 'predict'", return_type="list"
)
out["by_name_count"] = len(by_name)
by_run = mlflow.search_traces(run_id=run.info.run_id, return_type="list")
out["by_run_ids"] = [t.info.trace_id for t in by_run]
out["run_trace_id"] = run_trace_id
df = mlflow.search_traces(locations=[exp_id], max_results=2)
out["df_rows"] = len(df)
out["df_has_trace_id_column"] = "trace_id" in df.columns
page1 = client.search_traces(locations=[exp_id], max_results=2, include_spans=False)
page2 = client.search_traces(
    locations=[exp_id], max_results=2, page_token=page1.token, include_spans=False
)
out["paged_ids_distinct"] = len({t.info.trace_id for t in list(page1) + list(page2)}) == 4
out["bad_filter_code"] = error_code(
    mlflow.search_traces, locations=[exp_id], filter_string="colour = 'red'"
)

# --- tags --------------------------------------------------------------------------------------
client.set_trace_tag(predict_id, "reviewed", "yes")
mlflow.set_trace_tag(predict_id, "quality", "good")
out["tags_after_set"] = {
    k: v for k, v in client.get_trace(predict_id).info.tags.items() if k in ("reviewed", "quality")
}
tagged = mlflow.search_traces(
    locations=[exp_id], filter_string="tags.reviewed = 'yes'", return_type="list"
)
out["tagged_ids"] = [t.info.trace_id for t in tagged]
client.delete_trace_tag(predict_id, "reviewed")
out["tags_after_delete"] = sorted(
    k for k in client.get_trace(predict_id).info.tags if k in ("reviewed", "quality")
)
out["missing_trace_code"] = error_code(client.get_trace, "tr-" + "0" * 32)

# --- what the server refuses (raw HTTP: the client itself guards some of these) --------------
base = os.environ["MLFLOW_TRACKING_URI"].rstrip("/")
resp = requests.patch(
    f"{base}/api/3.0/mlflow/traces/{predict_id}/tags",
    json={"key": "mlflow.artifactLocation", "value": "/etc"},
    timeout=30,
)
out["immutable_tag"] = [resp.status_code, resp.json().get("error_code")]
resp = requests.post(
    f"{base}/api/3.0/mlflow/traces/search",
    json={"locations": [{"mlflow_experiment": {"experiment_id": exp_id}}], "max_results": 501},
    timeout=30,
)
out["search_501"] = [resp.status_code, resp.json().get("error_code")]
resp = requests.post(f"{base}/v1/traces", data=b"\x00", timeout=30)
out["otlp"] = [resp.status_code, resp.json().get("error_code"), resp.json().get("message", "")]

# --- delete ------------------------------------------------------------------------------------
out["deleted_by_id"] = client.delete_traces(exp_id, trace_ids=[failing_id])
out["after_delete_count"] = len(mlflow.search_traces(locations=[exp_id], return_type="list"))
out["deleted_rest"] = client.delete_traces(exp_id, max_timestamp_millis=2**62)
out["final_count"] = len(mlflow.search_traces(locations=[exp_id], return_type="list"))

print("RESULT" + json.dumps(out, default=str))
