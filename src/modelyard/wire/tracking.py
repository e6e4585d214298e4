"""Tracking entities <-> MLflow JSON (proto3-JSON conventions, compat spec §1.6 and §3.6).

``*_to_json`` build plain dicts ready for :func:`modelyard.wire.dumps`: unset fields and empty
lists are left out, int64 values are numbers, enums are names and non-finite doubles are the
strings ``"NaN"``/``"Infinity"``/``"-Infinity"``. ``*_from_json`` read the same shapes back (the
REST client uses them) and accept what the MLflow client sends.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from modelyard.entities import (
    Dataset,
    DatasetInput,
    Experiment,
    FileInfo,
    InputTag,
    LoggedModel,
    LoggedModelInput,
    LoggedModelOutput,
    LoggedModelStatus,
    Metric,
    Param,
    Run,
    RunData,
    RunInfo,
    RunInputs,
    RunOutputs,
    RunStatus,
    RunTag,
)
from modelyard.wire._json import double_to_json
from modelyard.wire.request import WireArgs

__all__ = [
    "metrics_from_json",
    "dataset_input_from_json",
    "dataset_input_to_json",
    "experiment_from_json",
    "experiment_to_json",
    "file_info_from_json",
    "file_info_to_json",
    "key_values_to_json",
    "logged_model_from_json",
    "logged_model_to_json",
    "metric_from_json",
    "metric_to_json",
    "param_from_json",
    "run_from_json",
    "run_info_from_json",
    "run_info_to_json",
    "run_to_json",
    "tag_from_json",
]


def key_values_to_json(
    items: Mapping[str, str] | Iterable[tuple[str, str]],
) -> list[dict[str, str]]:
    pairs = items.items() if isinstance(items, Mapping) else items
    return [{"key": k, "value": v} for k, v in pairs]


def _kv_dict(entries: Any) -> dict[str, str]:
    return {e["key"]: e.get("value", "") for e in entries or ()}


# ---------------------------------------------------------------------------- experiments
def experiment_to_json(exp: Experiment) -> dict[str, Any]:
    out: dict[str, Any] = {
        "experiment_id": exp.experiment_id,
        "name": exp.name,
        "artifact_location": exp.artifact_location,
        "lifecycle_stage": exp.lifecycle_stage,
    }
    if exp.last_update_time is not None:
        out["last_update_time"] = exp.last_update_time
    if exp.creation_time is not None:
        out["creation_time"] = exp.creation_time
    if exp.tags:
        out["tags"] = key_values_to_json(exp.tags)
    return out


def experiment_from_json(d: Mapping[str, Any]) -> Experiment:
    return Experiment(
        experiment_id=str(d["experiment_id"]),
        name=d.get("name", ""),
        artifact_location=d.get("artifact_location", ""),
        lifecycle_stage=d.get("lifecycle_stage", "active"),
        tags=_kv_dict(d.get("tags")),
        creation_time=_opt_int(d.get("creation_time")),
        last_update_time=_opt_int(d.get("last_update_time")),
    )


# ---------------------------------------------------------------------------- metrics
def metric_to_json(m: Metric, with_run_id: bool = False) -> dict[str, Any]:
    value = m.value
    if value - value != 0:  # NaN or an infinity (hot path: one float op for finite values)
        value = double_to_json(value)  # type: ignore[assignment]
    out: dict[str, Any] = {"key": m.key, "value": value, "timestamp": m.timestamp, "step": m.step}
    if m.dataset_name is None and m.dataset_digest is None and m.model_id is None:
        if with_run_id and m.run_id is not None:
            out["run_id"] = m.run_id
        return out
    if m.dataset_name is not None:
        out["dataset_name"] = m.dataset_name
    if m.dataset_digest is not None:
        out["dataset_digest"] = m.dataset_digest
    if m.model_id is not None:
        out["model_id"] = m.model_id
    if with_run_id and m.run_id is not None:
        out["run_id"] = m.run_id
    return out


_PLAIN_METRIC_KEYS = frozenset(("key", "value", "timestamp", "step"))


def metrics_from_json(items: list[WireArgs], run_id: str | None = None) -> list[Metric]:
    """The metrics of a log-batch request. Plain points (``key``, a number ``value``, integer
    ``timestamp`` and ``step``, nothing else) take a fast path; anything else goes through the
    generic field parser, so its errors name the field exactly as for a single metric."""
    out: list[Metric] = []
    append = out.append
    plain = _PLAIN_METRIC_KEYS
    for item in items:
        d = item._data
        if d.keys() <= plain:
            key = d.get("key")
            value: Any = d.get("value")
            ts = d.get("timestamp")
            step = d.get("step", 0)
            if (
                type(key) is str
                and key
                and type(value) in (float, int)
                and type(ts) is int
                and type(step) is int
            ):
                append(Metric(key, float(value), ts, step, run_id))
                continue
        append(metric_from_json(item, run_id))
    return out


def metric_from_json(d: Mapping[str, Any] | WireArgs, run_id: str | None = None) -> Metric:
    """A metric of a request (log-batch) or a response; missing key/value/timestamp -> 400."""
    args = d if isinstance(d, WireArgs) else WireArgs.from_json(d)
    key = args.req_str("key")
    return Metric(
        key,
        args.req_double("value"),
        args.req_int("timestamp"),
        args.int("step", default=0) or 0,
        args.str("run_id") or run_id,
        args.str("model_id") or None,
        args.str("dataset_name") or None,
        args.str("dataset_digest") or None,
    )


# ---------------------------------------------------------------------------- runs
def run_info_to_json(info: RunInfo) -> dict[str, Any]:
    out: dict[str, Any] = {
        "run_id": info.run_id,
        "run_uuid": info.run_id,
        "run_name": info.run_name,
        "experiment_id": info.experiment_id,
        "user_id": info.user_id or "",
        "status": info.status,
    }
    if info.start_time is not None:
        out["start_time"] = info.start_time
    if info.end_time is not None:
        out["end_time"] = info.end_time
    out["artifact_uri"] = info.artifact_uri
    out["lifecycle_stage"] = info.lifecycle_stage
    return out


def _run_data_to_json(data: RunData) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if data.metric_objs:
        out["metrics"] = [metric_to_json(m) for m in data.metric_objs]
    elif data.metrics:
        out["metrics"] = [
            {"key": k, "value": double_to_json(v), "timestamp": 0, "step": 0}
            for k, v in data.metrics.items()
        ]
    if data.params:
        out["params"] = key_values_to_json(data.params)
    if data.tags:
        out["tags"] = key_values_to_json(data.tags)
    return out


def dataset_input_to_json(di: DatasetInput) -> dict[str, Any]:
    ds = di.dataset
    dataset: dict[str, Any] = {
        "name": ds.name,
        "digest": ds.digest,
        "source_type": ds.source_type,
        "source": ds.source,
    }
    if ds.schema is not None:
        dataset["schema"] = ds.schema
    if ds.profile is not None:
        dataset["profile"] = ds.profile
    out: dict[str, Any] = {"dataset": dataset}
    if di.tags:
        out["tags"] = [{"key": t.key, "value": t.value} for t in di.tags]
    return out


def dataset_input_from_json(d: Mapping[str, Any] | WireArgs) -> DatasetInput:
    args = d if isinstance(d, WireArgs) else WireArgs.from_json(d)
    ds = args.obj("dataset", required=True)
    assert ds is not None
    dataset = Dataset(
        name=ds.req_str("name"),
        digest=ds.req_str("digest"),
        source_type=ds.str("source_type") or "",
        source=ds.str("source") or "",
        schema=ds.str("schema"),
        profile=ds.str("profile"),
    )
    tags = tuple(InputTag(k, v) for k, v in args.key_values("tags"))
    return DatasetInput(dataset, tags)


def run_to_json(run: Run) -> dict[str, Any]:
    inputs: dict[str, Any] = {}
    if run.inputs.dataset_inputs:
        inputs["dataset_inputs"] = [dataset_input_to_json(d) for d in run.inputs.dataset_inputs]
    if run.inputs.model_inputs:
        inputs["model_inputs"] = [{"model_id": m.model_id} for m in run.inputs.model_inputs]
    outputs: dict[str, Any] = {}
    if run.outputs.model_outputs:
        outputs["model_outputs"] = [
            {"model_id": m.model_id, "step": m.step} for m in run.outputs.model_outputs
        ]
    return {
        "info": run_info_to_json(run.info),
        "data": _run_data_to_json(run.data),
        "inputs": inputs,
        "outputs": outputs,
    }


def run_info_from_json(d: Mapping[str, Any]) -> RunInfo:
    return RunInfo(
        run_id=d.get("run_id") or d["run_uuid"],
        experiment_id=str(d.get("experiment_id", "")),
        run_name=d.get("run_name", ""),
        user_id=d.get("user_id", ""),
        status=RunStatus.coerce(d.get("status", "RUNNING")),
        start_time=_opt_int(d.get("start_time")),
        end_time=_opt_int(d.get("end_time")),
        artifact_uri=d.get("artifact_uri", ""),
        lifecycle_stage=d.get("lifecycle_stage", "active"),
    )


def run_from_json(d: Mapping[str, Any]) -> Run:
    info = run_info_from_json(d["info"])
    data = d.get("data") or {}
    metric_objs = [metric_from_json(m) for m in data.get("metrics", ())]
    run_data = RunData(
        metrics={m.key: m.value for m in metric_objs},
        params=_kv_dict(data.get("params")),
        tags=_kv_dict(data.get("tags")),
        metric_objs=metric_objs,
    )
    raw_inputs = d.get("inputs") or {}
    inputs = RunInputs(
        dataset_inputs=[dataset_input_from_json(x) for x in raw_inputs.get("dataset_inputs", ())],
        model_inputs=[LoggedModelInput(x["model_id"]) for x in raw_inputs.get("model_inputs", ())],
    )
    raw_outputs = d.get("outputs") or {}
    outputs = RunOutputs(
        model_outputs=[
            LoggedModelOutput(x["model_id"], int(x.get("step", 0)))
            for x in raw_outputs.get("model_outputs", ())
        ]
    )
    return Run(info, run_data, inputs, outputs)


# ---------------------------------------------------------------------------- logged models
def logged_model_to_json(model: LoggedModel) -> dict[str, Any]:
    info: dict[str, Any] = {
        "model_id": model.model_id,
        "experiment_id": model.experiment_id,
        "name": model.name,
        "creation_timestamp_ms": model.creation_timestamp,
        "last_updated_timestamp_ms": model.last_updated_timestamp,
        "artifact_uri": model.artifact_location,
        "status": model.status,
    }
    if model.creator_id is not None:
        try:
            info["creator_id"] = int(model.creator_id)
        except (TypeError, ValueError):
            pass
    if model.model_type is not None:
        info["model_type"] = model.model_type
    if model.source_run_id is not None:
        info["source_run_id"] = model.source_run_id
    if model.status_message is not None:
        info["status_message"] = model.status_message
    if model.tags:
        info["tags"] = key_values_to_json(model.tags)
    data: dict[str, Any] = {}
    if model.params:
        data["params"] = key_values_to_json(model.params)
    if model.metrics:
        data["metrics"] = [metric_to_json(m, with_run_id=True) for m in model.metrics]
    return {"info": info, "data": data}


def logged_model_from_json(d: Mapping[str, Any]) -> LoggedModel:
    info = d.get("info") or {}
    data = d.get("data") or {}
    creator = info.get("creator_id")
    return LoggedModel(
        model_id=info["model_id"],
        experiment_id=str(info.get("experiment_id", "")),
        name=info.get("name", ""),
        artifact_location=info.get("artifact_uri", ""),
        creation_timestamp=int(info.get("creation_timestamp_ms", 0)),
        last_updated_timestamp=int(info.get("last_updated_timestamp_ms", 0)),
        status=LoggedModelStatus.coerce(info.get("status", LoggedModelStatus.UNSPECIFIED)),
        status_message=info.get("status_message"),
        model_type=info.get("model_type"),
        source_run_id=info.get("source_run_id"),
        creator_id=str(creator) if creator is not None else None,
        tags=_kv_dict(info.get("tags")),
        params=_kv_dict(data.get("params")),
        metrics=[metric_from_json(m) for m in data.get("metrics", ())],
    )


# ---------------------------------------------------------------------------- artifacts
def file_info_to_json(f: FileInfo, path: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"path": f.path if path is None else path, "is_dir": f.is_dir}
    if not f.is_dir and f.file_size is not None:
        out["file_size"] = f.file_size
    return out


def file_info_from_json(d: Mapping[str, Any]) -> FileInfo:
    size = d.get("file_size")
    return FileInfo(
        d["path"], bool(d.get("is_dir", False)), int(size) if size is not None else None
    )


def _opt_int(value: Any) -> int | None:
    return None if value is None else int(value)


def param_from_json(d: Mapping[str, Any]) -> Param:
    return Param(d["key"], d.get("value", ""))


def tag_from_json(d: Mapping[str, Any]) -> RunTag:
    return RunTag(d["key"], d.get("value", ""))
