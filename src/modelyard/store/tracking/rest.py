"""``RestTrackingStore``: the TrackingStore interface over any MLflow-compatible REST server.

Every call is one request through the pooled :func:`modelyard.store._http.get_session`; entity
shapes come from :mod:`modelyard.wire`. Run-scoped calls send both ``run_id`` and ``run_uuid``
(older servers read the latter).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from modelyard.entities import (
    DatasetInput,
    DatasetSummary,
    Experiment,
    LoggedModel,
    LoggedModelInput,
    LoggedModelOutput,
    Metric,
    PagedList,
    Param,
    Run,
    RunInfo,
    RunTag,
    TraceInfo,
    ViewType,
)
from modelyard.errors import EndpointNotFound, ResourceDoesNotExist
from modelyard.store._http import HttpSession, get_session
from modelyard.store.tracking.base import (
    EXPERIMENTS_MAX_RESULTS_DEFAULT,
    SEARCH_MAX_RESULTS_DEFAULT,
    SEARCH_TRACES_MAX_RESULTS_DEFAULT,
    TrackingStore,
    count_runs_by_paging,
)
from modelyard.wire import (
    dataset_input_to_json,
    experiment_from_json,
    key_values_to_json,
    logged_model_from_json,
    metric_from_json,
    metric_to_json,
    run_from_json,
    run_info_from_json,
)
from modelyard.wire.traces import trace_info_from_json, trace_info_to_json

__all__ = ["RestTrackingStore"]

_API = "/api/2.0/mlflow"
_API_V3 = "/api/3.0/mlflow"
_COUNT_RUNS = "/api/2.0/modelyard/runs/count"


def _kv(pairs: Sequence[tuple[str, str]] | None) -> list[dict[str, str]]:
    return key_values_to_json(list(pairs or ()))


def _add_search_fields(
    body: dict[str, Any],
    filter_string: str | None,
    order_by: Sequence[Any] | None,
    page_token: str | None,
) -> None:
    """The optional fields every search request shares, set only when given."""
    if filter_string:
        body["filter"] = filter_string
    if order_by:
        body["order_by"] = list(order_by)
    if page_token:
        body["page_token"] = page_token


def _paged(items: list[Any], data: dict[str, Any]) -> PagedList[Any]:
    return PagedList(items, data.get("next_page_token") or None)


class RestTrackingStore(TrackingStore):
    """Talks to ``host_uri`` (``http(s)://host:port[/prefix]``)."""

    def __init__(self, host_uri: str, session: HttpSession | None = None) -> None:
        self.host_uri = host_uri.rstrip("/")
        self._session = session or get_session(self.host_uri)

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        return self._session.call(method, _API + path, body)

    @staticmethod
    def _run_body(run_id: str, **fields: Any) -> dict[str, Any]:
        return {"run_id": run_id, "run_uuid": run_id, **fields}

    # ------------------------------------------------------------ experiments
    def create_experiment(
        self,
        name: str,
        artifact_location: str | None = None,
        tags: Sequence[tuple[str, str]] | None = None,
    ) -> str:
        body: dict[str, Any] = {"name": name, "tags": _kv(tags)}
        if artifact_location:
            body["artifact_location"] = artifact_location
        return str(self._call("POST", "/experiments/create", body)["experiment_id"])

    def get_experiment(self, experiment_id: str) -> Experiment:
        data = self._call("GET", "/experiments/get", {"experiment_id": str(experiment_id)})
        return experiment_from_json(data["experiment"])

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        try:
            data = self._call("GET", "/experiments/get-by-name", {"experiment_name": name})
        except ResourceDoesNotExist as exc:
            if exc.error_code != "RESOURCE_DOES_NOT_EXIST":
                raise
            return None
        return experiment_from_json(data["experiment"])

    def search_experiments(
        self,
        view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int = EXPERIMENTS_MAX_RESULTS_DEFAULT,
        filter_string: str | None = None,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[Experiment]:
        body: dict[str, Any] = {
            "view_type": ViewType.coerce(view_type).name,
            "max_results": max_results,
        }
        _add_search_fields(body, filter_string, order_by, page_token)
        data = self._call("POST", "/experiments/search", body)
        return _paged([experiment_from_json(e) for e in data.get("experiments", ())], data)

    def delete_experiment(self, experiment_id: str) -> None:
        self._call("POST", "/experiments/delete", {"experiment_id": str(experiment_id)})

    def restore_experiment(self, experiment_id: str) -> None:
        self._call("POST", "/experiments/restore", {"experiment_id": str(experiment_id)})

    def rename_experiment(self, experiment_id: str, new_name: str) -> None:
        self._call(
            "POST",
            "/experiments/update",
            {"experiment_id": str(experiment_id), "new_name": new_name},
        )

    def set_experiment_tag(self, experiment_id: str, key: str, value: str) -> None:
        self._call(
            "POST",
            "/experiments/set-experiment-tag",
            {"experiment_id": str(experiment_id), "key": key, "value": value},
        )

    def delete_experiment_tag(self, experiment_id: str, key: str) -> None:
        self._call(
            "POST",
            "/experiments/delete-experiment-tag",
            {"experiment_id": str(experiment_id), "key": key},
        )

    # ------------------------------------------------------------ runs
    def create_run(
        self,
        experiment_id: str,
        user_id: str | None,
        start_time: int | None,
        tags: Sequence[RunTag],
        run_name: str | None,
    ) -> Run:
        body: dict[str, Any] = {
            "experiment_id": str(experiment_id),
            "tags": [{"key": t.key, "value": t.value} for t in tags],
        }
        if user_id is not None:
            body["user_id"] = user_id
        if start_time is not None:
            body["start_time"] = start_time
        if run_name:
            body["run_name"] = run_name
        return run_from_json(self._call("POST", "/runs/create", body)["run"])

    def get_run(self, run_id: str) -> Run:
        return run_from_json(self._call("GET", "/runs/get", self._run_body(run_id))["run"])

    def update_run_info(
        self,
        run_id: str,
        run_status: str | None = None,
        end_time: int | None = None,
        run_name: str | None = None,
    ) -> RunInfo:
        body = self._run_body(run_id)
        if run_status is not None:
            body["status"] = run_status
        if end_time is not None:
            body["end_time"] = end_time
        if run_name is not None:
            body["run_name"] = run_name
        return run_info_from_json(self._call("POST", "/runs/update", body)["run_info"])

    def delete_run(self, run_id: str) -> None:
        self._call("POST", "/runs/delete", self._run_body(run_id))

    def restore_run(self, run_id: str) -> None:
        self._call("POST", "/runs/restore", self._run_body(run_id))

    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
    ) -> None:
        body = self._run_body(
            run_id,
            metrics=[metric_to_json(m) for m in metrics],
            params=[{"key": p.key, "value": p.value} for p in params],
            tags=[{"key": t.key, "value": t.value} for t in tags],
        )
        self._call("POST", "/runs/log-batch", body)

    def delete_tag(self, run_id: str, key: str) -> None:
        self._call("POST", "/runs/delete-tag", self._run_body(run_id, key=key))

    def get_metric_history(
        self,
        run_id: str,
        metric_key: str,
        max_results: int | None = None,
        page_token: str | None = None,
    ) -> PagedList[Metric]:
        query = self._run_body(run_id, metric_key=metric_key)
        if max_results is not None:
            query["max_results"] = max_results
        if page_token:
            query["page_token"] = page_token
        data = self._call("GET", "/metrics/get-history", query)
        return _paged([metric_from_json(m, run_id) for m in data.get("metrics", ())], data)

    def search_runs(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        run_view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int = SEARCH_MAX_RESULTS_DEFAULT,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[Run]:
        body: dict[str, Any] = {
            "experiment_ids": [str(e) for e in experiment_ids],
            "run_view_type": ViewType.coerce(run_view_type).name,
            "max_results": max_results,
        }
        _add_search_fields(body, filter_string, order_by, page_token)
        data = self._call("POST", "/runs/search", body)
        return _paged([run_from_json(r) for r in data.get("runs", ())], data)

    def count_runs(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        run_view_type: ViewType = ViewType.ACTIVE_ONLY,
    ) -> int:
        """modelyard's ``/api/2.0/modelyard/runs/count``; a server without it (MLflow's own)
        is counted page by page."""
        body: dict[str, Any] = {
            "experiment_ids": [str(e) for e in experiment_ids],
            "run_view_type": ViewType.coerce(run_view_type).name,
        }
        if filter_string:
            body["filter"] = filter_string
        try:
            data = self._session.call("POST", _COUNT_RUNS, body)
        except EndpointNotFound:
            return count_runs_by_paging(self, experiment_ids, filter_string, run_view_type)
        return int(data.get("count", 0))

    def log_inputs(
        self,
        run_id: str,
        datasets: Sequence[DatasetInput] = (),
        models: Sequence[LoggedModelInput] = (),
    ) -> None:
        body = self._run_body(
            run_id,
            datasets=[dataset_input_to_json(d) for d in datasets],
            models=[{"model_id": m.model_id} for m in models],
        )
        self._call("POST", "/runs/log-inputs", body)

    def log_outputs(self, run_id: str, models: Sequence[LoggedModelOutput]) -> None:
        body = self._run_body(
            run_id, models=[{"model_id": m.model_id, "step": m.step} for m in models]
        )
        self._call("POST", "/runs/outputs", body)

    def search_datasets(self, experiment_ids: Sequence[str]) -> list[DatasetSummary]:
        # MLflow serves this UI route under /ajax-api only; modelyard serves both
        out = self._session.call(
            "POST",
            "/ajax-api/2.0/mlflow/experiments/search-datasets",
            {"experiment_ids": [str(e) for e in experiment_ids]},
        )
        return [
            DatasetSummary(
                str(d.get("experiment_id", "")),
                str(d.get("name", "")),
                str(d.get("digest", "")),
                d.get("context"),
            )
            for d in out.get("dataset_summaries", [])
        ]

    # ------------------------------------------------------------ logged models
    @staticmethod
    def _model_path(model_id: str, suffix: str = "") -> str:
        return f"/logged-models/{quote(model_id, safe='')}{suffix}"

    def create_logged_model(
        self,
        experiment_id: str,
        name: str | None = None,
        source_run_id: str | None = None,
        tags: Sequence[tuple[str, str]] | None = None,
        params: Sequence[tuple[str, str]] | None = None,
        model_type: str | None = None,
    ) -> LoggedModel:
        body: dict[str, Any] = {
            "experiment_id": str(experiment_id),
            "tags": _kv(tags),
            "params": _kv(params),
        }
        if name:
            body["name"] = name
        if source_run_id:
            body["source_run_id"] = source_run_id
        if model_type:
            body["model_type"] = model_type
        return logged_model_from_json(self._call("POST", "/logged-models", body)["model"])

    def get_logged_model(self, model_id: str, allow_deleted: bool = False) -> LoggedModel:
        query = {"allow_deleted": "true"} if allow_deleted else None
        data = self._call("GET", self._model_path(model_id), query)
        return logged_model_from_json(data["model"])

    def finalize_logged_model(self, model_id: str, status: str) -> LoggedModel:
        data = self._call(
            "PATCH", self._model_path(model_id), {"model_id": model_id, "status": status}
        )
        return logged_model_from_json(data["model"])

    def set_logged_model_tags(self, model_id: str, tags: Sequence[tuple[str, str]]) -> None:
        self._call(
            "PATCH", self._model_path(model_id, "/tags"), {"model_id": model_id, "tags": _kv(tags)}
        )

    def delete_logged_model_tag(self, model_id: str, key: str) -> None:
        self._call("DELETE", self._model_path(model_id, f"/tags/{quote(key, safe='')}"))

    def log_logged_model_params(self, model_id: str, params: Sequence[tuple[str, str]]) -> None:
        self._call(
            "POST",
            self._model_path(model_id, "/params"),
            {"model_id": model_id, "params": _kv(params)},
        )

    def delete_logged_model(self, model_id: str) -> None:
        self._call("DELETE", self._model_path(model_id))

    def search_logged_models(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        max_results: int = 100,
        order_by: Sequence[dict[str, object]] | None = None,
        page_token: str | None = None,
    ) -> PagedList[LoggedModel]:
        body: dict[str, Any] = {
            "experiment_ids": [str(e) for e in experiment_ids],
            "max_results": max_results,
        }
        if filter_string:
            body["filter"] = filter_string
        if order_by:
            body["order_by"] = [dict(o) for o in order_by]
        if page_token:
            body["page_token"] = page_token
        data = self._call("POST", "/logged-models/search", body)
        return _paged([logged_model_from_json(m) for m in data.get("models", ())], data)

    # ------------------------------------------------------------ traces (MLflow 3, V3 routes)
    def _trace_call(
        self, method: str, path: str, body: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        return self._session.call(method, _API_V3 + path, body)

    def start_trace(self, trace_info: TraceInfo) -> TraceInfo:
        body = {"trace": {"trace_info": trace_info_to_json(trace_info)}}
        data = self._trace_call("POST", "/traces", body)
        return trace_info_from_json(data["trace"]["trace_info"])

    def get_trace_info(self, trace_id: str) -> TraceInfo:
        data = self._trace_call("GET", f"/traces/{quote(trace_id, safe='')}")
        return trace_info_from_json(data["trace"]["trace_info"])

    def batch_get_trace_infos(self, trace_ids: Sequence[str]) -> list[TraceInfo]:
        data = self._trace_call("POST", "/traces/batchGetInfos", {"trace_ids": list(trace_ids)})
        return [trace_info_from_json(t) for t in data.get("trace_infos", ())]

    def search_traces(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        max_results: int = SEARCH_TRACES_MAX_RESULTS_DEFAULT,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[TraceInfo]:
        body: dict[str, Any] = {
            "locations": [
                {"type": "MLFLOW_EXPERIMENT", "mlflow_experiment": {"experiment_id": str(e)}}
                for e in experiment_ids
            ],
            "max_results": max_results,
        }
        _add_search_fields(body, filter_string, order_by, page_token)
        data = self._trace_call("POST", "/traces/search", body)
        return _paged([trace_info_from_json(t) for t in data.get("traces", ())], data)

    def delete_traces(
        self,
        experiment_id: str,
        max_timestamp_millis: int | None = None,
        max_traces: int | None = None,
        trace_ids: Sequence[str] | None = None,
    ) -> int:
        body: dict[str, Any] = {"experiment_id": str(experiment_id)}
        if max_timestamp_millis is not None:
            body["max_timestamp_millis"] = max_timestamp_millis
        if max_traces is not None:
            body["max_traces"] = max_traces
        if trace_ids:
            body["request_ids"] = list(trace_ids)
        return int(self._trace_call("POST", "/traces/delete-traces", body).get("traces_deleted", 0))

    def set_trace_tag(self, trace_id: str, key: str, value: str) -> None:
        path = f"/traces/{quote(trace_id, safe='')}/tags"
        self._trace_call("PATCH", path, {"key": key, "value": value})

    def delete_trace_tag(self, trace_id: str, key: str) -> None:
        self._trace_call("DELETE", f"/traces/{quote(trace_id, safe='')}/tags", {"key": key})
