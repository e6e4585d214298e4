"""The jobs store: job definitions and job/task runs, with the few atomic steps the scheduler
and the executors need (fire a schedule once, claim a pending run once, heartbeat, reap).

Entities are plain dataclasses. ``settings`` is the job's validated settings document (the
Databricks Jobs API 2.1 shape, see :mod:`modelyard.services.job_spec`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "ACTIVE_STATES",
    "LIFE_CYCLE_STATES",
    "RESULT_STATES",
    "TERMINAL_STATES",
    "TRIGGER_TYPES",
    "Job",
    "JobRun",
    "JobStore",
]

LIFE_CYCLE_STATES = (
    "PENDING",
    "RUNNING",
    "TERMINATING",
    "TERMINATED",
    "SKIPPED",
    "INTERNAL_ERROR",
)
RESULT_STATES = ("SUCCESS", "FAILED", "TIMEDOUT", "CANCELED")
ACTIVE_STATES = ("PENDING", "RUNNING", "TERMINATING")
TERMINAL_STATES = ("TERMINATED", "SKIPPED", "INTERNAL_ERROR")
TRIGGER_TYPES = ("ONE_TIME", "PERIODIC", "RETRY")


@dataclass(frozen=True)
class Job:
    job_id: int
    name: str
    settings: dict[str, Any]
    created_time: int
    creator_user_name: str | None = None
    schedule_active: bool = False
    schedule_cursor: int | None = None


@dataclass(frozen=True)
class JobRun:
    """A job run (``parent_run_id is None``) or one attempt of one of its tasks."""

    run_id: int
    job_id: int
    trigger: str
    life_cycle_state: str
    created_time: int
    parent_run_id: int | None = None
    task_key: str | None = None
    attempt_number: int = 0
    scheduled_time: int | None = None
    run_name: str | None = None
    result_state: str | None = None
    state_message: str | None = None
    start_time: int | None = None
    end_time: int | None = None
    job_parameters: dict[str, str] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    mlflow_run_id: str | None = None
    log_location: str | None = None
    worker_id: str | None = None
    heartbeat_time: int | None = None
    cancel_requested: bool = False
    tasks: tuple[JobRun, ...] = ()

    @property
    def is_active(self) -> bool:
        return self.life_cycle_state in ACTIVE_STATES


class JobStore(ABC):
    """Persistence of jobs and runs. Every method is one transaction."""

    # ------------------------------------------------------------ jobs
    @abstractmethod
    def create_job(
        self,
        settings: dict[str, Any],
        creator_user_name: str | None,
        now: int,
        schedule_active: bool,
    ) -> int: ...

    @abstractmethod
    def get_job(self, job_id: int) -> Job:
        """Raises ResourceDoesNotExist."""

    @abstractmethod
    def list_jobs(
        self, limit: int, offset: int = 0, name: str | None = None
    ) -> tuple[list[Job], bool]:
        """(jobs ordered by job_id, has_more)."""

    @abstractmethod
    def replace_job_settings(
        self, job_id: int, settings: dict[str, Any], schedule_active: bool, now: int
    ) -> None:
        """New settings; a schedule that becomes active starts firing after ``now``."""

    @abstractmethod
    def delete_job(self, job_id: int) -> None:
        """Removes the job and its runs (active runs are cancelled by the caller first)."""

    @abstractmethod
    def scheduled_jobs(self) -> list[Job]:
        """Jobs whose schedule is active."""

    @abstractmethod
    def fire_schedule(
        self,
        job_id: int,
        expected_cursor: int | None,
        scheduled_time: int,
        settings: dict[str, Any],
        job_parameters: dict[str, str],
        life_cycle_state: str,
        state_message: str | None,
        now: int,
    ) -> int | None:
        """Create the PERIODIC run for ``scheduled_time`` and advance the job's cursor to it,
        in one transaction, only if the cursor is still ``expected_cursor`` and no run exists
        for that time. Returns the run id, or None when another scheduler did it."""

    # ------------------------------------------------------------ runs
    @abstractmethod
    def create_run(
        self,
        job_id: int,
        trigger: str,
        settings: dict[str, Any],
        job_parameters: dict[str, str],
        now: int,
        run_name: str | None = None,
        life_cycle_state: str = "PENDING",
        state_message: str | None = None,
        parent_run_id: int | None = None,
        task_key: str | None = None,
        attempt_number: int = 0,
    ) -> int: ...

    @abstractmethod
    def get_run(self, run_id: int) -> JobRun:
        """A run with its task runs (``tasks``); raises ResourceDoesNotExist."""

    @abstractmethod
    def list_runs(
        self,
        job_id: int | None,
        limit: int,
        offset: int = 0,
        active_only: bool = False,
        completed_only: bool = False,
    ) -> tuple[list[JobRun], bool]:
        """Job runs (not task runs), newest first, with their tasks; (runs, has_more)."""

    @abstractmethod
    def count_active_runs(self, job_id: int, exclude_run_id: int | None = None) -> int: ...

    @abstractmethod
    def pending_run_ids(self, limit: int) -> list[int]:
        """Job runs waiting for an executor, oldest first."""

    @abstractmethod
    def claim_run(self, run_id: int, worker_id: str, now: int) -> bool:
        """PENDING -> RUNNING for ``worker_id``; False when someone else claimed it."""

    @abstractmethod
    def update_run(
        self,
        run_id: int,
        *,
        expected_states: Sequence[str] | None = None,
        **fields: Any,
    ) -> bool:
        """Set columns of a run; with ``expected_states`` only if its life cycle state is one
        of them. Returns whether a row changed."""

    @abstractmethod
    def request_cancel(self, run_id: int) -> None:
        """Flag a run and its active task runs for cancellation."""

    @abstractmethod
    def heartbeat(self, worker_id: str, run_ids: Sequence[int], now: int) -> None: ...

    @abstractmethod
    def stale_runs(self, before: int) -> list[JobRun]:
        """Active job runs owned by a worker whose last heartbeat is older than ``before``."""
