"""The scheduler and executor loop: fire schedules, claim pending runs, heartbeat, reap.

Any number of :class:`Scheduler` instances (server workers, replicas, ``modelyard jobs
scheduler`` processes) may share one database. Each :meth:`Scheduler.tick`:

1. fires every due schedule time (``JobService.fire_due_schedules``: one run per
   (job, fire time), guaranteed by a unique row, so no time fires twice; times missed while no
   scheduler ran are fired on the next tick, so none is lost);
2. refreshes the heartbeat of the runs this worker executes;
3. reaps runs whose worker stopped heart-beating for ``lease_ms``: their leftover processes on
   this machine are killed, the run is marked ``INTERNAL_ERROR`` with the reason, and when a
   task still had retries left a new run with trigger ``RETRY`` is queued;
4. claims pending runs (``UPDATE ... WHERE life_cycle_state='PENDING'``, so each is executed by
   one worker) while it has free slots, and runs each in a thread.

``clock`` (epoch ms) is injectable: tests drive schedules without waiting for the wall clock.
:meth:`Scheduler.stop` ends the loop and kills the processes of the runs it was executing
(they are marked FAILED with the reason), so no child is left running.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from modelyard.errors import ModelyardError
from modelyard.jobs.executors import database_key, kill_task_processes
from modelyard.jobs.runner import JobRunner
from modelyard.services.jobs import JobService
from modelyard.store.jobs.base import ACTIVE_STATES, JobRun
from modelyard.utils.time import now_ms

__all__ = ["Scheduler"]

_log = logging.getLogger("modelyard.jobs")


class Scheduler:
    def __init__(
        self,
        db_uri: str,
        tracking_uri: str | None = None,
        *,
        worker_id: str | None = None,
        poll_interval: float = 1.0,
        max_parallel_runs: int = 4,
        lease_ms: int = 30_000,
        logs_root: str | os.PathLike[str] | None = None,
        clock: Callable[[], int] = now_ms,
        fire_schedules: bool = True,
    ) -> None:
        from modelyard.store.jobs import get_job_store

        self.db_uri = db_uri
        self.db_key = database_key(db_uri)
        self.tracking_uri = tracking_uri or db_uri
        self.service = JobService(get_job_store(db_uri), clock=clock)
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.poll_interval = poll_interval
        self.max_parallel_runs = max_parallel_runs
        self.lease_ms = lease_ms
        self.clock = clock
        self.fire_schedules = fire_schedules
        self.logs_root = Path(logs_root) if logs_root else Path.home() / ".modelyard" / "job-logs"
        self._stop = threading.Event()
        self._threads: dict[int, threading.Thread] = {}
        self._loop: threading.Thread | None = None
        self._lock = threading.Lock()

    # ------------------------------------------------------------ one step
    def tick(self) -> list[int]:
        """One pass; returns the ids of the runs this worker started."""
        store = self.service.store
        if self.fire_schedules:
            try:
                self.service.fire_due_schedules()
            except Exception:
                _log.exception("firing schedules failed")
        with self._lock:
            for run_id in [r for r, t in self._threads.items() if not t.is_alive()]:
                del self._threads[run_id]
            mine = list(self._threads)
        store.heartbeat(self.worker_id, mine, self.clock())
        self.reap()
        started: list[int] = []
        free = self.max_parallel_runs - len(mine)
        if free <= 0 or self._stop.is_set():
            return started
        for run_id in store.pending_run_ids(free * 4):
            if len(started) >= free:
                break
            run = store.get_run(run_id)
            limit = int(run.settings.get("max_concurrent_runs", 1))
            active, _ = store.list_runs(run.job_id, 1000, active_only=True)
            running = sum(1 for r in active if r.life_cycle_state != "PENDING")
            if running >= limit:
                continue  # wait for a slot of this job
            if not store.claim_run(run_id, self.worker_id, self.clock()):
                continue  # another worker took it
            self._start_runner(run_id)
            started.append(run_id)
        return started

    def _start_runner(self, run_id: int) -> None:
        runner = JobRunner(
            self.service,
            run_id,
            self.worker_id,
            self.tracking_uri,
            self.logs_root,
            self._stop,
            db_key=self.db_key,
        )
        thread = threading.Thread(target=runner.run, name=f"job-run-{run_id}", daemon=True)
        with self._lock:
            self._threads[run_id] = thread
        thread.start()

    def reap(self) -> list[int]:
        """Mark runs of dead workers failed (queueing a retry when tasks had retries left)."""
        store = self.service.store
        reaped: list[int] = []
        now = self.clock()
        with self._lock:
            mine = set(self._threads)
        for run in store.stale_runs(now - self.lease_ms):
            if run.worker_id == self.worker_id and run.run_id in mine:
                continue
            reason = (
                f"The executor running this run ({run.worker_id}) stopped: no heartbeat for "
                f"{(now - (run.heartbeat_time or now)) // 1000} s."
            )
            if self._fail_run(run, reason, now):
                reaped.append(run.run_id)
        return reaped

    def _fail_run(self, run: JobRun, reason: str, now: int) -> bool:
        """Kill what is left of ``run`` on this machine and mark it failed (once); queue a
        RETRY run when an unfinished task had retries left."""
        store = self.service.store
        for task in run.tasks:
            if task.life_cycle_state in ACTIVE_STATES:
                kill_task_processes(self.db_key, task.run_id)
        if not store.update_run(
            run.run_id,
            expected_states=("RUNNING", "TERMINATING"),
            life_cycle_state="INTERNAL_ERROR",
            result_state="FAILED",
            state_message=reason,
            end_time=now,
        ):
            return False  # finished meanwhile, or another worker did it first
        for task in run.tasks:
            if task.life_cycle_state in ACTIVE_STATES:
                store.update_run(
                    task.run_id,
                    expected_states=ACTIVE_STATES,
                    life_cycle_state="INTERNAL_ERROR",
                    result_state="FAILED",
                    state_message=reason,
                    end_time=now,
                )
        if self._has_retries_left(run):
            store.create_run(
                run.job_id,
                "RETRY",
                run.settings,
                run.job_parameters,
                now,
                run_name=run.run_name,
                state_message=f"Retry of run {run.run_id}: {reason}",
            )
        return True

    @staticmethod
    def _has_retries_left(run: JobRun) -> bool:
        by_key = {t["task_key"]: t for t in run.settings.get("tasks", [])}
        for task in run.tasks:
            if task.life_cycle_state in ACTIVE_STATES:
                spec = by_key.get(task.task_key or "", {})
                if task.attempt_number < int(spec.get("max_retries", 0)):
                    return True
        return False

    # ------------------------------------------------------------ loop
    def run_forever(self) -> None:
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception:  # a database hiccup must not end the loop
                _log.exception("scheduler tick failed")
            self._stop.wait(self.poll_interval)

    def start(self) -> Scheduler:
        self._loop = threading.Thread(target=self.run_forever, name="modelyard-jobs", daemon=True)
        self._loop.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """End the loop; the runs this worker executes are stopped (processes killed). A run
        whose thread does not finish in ``timeout`` is marked failed here, so a shutdown
        never leaves a run RUNNING."""
        self._stop.set()
        if self._loop is not None:
            self._loop.join(timeout)
        with self._lock:
            threads = dict(self._threads)
        deadline = time.monotonic() + timeout
        for thread in threads.values():
            thread.join(max(0.0, deadline - time.monotonic()))
        store = self.service.store
        for run_id, thread in threads.items():
            if thread.is_alive():
                try:
                    run = store.get_run(run_id)
                except ModelyardError:
                    continue
                self._fail_run(
                    run,
                    f"The executor ({self.worker_id}) stopped while the run was active.",
                    self.clock(),
                )

    def wait_idle(self, timeout: float | None = None) -> None:
        """Wait for the runs this worker started (tests)."""
        with self._lock:
            threads = list(self._threads.values())
        for thread in threads:
            thread.join(timeout)
