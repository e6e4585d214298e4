"""Jobs: scheduled and triggered runs of projects and Python/Spark scripts.

A job (the Databricks Jobs API 2.1 shape) has tasks with a dependency order, retries,
timeouts, parameters a run can override, a cron schedule and webhook notifications. Jobs and
their runs live in the tracking database (:mod:`modelyard.store.jobs`); a :class:`Scheduler`
(inside ``modelyard server`` or ``modelyard jobs scheduler``) fires the schedules and executes
the runs. The Python API is :class:`JobsClient` and the functions below. See ``docs/jobs.md``.
"""

from __future__ import annotations

from typing import Any

from modelyard.jobs.client import JobsClient

__all__ = [
    "JobsClient",
    "Scheduler",
    "cancel_run",
    "create_job",
    "get_run",
    "run_now",
]


def __getattr__(name: str) -> Any:
    if name == "Scheduler":  # the executor machinery loads only when asked for
        from modelyard.jobs.scheduler import Scheduler

        return Scheduler
    raise AttributeError(name)


def create_job(settings: dict[str, Any], tracking_uri: str | None = None) -> int:
    """Create a job from its settings; returns the ``job_id``."""
    return JobsClient(tracking_uri).create_job(settings)


def run_now(
    job_id: int, job_parameters: dict[str, Any] | None = None, tracking_uri: str | None = None
) -> int:
    """Trigger a run of ``job_id`` (the one call other triggers use); returns its ``run_id``."""
    return JobsClient(tracking_uri).run_now(job_id, job_parameters)


def get_run(run_id: int, tracking_uri: str | None = None) -> dict[str, Any]:
    return JobsClient(tracking_uri).get_run(run_id)


def cancel_run(run_id: int, tracking_uri: str | None = None) -> None:
    JobsClient(tracking_uri).cancel_run(run_id)
