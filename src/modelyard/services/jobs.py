"""``JobService``: the Jobs API operations over a :class:`JobStore`, answering in the
Databricks Jobs API 2.1 shapes (plain dicts), shared by the REST endpoints, the Python API and
the CLI.

Triggering only writes rows: ``run_now`` and the schedule create PENDING runs; an executor
process (``modelyard jobs scheduler`` or the one inside ``modelyard server``) claims and runs
them. ``fire_due_schedules(now)`` is the scheduler's one step; ``now`` is passed in, so tests
drive it with their own clock.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from modelyard.errors import InvalidParameterValue, ResourceDoesNotExist
from modelyard.services.cron import parse_schedule
from modelyard.services.job_spec import (
    resolve_job_parameters,
    schedule_is_active,
    validate_settings,
)
from modelyard.store.jobs.base import ACTIVE_STATES, Job, JobRun, JobStore
from modelyard.utils.time import now_ms

__all__ = ["JobService", "job_to_json", "run_to_json"]

_LIST_LIMIT_MAX = 100
_RUNS_LIMIT_MAX = 1000


def job_to_json(job: Job, expand_tasks: bool = True) -> dict[str, Any]:
    settings = copy.deepcopy(job.settings)
    if not expand_tasks:
        settings.pop("tasks", None)
    out: dict[str, Any] = {
        "job_id": job.job_id,
        "created_time": job.created_time,
        "settings": settings,
    }
    if job.creator_user_name:
        out["creator_user_name"] = job.creator_user_name
    return out


def _state(run: JobRun) -> dict[str, Any]:
    state: dict[str, Any] = {"life_cycle_state": run.life_cycle_state}
    if run.result_state:
        state["result_state"] = run.result_state
    state["state_message"] = run.state_message or ""
    state["user_cancelled_or_timedout"] = run.result_state in ("CANCELED", "TIMEDOUT")
    return state


def _task_to_json(task: JobRun) -> dict[str, Any]:
    out: dict[str, Any] = {
        "run_id": task.run_id,
        "task_key": task.task_key,
        "state": _state(task),
        "attempt_number": task.attempt_number,
        "start_time": task.start_time or 0,
        "end_time": task.end_time or 0,
    }
    spec = task.settings
    for key in ("depends_on", "project_task", "spark_python_task"):
        if key in spec:
            out[key] = spec[key]
    if task.mlflow_run_id:
        out["mlflow_run_id"] = task.mlflow_run_id
    if task.log_location:
        out["log_location"] = task.log_location
    return out


def run_to_json(run: JobRun) -> dict[str, Any]:
    start, end = run.start_time or 0, run.end_time or 0
    out: dict[str, Any] = {
        "job_id": run.job_id,
        "run_id": run.run_id,
        "number_in_job": run.run_id,
        "run_name": run.run_name or run.settings.get("name", ""),
        "state": _state(run),
        "start_time": start,
        "end_time": end,
        "setup_duration": 0,
        "execution_duration": max(0, end - start) if end else 0,
        "cleanup_duration": 0,
        "run_duration": max(0, end - start) if end else 0,
        "trigger": run.trigger,
        "run_type": "JOB_RUN",
        "attempt_number": run.attempt_number,
        "job_parameters": [{"name": k, "value": v} for k, v in sorted(run.job_parameters.items())],
        "tasks": [_task_to_json(t) for t in run.tasks],
    }
    if run.scheduled_time is not None:
        out["scheduled_time"] = run.scheduled_time
    if run.parent_run_id is not None:  # a task run fetched by its own id
        out["parent_run_id"] = run.parent_run_id
        out["task_key"] = run.task_key
        if run.mlflow_run_id:
            out["mlflow_run_id"] = run.mlflow_run_id
    return out


def _limit(value: Any, default: int, high: int, field: str) -> int:
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise InvalidParameterValue(f"Invalid value {value!r} for parameter '{field}'.") from None
    if not 1 <= number <= high:
        raise InvalidParameterValue(f"'{field}' must be between 1 and {high}, got {number}.")
    return number


def _offset(value: Any) -> int:
    if value is None or value == "":
        return 0
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise InvalidParameterValue(f"Invalid value {value!r} for parameter 'offset'.") from None
    if number < 0:
        raise InvalidParameterValue("'offset' must be >= 0.")
    return number


class JobService:
    def __init__(
        self,
        store: JobStore,
        clock: Callable[[], int] = now_ms,
        resolve_location: Callable[[str], str] | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        #: maps a log location to where its files really are (the server's artifact proxy)
        self.resolve_location = resolve_location or (lambda uri: uri)

    # ------------------------------------------------------------ jobs
    def create(self, settings: Any, creator_user_name: str | None = None) -> int:
        clean = validate_settings(settings)
        return self.store.create_job(
            clean, creator_user_name, self.clock(), schedule_is_active(clean)
        )

    def get(self, job_id: Any) -> dict[str, Any]:
        return job_to_json(self.store.get_job(self._job_id(job_id)))

    def list_jobs(
        self,
        limit: Any = None,
        offset: Any = None,
        name: str | None = None,
        expand_tasks: bool = False,
    ) -> dict[str, Any]:
        jobs, more = self.store.list_jobs(
            _limit(limit, 20, _LIST_LIMIT_MAX, "limit"), _offset(offset), name or None
        )
        out: dict[str, Any] = {"has_more": more}
        if jobs:
            out["jobs"] = [job_to_json(j, expand_tasks) for j in jobs]
        return out

    def reset(self, job_id: Any, new_settings: Any) -> None:
        job = self.store.get_job(self._job_id(job_id))
        clean = validate_settings(new_settings)
        self.store.replace_job_settings(job.job_id, clean, schedule_is_active(clean), self.clock())

    def update(self, job_id: Any, new_settings: Any = None, fields_to_remove: Any = None) -> None:
        """Partial update: top-level fields replace, ``tasks`` merge by ``task_key``."""
        job = self.store.get_job(self._job_id(job_id))
        merged = copy.deepcopy(job.settings)
        if new_settings is not None:
            if not isinstance(new_settings, dict):
                raise InvalidParameterValue("'new_settings' must be an object.")
            for key, value in new_settings.items():
                if key == "tasks" and isinstance(value, list):
                    by_key = {t["task_key"]: t for t in merged.get("tasks", [])}
                    for t in value:
                        if isinstance(t, dict) and t.get("task_key") in by_key:
                            by_key[t["task_key"]] = t
                        elif isinstance(t, dict):
                            by_key[str(t.get("task_key"))] = t
                        else:
                            raise InvalidParameterValue("'new_settings.tasks' entries: objects.")
                    merged["tasks"] = list(by_key.values())
                else:
                    merged[key] = value
        if fields_to_remove is not None:
            if not isinstance(fields_to_remove, list):
                raise InvalidParameterValue("'fields_to_remove' must be a list of field names.")
            for field in fields_to_remove:
                if isinstance(field, str) and field.startswith("tasks/"):
                    key = field.split("/", 1)[1]
                    merged["tasks"] = [t for t in merged.get("tasks", []) if t["task_key"] != key]
                elif field in ("name", "tasks"):
                    raise InvalidParameterValue(f"Field '{field}' cannot be removed.")
                else:
                    merged.pop(str(field), None)
        self.reset(job.job_id, merged)

    def delete(self, job_id: Any) -> None:
        job = self.store.get_job(self._job_id(job_id))
        runs, _ = self.store.list_runs(job.job_id, _RUNS_LIMIT_MAX, active_only=True)
        for run in runs:  # executors see the flag (or the missing row) and stop the process
            self.store.request_cancel(run.run_id)
        self.store.delete_job(job.job_id)

    # ------------------------------------------------------------ runs
    def _admission(self, job: Job) -> tuple[str, str | None]:
        active = self.store.count_active_runs(job.job_id)
        limit = int(job.settings.get("max_concurrent_runs", 1))
        if active >= limit:
            return "SKIPPED", (
                f"Skipped: the job already has {active} active run(s) and "
                f"max_concurrent_runs is {limit}."
            )
        return "PENDING", "Waiting for an executor."

    def run_now(self, job_id: Any, job_parameters: Any = None, run_name: str | None = None) -> int:
        job = self.store.get_job(self._job_id(job_id))
        values = resolve_job_parameters(job.settings, job_parameters)
        state, message = self._admission(job)
        run_id = self.store.create_run(
            job.job_id,
            "ONE_TIME",
            job.settings,
            values,
            self.clock(),
            run_name=run_name or job.settings.get("name"),
            life_cycle_state=state,
            state_message=message,
        )
        if state == "SKIPPED":
            self.store.update_run(run_id, result_state="CANCELED")
        return run_id

    def get_run(self, run_id: Any) -> dict[str, Any]:
        return run_to_json(self.store.get_run(self._run_id(run_id)))

    def list_runs(
        self,
        job_id: Any = None,
        active_only: bool = False,
        completed_only: bool = False,
        limit: Any = None,
        offset: Any = None,
    ) -> dict[str, Any]:
        if active_only and completed_only:
            raise InvalidParameterValue("'active_only' and 'completed_only' cannot both be true.")
        jid = self._job_id(job_id) if job_id not in (None, "") else None
        if jid is not None:
            self.store.get_job(jid)
        runs, more = self.store.list_runs(
            jid,
            _limit(limit, 25, _RUNS_LIMIT_MAX, "limit"),
            _offset(offset),
            active_only=active_only,
            completed_only=completed_only,
        )
        out: dict[str, Any] = {"has_more": more}
        if runs:
            out["runs"] = [run_to_json(r) for r in runs]
        return out

    def cancel_run(self, run_id: Any) -> None:
        run = self.store.get_run(self._run_id(run_id))
        if run.life_cycle_state not in ACTIVE_STATES:
            return  # cancelling a finished run is a no-op (as on Databricks)
        now = self.clock()
        if self.store.update_run(
            run.run_id,
            expected_states=("PENDING",),
            life_cycle_state="TERMINATED",
            result_state="CANCELED",
            state_message="Cancelled before it started.",
            start_time=now,
            end_time=now,
        ):
            return
        self.store.request_cancel(run.run_id)

    def get_output(self, run_id: Any, max_bytes: int = 5 * 1024 * 1024) -> dict[str, Any]:
        """The logs of a task run (or of the last task of a one-task job run)."""
        run = self.store.get_run(self._run_id(run_id))
        target = run
        if run.parent_run_id is None:
            if len(run.tasks) == 0:
                return {"metadata": run_to_json(run)}
            keys = {t.task_key for t in run.tasks}
            if len(keys) > 1:
                raise InvalidParameterValue(
                    f"Run {run.run_id} has {len(keys)} tasks; get-output takes the run_id of "
                    "one task run (see 'tasks' in runs/get)."
                )
            target = run.tasks[-1]
        out: dict[str, Any] = {"metadata": run_to_json(run)}
        location = target.log_location
        logs, truncated = _read_logs(
            self.resolve_location(location) if location else None, max_bytes
        )
        if logs is not None:
            out["logs"] = logs
            out["logs_truncated"] = truncated
        if target.result_state in ("FAILED", "TIMEDOUT") and target.state_message:
            out["error"] = target.state_message
        return out

    # ------------------------------------------------------------ scheduling
    def fire_due_schedules(self, now: int | None = None, max_per_job: int = 100) -> list[int]:
        """Create the runs of every schedule fire time in (cursor, now]. Safe to call from
        any number of processes at once: each fire time becomes one run."""
        now = self.clock() if now is None else now
        created: list[int] = []
        for job in self.store.scheduled_jobs():
            try:
                schedule = parse_schedule(job.settings["schedule"])
            except InvalidParameterValue:
                continue
            cursor = job.schedule_cursor if job.schedule_cursor is not None else job.created_time
            for fire_time in schedule.fire_times(cursor, now, max_per_job):
                state, message = self._admission(job)
                run_id = self.store.fire_schedule(
                    job.job_id,
                    cursor,
                    fire_time,
                    job.settings,
                    resolve_job_parameters(job.settings, None),
                    state,
                    message,
                    now,
                )
                if run_id is None:
                    break  # another scheduler is handling this job right now
                if state == "SKIPPED":
                    self.store.update_run(run_id, result_state="CANCELED")
                created.append(run_id)
                cursor = fire_time
        return created

    # ------------------------------------------------------------ helpers
    @staticmethod
    def _job_id(value: Any) -> int:
        return _id(value, "job_id")

    @staticmethod
    def _run_id(value: Any) -> int:
        return _id(value, "run_id")


def _id(value: Any, field: str) -> int:
    if value is None or value == "":
        raise InvalidParameterValue(f"Missing value for required parameter '{field}'.")
    if isinstance(value, bool):
        raise InvalidParameterValue(f"Invalid value {value!r} for parameter '{field}'.")
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise InvalidParameterValue(f"Invalid value {value!r} for parameter '{field}'.") from None
    if not 0 < number < 2**31:
        raise ResourceDoesNotExist(f"No {field.split('_')[0]} with {field} {number}.")
    return number


def _read_logs(location: str | None, max_bytes: int) -> tuple[str | None, bool]:
    """stdout then stderr of a task run, from its artifact folder."""
    if not location:
        return None, False
    import tempfile
    from pathlib import Path

    from modelyard.store.artifacts.registry import get_artifact_repository

    parts: list[str] = []
    try:
        repo = get_artifact_repository(location)
        with tempfile.TemporaryDirectory() as tmp:
            for name in ("stdout.txt", "stderr.txt"):
                try:
                    local = repo.download_artifacts(name, tmp)
                except Exception:
                    continue
                parts.append(Path(local).read_bytes().decode("utf-8", errors="replace"))
    except Exception:
        return None, False
    text = "".join(parts)
    if len(text.encode()) > max_bytes:
        return text.encode()[-max_bytes:].decode("utf-8", errors="ignore"), True
    return text, False
