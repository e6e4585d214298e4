"""``JobsClient``: the Jobs API from Python, on a database URI or a ``modelyard server``.

``JobsClient("sqlite:///mlruns.db")`` (or PostgreSQL) works on the database directly (runs are
executed by whichever scheduler watches that database); ``JobsClient("http://host:5000")``
calls the server's ``/api/2.1/jobs/...`` REST API (``MLFLOW_TRACKING_TOKEN`` or
``DATABRICKS_TOKEN`` is sent as a bearer token). Answers are the Databricks shapes (dicts).
"""

from __future__ import annotations

import time
from typing import Any

from modelyard.client.rest_api import RestApi
from modelyard.errors import InvalidState

__all__ = ["JobsClient"]


def _user() -> str | None:
    import getpass

    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return None


class JobsClient:
    def __init__(self, tracking_uri: str | None = None) -> None:
        from modelyard.client.fluent import get_tracking_uri

        uri = tracking_uri or get_tracking_uri()
        self.uri = uri
        self._rest: RestApi | None = None
        self._service: Any = None
        if uri.startswith(("http://", "https://")):
            self._rest = RestApi(uri, "/api/2.1/jobs", timeout=60)
        else:
            from modelyard.services.jobs import JobService
            from modelyard.store.jobs import get_job_store
            from modelyard.utils.uris import absolute_tracking_uri

            self.uri = absolute_tracking_uri(uri)
            self._service = JobService(get_job_store(self.uri))

    # ------------------------------------------------------------ jobs
    def create_job(self, settings: dict[str, Any]) -> int:
        if self._rest is not None:
            return int(self._rest.call("POST", "create", settings)["job_id"])
        return int(self._service.create(settings, _user()))

    def get_job(self, job_id: int) -> dict[str, Any]:
        if self._rest is not None:
            return self._rest.call("GET", "get", {"job_id": job_id})
        return dict(self._service.get(job_id))

    def list_jobs(
        self, limit: int = 20, offset: int = 0, name: str | None = None, expand_tasks: bool = False
    ) -> dict[str, Any]:
        if self._rest is not None:
            return self._rest.call(
                "GET",
                "list",
                {"limit": limit, "offset": offset, "name": name, "expand_tasks": expand_tasks},
            )
        return dict(self._service.list_jobs(limit, offset, name, expand_tasks))

    def reset_job(self, job_id: int, new_settings: dict[str, Any]) -> None:
        if self._rest is not None:
            self._rest.call("POST", "reset", {"job_id": job_id, "new_settings": new_settings})
        else:
            self._service.reset(job_id, new_settings)

    def update_job(
        self,
        job_id: int,
        new_settings: dict[str, Any] | None = None,
        fields_to_remove: list[str] | None = None,
    ) -> None:
        body = {
            "job_id": job_id,
            "new_settings": new_settings,
            "fields_to_remove": fields_to_remove,
        }
        if self._rest is not None:
            self._rest.call("POST", "update", {k: v for k, v in body.items() if v is not None})
        else:
            self._service.update(job_id, new_settings, fields_to_remove)

    def delete_job(self, job_id: int) -> None:
        if self._rest is not None:
            self._rest.call("POST", "delete", {"job_id": job_id})
        else:
            self._service.delete(job_id)

    # ------------------------------------------------------------ runs
    def run_now(self, job_id: int, job_parameters: dict[str, Any] | None = None) -> int:
        if self._rest is not None:
            body: dict[str, Any] = {"job_id": job_id}
            if job_parameters:
                body["job_parameters"] = job_parameters
            return int(self._rest.call("POST", "run-now", body)["run_id"])
        return int(self._service.run_now(job_id, job_parameters))

    def get_run(self, run_id: int) -> dict[str, Any]:
        if self._rest is not None:
            return self._rest.call("GET", "runs/get", {"run_id": run_id})
        return dict(self._service.get_run(run_id))

    def list_runs(
        self,
        job_id: int | None = None,
        active_only: bool = False,
        completed_only: bool = False,
        limit: int = 25,
        offset: int = 0,
    ) -> dict[str, Any]:
        if self._rest is not None:
            return self._rest.call(
                "GET",
                "runs/list",
                {
                    "job_id": job_id,
                    "active_only": str(active_only).lower(),
                    "completed_only": str(completed_only).lower(),
                    "limit": limit,
                    "offset": offset,
                },
            )
        return dict(self._service.list_runs(job_id, active_only, completed_only, limit, offset))

    def cancel_run(self, run_id: int) -> None:
        if self._rest is not None:
            self._rest.call("POST", "runs/cancel", {"run_id": run_id})
        else:
            self._service.cancel_run(run_id)

    def get_run_output(self, run_id: int) -> dict[str, Any]:
        if self._rest is not None:
            return self._rest.call("GET", "runs/get-output", {"run_id": run_id})
        return dict(self._service.get_output(run_id))

    def wait_for_run(
        self, run_id: int, timeout: float | None = None, poll: float = 0.5
    ) -> dict[str, Any]:
        """Poll ``runs/get`` until the run is no longer active."""
        deadline = time.monotonic() + timeout if timeout else None
        while True:
            run = self.get_run(run_id)
            if run["state"]["life_cycle_state"] not in ("PENDING", "RUNNING", "TERMINATING"):
                return run
            if deadline is not None and time.monotonic() > deadline:
                raise InvalidState(f"Run {run_id} is still {run['state']['life_cycle_state']}.")
            time.sleep(poll)
