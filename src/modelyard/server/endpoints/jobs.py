"""Jobs REST API in the Databricks Jobs API 2.1 shapes (``/api/2.1/jobs/...``).

``POST jobs/create`` (the job settings at the top level) -> ``{"job_id"}``; ``GET jobs/get``,
``GET jobs/list``, ``POST jobs/reset`` (``job_id``, ``new_settings``), ``POST jobs/update``
(``job_id``, ``new_settings``, ``fields_to_remove``), ``POST jobs/delete``,
``POST jobs/run-now`` (``job_id``, ``job_parameters``) -> ``{"run_id", "number_in_job"}``;
``GET jobs/runs/list``, ``GET jobs/runs/get``, ``POST jobs/runs/cancel``,
``GET jobs/runs/get-output``. Runs are executed by the scheduler (in this server, or a
``modelyard jobs scheduler`` process on the same database); these handlers only read and write
the jobs tables.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from modelyard.errors import InvalidParameterValue
from modelyard.server.routing import Call, Endpoint

if TYPE_CHECKING:
    from modelyard.server.context import ServerContext
    from modelyard.services.jobs import JobService

__all__ = ["ENDPOINTS"]


def _build(ctx: ServerContext) -> JobService:
    from modelyard.services.jobs import JobService
    from modelyard.store.jobs import get_job_store

    return JobService(get_job_store(ctx.config.backend_store_uri), resolve_location=ctx.storage_uri)


def _service(call: Call) -> JobService:
    return call.ctx.feature("jobs", _build)


def _body(call: Call) -> dict[str, Any]:
    return dict(call.args.raw())


def _bool(call: Call, name: str) -> bool:
    value = call.args.get_raw(name)
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1"):
        return True
    if text in ("false", "0", ""):
        return False
    raise InvalidParameterValue(f"Invalid value {value!r} for parameter '{name}' (true/false).")


def _user(call: Call) -> str | None:
    user = call.request.scope.get("user")
    return str(user) if user else None


def create(call: Call) -> dict[str, Any]:
    return {"job_id": _service(call).create(_body(call), _user(call))}


def get(call: Call) -> dict[str, Any]:
    return _service(call).get(call.args.get_raw("job_id"))


def list_jobs(call: Call) -> dict[str, Any]:
    a = call.args
    return _service(call).list_jobs(
        a.get_raw("limit"), a.get_raw("offset"), a.str("name"), _bool(call, "expand_tasks")
    )


def reset(call: Call) -> dict[str, Any]:
    body = _body(call)
    if "new_settings" not in body:
        raise InvalidParameterValue("Missing value for required parameter 'new_settings'.")
    _service(call).reset(body.get("job_id"), body["new_settings"])
    return {}


def update(call: Call) -> dict[str, Any]:
    body = _body(call)
    _service(call).update(
        body.get("job_id"), body.get("new_settings"), body.get("fields_to_remove")
    )
    return {}


def delete(call: Call) -> dict[str, Any]:
    _service(call).delete(call.args.get_raw("job_id"))
    return {}


def run_now(call: Call) -> dict[str, Any]:
    body = _body(call)
    run_id = _service(call).run_now(body.get("job_id"), body.get("job_parameters"))
    return {"run_id": run_id, "number_in_job": run_id}


def runs_list(call: Call) -> dict[str, Any]:
    a = call.args
    return _service(call).list_runs(
        a.get_raw("job_id"),
        _bool(call, "active_only"),
        _bool(call, "completed_only"),
        a.get_raw("limit"),
        a.get_raw("offset"),
    )


def runs_get(call: Call) -> dict[str, Any]:
    return _service(call).get_run(call.args.get_raw("run_id"))


def runs_cancel(call: Call) -> dict[str, Any]:
    _service(call).cancel_run(call.args.get_raw("run_id"))
    return {}


def runs_get_output(call: Call) -> dict[str, Any]:
    return _service(call).get_output(call.args.get_raw("run_id"))


_V = "2.1"
ENDPOINTS: list[Endpoint] = [
    Endpoint("POST", "/jobs/create", create, version=_V),
    Endpoint("GET", "/jobs/get", get, version=_V),
    Endpoint("GET", "/jobs/list", list_jobs, version=_V),
    Endpoint("POST", "/jobs/reset", reset, version=_V),
    Endpoint("POST", "/jobs/update", update, version=_V),
    Endpoint("POST", "/jobs/delete", delete, version=_V),
    Endpoint("POST", "/jobs/run-now", run_now, version=_V),
    Endpoint("GET", "/jobs/runs/list", runs_list, version=_V),
    Endpoint("GET", "/jobs/runs/get", runs_get, version=_V),
    Endpoint("POST", "/jobs/runs/cancel", runs_cancel, version=_V),
    Endpoint("GET", "/jobs/runs/get-output", runs_get_output, version=_V),
]
