"""Validation of job settings (the Databricks Jobs API 2.1 ``JobSettings`` shape).

::

    {"name": "nightly", "max_concurrent_runs": 1, "timeout_seconds": 0,
     "tasks": [{"task_key": "train",
                "project_task": {"project_uri": "examples/x", "entry_point": "main",
                                 "parameters": {"alpha": "{{job.parameters.alpha}}"}},
                "depends_on": [], "max_retries": 1, "timeout_seconds": 600},
               {"task_key": "report", "depends_on": [{"task_key": "train"}],
                "spark_python_task": {"python_file": "report.py", "parameters": ["--x", "1"]}}],
     "schedule": {"quartz_cron_expression": "0 0 2 * * ?", "timezone_id": "UTC",
                  "pause_status": "UNPAUSED"},
     "parameters": [{"name": "alpha", "default": "0.5"}],
     "webhook_notifications": {"on_start": [{"url": "http://..."}], "on_success": [...],
                               "on_failure": [...]},
     "executor": {"type": "local"}}

``project_task`` and ``executor`` (``local``, or ``spark`` with ``master``, ``spark_submit``
and ``spark_conf``) are modelyard's extensions. Every error names the field.
"""

from __future__ import annotations

import re
from typing import Any

from modelyard.errors import InvalidParameterValue
from modelyard.services.webhooks import check_destination

__all__ = [
    "EXECUTOR_TYPES",
    "NOTIFICATION_EVENTS",
    "TASK_TYPES",
    "resolve_job_parameters",
    "schedule_is_active",
    "task_order",
    "validate_settings",
]

TASK_TYPES = ("project_task", "spark_python_task")
EXECUTOR_TYPES = ("local", "spark")
NOTIFICATION_EVENTS = ("on_start", "on_success", "on_failure")
_TOP = {
    "name",
    "description",
    "tasks",
    "schedule",
    "max_concurrent_runs",
    "timeout_seconds",
    "parameters",
    "webhook_notifications",
    "executor",
    "tags",
}
_TASK = {
    "task_key",
    "description",
    "depends_on",
    "max_retries",
    "min_retry_interval_millis",
    "retry_on_timeout",
    "timeout_seconds",
    *TASK_TYPES,
}
_KEY = re.compile(r"^[\w\-.]{1,100}$")
_MAX_TASKS = 100


def _bad(field: str, what: str) -> InvalidParameterValue:
    return InvalidParameterValue(f"Invalid value for '{field}': {what}.")


def _int(raw: dict[str, Any], key: str, field: str, default: int, low: int, high: int) -> int:
    value = raw.get(key, default)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise _bad(field, f"expected an integer, got {value!r}")
    try:
        number = int(value)
    except ValueError:
        raise _bad(field, f"expected an integer, got {value!r}") from None
    if not low <= number <= high:
        raise _bad(field, f"{number} is outside {low}..{high}")
    return number


def _map(value: Any, field: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _bad(field, "expected an object")
    return value


def _str(value: Any, field: str, required: bool = True) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise _bad(field, "expected a non-empty string")
    return value


def _scalar(value: Any, field: str) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise _bad(field, f"expected a string or number, got {value!r}")
    return str(value)


def _task(raw: Any, i: int) -> dict[str, Any]:
    where = f"tasks[{i}]"
    task = _map(raw, where)
    unknown = set(task) - _TASK
    if unknown:
        raise _bad(where, f"unknown field(s) {sorted(unknown)}")
    key = _str(task.get("task_key"), f"{where}.task_key")
    if not _KEY.match(key):
        raise _bad(f"{where}.task_key", "letters, digits, '_', '-' and '.' only (1-100)")
    kinds = [k for k in TASK_TYPES if k in task]
    if len(kinds) != 1:
        raise _bad(where, f"exactly one of {', '.join(TASK_TYPES)} is needed")
    out: dict[str, Any] = {"task_key": key}
    if task.get("description") is not None:
        out["description"] = _str(task["description"], f"{where}.description", False)
    deps = task.get("depends_on") or []
    if not isinstance(deps, list):
        raise _bad(f"{where}.depends_on", "expected a list of {task_key}")
    out["depends_on"] = [
        {
            "task_key": _str(
                _map(d, f"{where}.depends_on[{j}]").get("task_key"),
                f"{where}.depends_on[{j}].task_key",
            )
        }
        for j, d in enumerate(deps)
    ]
    out["max_retries"] = _int(task, "max_retries", f"{where}.max_retries", 0, 0, 100)
    out["min_retry_interval_millis"] = _int(
        task, "min_retry_interval_millis", f"{where}.min_retry_interval_millis", 0, 0, 86_400_000
    )
    retry_on_timeout = task.get("retry_on_timeout", False)
    if not isinstance(retry_on_timeout, bool):
        raise _bad(f"{where}.retry_on_timeout", "expected true or false")
    out["retry_on_timeout"] = retry_on_timeout
    out["timeout_seconds"] = _int(task, "timeout_seconds", f"{where}.timeout_seconds", 0, 0, 10**7)
    kind = kinds[0]
    body = _map(task[kind], f"{where}.{kind}")
    if kind == "project_task":
        unknown = set(body) - {"project_uri", "entry_point", "parameters", "version", "env_manager"}
        if unknown:
            raise _bad(f"{where}.project_task", f"unknown field(s) {sorted(unknown)}")
        params = _map(body.get("parameters") or {}, f"{where}.project_task.parameters")
        spec: dict[str, Any] = {
            "project_uri": _str(body.get("project_uri"), f"{where}.project_task.project_uri"),
            "entry_point": _str(
                body.get("entry_point", "main"), f"{where}.project_task.entry_point"
            ),
            "parameters": {
                str(k): _scalar(v, f"{where}.project_task.parameters.{k}")
                for k, v in params.items()
            },
        }
        for opt in ("version", "env_manager"):
            if body.get(opt) is not None:
                spec[opt] = _str(body[opt], f"{where}.project_task.{opt}")
        if spec.get("env_manager") not in (None, "local", "virtualenv", "uv"):
            raise _bad(f"{where}.project_task.env_manager", "local, virtualenv or uv")
    else:
        unknown = set(body) - {"python_file", "parameters"}
        if unknown:
            raise _bad(f"{where}.spark_python_task", f"unknown field(s) {sorted(unknown)}")
        plist = body.get("parameters") or []
        if not isinstance(plist, list):
            raise _bad(f"{where}.spark_python_task.parameters", "expected a list of strings")
        spec = {
            "python_file": _str(body.get("python_file"), f"{where}.spark_python_task.python_file"),
            "parameters": [
                _scalar(v, f"{where}.spark_python_task.parameters[{j}]")
                for j, v in enumerate(plist)
            ],
        }
    out[kind] = spec
    return out


def task_order(tasks: list[dict[str, Any]]) -> list[str]:
    """Task keys in a dependency order (raises on unknown dependencies and cycles)."""
    keys = [t["task_key"] for t in tasks]
    deps = {t["task_key"]: [d["task_key"] for d in t.get("depends_on", [])] for t in tasks}
    for key, ds in deps.items():
        for d in ds:
            if d not in deps:
                raise _bad(f"tasks[{keys.index(key)}].depends_on", f"no task with task_key {d!r}")
            if d == key:
                raise _bad(f"tasks[{keys.index(key)}].depends_on", "a task cannot depend on itself")
    order: list[str] = []
    state: dict[str, int] = {}

    def visit(key: str, path: list[str]) -> None:
        if state.get(key) == 2:
            return
        if state.get(key) == 1:
            raise _bad("tasks", f"dependency cycle {' -> '.join([*path, key])}")
        state[key] = 1
        for d in deps[key]:
            visit(d, [*path, key])
        state[key] = 2
        order.append(key)

    for key in keys:
        visit(key, [])
    return order


def _schedule(raw: Any) -> dict[str, Any]:
    from modelyard.services.cron import parse_schedule

    sched = _map(raw, "schedule")
    unknown = set(sched) - {"quartz_cron_expression", "timezone_id", "pause_status"}
    if unknown:
        raise _bad("schedule", f"unknown field(s) {sorted(unknown)}")
    pause = sched.get("pause_status", "UNPAUSED")
    if pause not in ("PAUSED", "UNPAUSED"):
        raise _bad("schedule.pause_status", "PAUSED or UNPAUSED")
    out = {
        "quartz_cron_expression": _str(
            sched.get("quartz_cron_expression"), "schedule.quartz_cron_expression"
        ),
        "timezone_id": _str(sched.get("timezone_id", "UTC"), "schedule.timezone_id"),
        "pause_status": pause,
    }
    parse_schedule(out)  # the expression and the time zone must parse
    return out


def _notifications(raw: Any) -> dict[str, Any]:
    notes = _map(raw, "webhook_notifications")
    out: dict[str, Any] = {}
    for event, targets in notes.items():
        if event not in NOTIFICATION_EVENTS:
            raise _bad("webhook_notifications", f"unknown event {event!r}")
        if not isinstance(targets, list):
            raise _bad(f"webhook_notifications.{event}", "expected a list of {url}")
        urls = []
        for j, t in enumerate(targets):
            url = _str(
                _map(t, f"webhook_notifications.{event}[{j}]").get("url"),
                f"webhook_notifications.{event}[{j}].url",
            )
            # the webhooks' destination rules (schemes, no loopback/private/metadata address
            # unless MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS; checked again, after DNS, on delivery)
            url = check_destination(url, f"webhook_notifications.{event}[{j}].url")
            urls.append({"url": url})
        out[event] = urls
    return out


def _executor(raw: Any) -> dict[str, Any]:
    ex = _map(raw, "executor")
    kind = ex.get("type", "local")
    if kind not in EXECUTOR_TYPES:
        raise _bad("executor.type", f"one of {', '.join(EXECUTOR_TYPES)}")
    unknown = set(ex) - {"type", "master", "spark_submit", "spark_conf"}
    if unknown:
        raise _bad("executor", f"unknown field(s) {sorted(unknown)}")
    out: dict[str, Any] = {"type": kind}
    if kind == "spark":
        out["master"] = _str(ex.get("master"), "executor.master")
        if ex.get("spark_submit") is not None:
            out["spark_submit"] = _str(ex["spark_submit"], "executor.spark_submit")
        conf = _map(ex.get("spark_conf") or {}, "executor.spark_conf")
        out["spark_conf"] = {
            str(k): _scalar(v, f"executor.spark_conf.{k}") for k, v in conf.items()
        }
    return out


def validate_settings(raw: Any) -> dict[str, Any]:
    """The normalized settings, or InvalidParameterValue naming the bad field."""
    settings = _map(raw, "settings")
    unknown = set(settings) - _TOP
    if unknown:
        raise _bad("settings", f"unknown field(s) {sorted(unknown)}")
    out: dict[str, Any] = {"name": _str(settings.get("name", "Untitled"), "name")}
    if len(out["name"]) > 256:
        raise _bad("name", "at most 256 characters")
    if settings.get("description") is not None:
        out["description"] = _str(settings["description"], "description", False)
    tasks = settings.get("tasks")
    if not isinstance(tasks, list) or not tasks:
        raise _bad("tasks", "a job needs at least one task")
    if len(tasks) > _MAX_TASKS:
        raise _bad("tasks", f"at most {_MAX_TASKS} tasks")
    out["tasks"] = [_task(t, i) for i, t in enumerate(tasks)]
    seen: set[str] = set()
    for i, t in enumerate(out["tasks"]):
        if t["task_key"] in seen:
            raise _bad(f"tasks[{i}].task_key", f"duplicate task_key {t['task_key']!r}")
        seen.add(t["task_key"])
    task_order(out["tasks"])
    out["max_concurrent_runs"] = _int(
        settings, "max_concurrent_runs", "max_concurrent_runs", 1, 1, 1000
    )
    out["timeout_seconds"] = _int(settings, "timeout_seconds", "timeout_seconds", 0, 0, 10**7)
    if settings.get("schedule") is not None:
        out["schedule"] = _schedule(settings["schedule"])
    params = settings.get("parameters") or []
    if not isinstance(params, list):
        raise _bad("parameters", "expected a list of {name, default}")
    out["parameters"] = []
    names: set[str] = set()
    for j, p in enumerate(params):
        pm = _map(p, f"parameters[{j}]")
        name = _str(pm.get("name"), f"parameters[{j}].name")
        if not _KEY.match(name) or name in names:
            raise _bad(f"parameters[{j}].name", f"invalid or duplicate name {name!r}")
        names.add(name)
        if "default" not in pm:
            raise _bad(f"parameters[{j}].default", "a job parameter needs a default")
        out["parameters"].append(
            {"name": name, "default": _scalar(pm["default"], f"parameters[{j}].default")}
        )
    if settings.get("webhook_notifications") is not None:
        out["webhook_notifications"] = _notifications(settings["webhook_notifications"])
    out["executor"] = _executor(settings.get("executor") or {"type": "local"})
    if settings.get("tags") is not None:
        tags = _map(settings["tags"], "tags")
        out["tags"] = {str(k): _scalar(v, f"tags.{k}") for k, v in tags.items()}
    return out


def schedule_is_active(settings: dict[str, Any]) -> bool:
    sched = settings.get("schedule")
    return isinstance(sched, dict) and sched.get("pause_status", "UNPAUSED") == "UNPAUSED"


def resolve_job_parameters(settings: dict[str, Any], overrides: Any) -> dict[str, str]:
    """Defaults overridden by a run's ``job_parameters`` (unknown names are an error)."""
    values = {p["name"]: p["default"] for p in settings.get("parameters", [])}
    if overrides is None:
        return values
    if not isinstance(overrides, dict):
        raise _bad("job_parameters", "expected an object of name -> value")
    for name, value in overrides.items():
        if name not in values:
            known = ", ".join(sorted(values)) or "none"
            raise _bad(
                f"job_parameters.{name}", f"the job declares no such parameter (declared: {known})"
            )
        values[name] = _scalar(value, f"job_parameters.{name}")
    return values
