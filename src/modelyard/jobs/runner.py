"""Execution of one claimed job run: its tasks in dependency order, retries, timeouts, cancel.

Each task attempt is a task run row (``parent_run_id`` = the job run) and an MLflow run (a
``project_task`` gets the project's run; a ``spark_python_task`` gets a run tagged
``mlflow.source.type=JOB``), attached to the child through ``MLFLOW_RUN_ID``. The child's
stdout and stderr go to files that are logged as artifacts of that MLflow run
(``job-logs/stdout.txt``, ``job-logs/stderr.txt``) when the attempt ends.

Task parameter values may reference ``{{job.parameters.NAME}}``, ``{{job.id}}``,
``{{job.run_id}}``, ``{{task.key}}`` and ``{{task.run_id}}`` (Databricks' dynamic value
references); an unknown reference fails the task naming it.

A failed attempt is retried up to ``max_retries`` times (a timed-out one only with
``retry_on_timeout``), after ``min_retry_interval_millis``. When a task ends without success,
the tasks that depend on it are recorded as SKIPPED ("upstream failed").
"""

from __future__ import annotations

import logging
import re
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

from modelyard.errors import InvalidParameterValue, ModelyardError, ResourceDoesNotExist
from modelyard.jobs.executors import (
    TASK_MARKER_ENV,
    database_key,
    describe,
    spark_python_command,
    task_marker,
)
from modelyard.jobs.notify import notify
from modelyard.projects.submitted import LocalSubmittedRun, kill_process_group
from modelyard.services.job_spec import task_order
from modelyard.services.jobs import JobService
from modelyard.store.jobs.base import JobRun

__all__ = ["JobRunner", "substitute"]

_log = logging.getLogger("modelyard.jobs")
_REF = re.compile(r"\{\{\s*([\w.]+)\s*\}\}")
_POLL_SECONDS = 0.2


def substitute(value: str, refs: dict[str, str], where: str) -> str:
    def repl(m: re.Match[str]) -> str:
        name = m.group(1)
        if name not in refs:
            raise InvalidParameterValue(f"{where}: unknown reference {{{{{name}}}}}.")
        return refs[name]

    return _REF.sub(repl, value)


class _Outcome:
    def __init__(self, result: str, message: str) -> None:
        self.result = result  # SUCCESS | FAILED | TIMEDOUT | CANCELED
        self.message = message


class JobRunner:
    """Runs one job run that this worker has claimed (call :meth:`run` in a thread)."""

    def __init__(
        self,
        service: JobService,
        run_id: int,
        worker_id: str,
        tracking_uri: str,
        logs_root: Path,
        stop: threading.Event,
        db_key: str = "",
    ) -> None:
        self.service = service
        self.store = service.store
        self.run_id = run_id
        self.worker_id = worker_id
        self.tracking_uri = tracking_uri
        self.logs_root = logs_root
        self.stop = stop
        self._deadline: float | None = None
        self._cleanup: Any = None
        self.db_key = db_key or database_key(str(getattr(self.store, "db_uri", "")))

    # ------------------------------------------------------------ job level
    def run(self) -> None:
        try:
            self._run()
        except Exception as exc:  # never leave a claimed run RUNNING because of a bug
            _log.exception("job run %s failed in the executor", self.run_id)
            self._finish("INTERNAL_ERROR", None, f"Executor error: {type(exc).__name__}: {exc}")

    def _run(self) -> None:
        run = self.store.get_run(self.run_id)
        settings = run.settings
        notify(settings, "on_start", self.service.get_run(self.run_id))
        job_timeout = int(settings.get("timeout_seconds") or 0)
        self._deadline = time.monotonic() + job_timeout if job_timeout else None
        tasks = {t["task_key"]: t for t in settings["tasks"]}
        results: dict[str, str] = {}
        final = _Outcome("SUCCESS", "")
        for key in task_order(settings["tasks"]):
            task = tasks[key]
            failed_deps = [
                d["task_key"]
                for d in task.get("depends_on", [])
                if results.get(d["task_key"]) != "SUCCESS"
            ]
            if failed_deps or final.result in ("CANCELED", "TIMEDOUT"):
                now = self.service.clock()
                self.store.create_run(
                    run.job_id,
                    run.trigger,
                    task,
                    run.job_parameters,
                    now,
                    life_cycle_state="SKIPPED",
                    state_message=f"Upstream task(s) {', '.join(failed_deps)} did not succeed."
                    if failed_deps
                    else "The run ended before this task started.",
                    parent_run_id=run.run_id,
                    task_key=key,
                )
                results[key] = "SKIPPED"
                continue
            outcome = self._run_task(run, task)
            results[key] = outcome.result
            if outcome.result != "SUCCESS" and final.result == "SUCCESS":
                final = _Outcome(outcome.result, f"Task {key} {outcome.result}: {outcome.message}")
        self._finish("TERMINATED", final.result, final.message or "All tasks succeeded.")

    def _finish(self, life: str, result: str | None, message: str) -> None:
        changed = self.store.update_run(
            self.run_id,
            expected_states=("RUNNING", "TERMINATING"),
            life_cycle_state=life,
            result_state=result,
            state_message=message,
            end_time=self.service.clock(),
        )
        if not changed:
            return
        try:
            doc = self.service.get_run(self.run_id)
        except ResourceDoesNotExist:
            return
        event = "on_success" if result == "SUCCESS" else "on_failure"
        if result != "CANCELED":
            notify(self.store.get_run(self.run_id).settings, event, doc)

    # ------------------------------------------------------------ task level
    def _run_task(self, run: JobRun, task: dict[str, Any]) -> _Outcome:
        attempt = 0
        while True:
            outcome = self._attempt(run, task, attempt)
            retry = outcome.result == "FAILED" or (
                outcome.result == "TIMEDOUT" and task.get("retry_on_timeout")
            )
            if (
                not retry
                or attempt >= int(task.get("max_retries", 0))
                or self._deadline_hit()
                or self.stop.is_set()
            ):
                return outcome
            attempt += 1
            wait = int(task.get("min_retry_interval_millis", 0)) / 1000.0
            if self.stop.wait(wait) or self._cancel_requested(run.run_id):
                return _Outcome("CANCELED", "Cancelled between retries.")

    def _deadline_hit(self) -> bool:
        return self._deadline is not None and time.monotonic() >= self._deadline

    def _cancel_requested(self, run_id: int) -> bool:
        try:
            return self.store.get_run(run_id).cancel_requested
        except ResourceDoesNotExist:  # the job was deleted
            return True

    def _attempt(self, run: JobRun, task: dict[str, Any], attempt: int) -> _Outcome:
        key = task["task_key"]
        now = self.service.clock()
        task_run_id = self.store.create_run(
            run.job_id,
            run.trigger,
            task,
            run.job_parameters,
            now,
            life_cycle_state="RUNNING",
            state_message="Starting.",
            parent_run_id=run.run_id,
            task_key=key,
            attempt_number=attempt,
        )
        self.store.update_run(task_run_id, start_time=now, worker_id=self.worker_id)
        log_dir = self.logs_root / str(task_run_id)
        log_dir.mkdir(parents=True, exist_ok=True)
        self.store.update_run(task_run_id, log_location=log_dir.resolve().as_uri())
        refs = {
            "job.id": str(run.job_id),
            "job.run_id": str(run.run_id),
            "task.key": key,
            "task.run_id": str(task_run_id),
            **{f"job.parameters.{k}": v for k, v in run.job_parameters.items()},
        }
        submitted: LocalSubmittedRun | None = None
        try:
            with (
                open(log_dir / "stdout.txt", "wb") as out,
                open(log_dir / "stderr.txt", "wb") as err,
            ):
                submitted = self._start(run, task, task_run_id, refs, out, err)
                self.store.update_run(
                    task_run_id, mlflow_run_id=submitted.run_id, state_message="Running."
                )
                outcome = self._watch(run, task, task_run_id, submitted)
        except ModelyardError as exc:
            outcome = _Outcome("FAILED", exc.message)
            (log_dir / "stderr.txt").write_text(f"{exc.error_code}: {exc.message}\n")
        except OSError as exc:
            outcome = _Outcome("FAILED", f"Could not start the task: {exc}")
        location = self._keep_logs(submitted, log_dir)
        fields: dict[str, Any] = {
            "life_cycle_state": "TERMINATED",
            "result_state": outcome.result,
            "state_message": outcome.message,
            "end_time": self.service.clock(),
        }
        if location:
            fields["log_location"] = location
        self.store.update_run(task_run_id, **fields)
        return outcome

    def _start(
        self,
        run: JobRun,
        task: dict[str, Any],
        task_run_id: int,
        refs: dict[str, str],
        out: Any,
        err: Any,
    ) -> LocalSubmittedRun:
        from modelyard import projects

        marker = {TASK_MARKER_ENV: task_marker(self.db_key, task_run_id)}
        job_tags = {
            "modelyard.job.id": str(run.job_id),
            "modelyard.job.run_id": str(run.run_id),
            "modelyard.job.task_key": task["task_key"],
        }
        where = f"tasks.{task['task_key']}"
        if "project_task" in task:
            spec = task["project_task"]
            params = {
                k: substitute(v, refs, f"{where}.project_task.parameters.{k}")
                for k, v in spec.get("parameters", {}).items()
            }
            prepared = projects.prepare_run(
                spec["project_uri"],
                entry_point=spec.get("entry_point", "main"),
                parameters=params,
                version=spec.get("version"),
                env_manager=spec.get("env_manager"),
                tracking_uri=self.tracking_uri,
                run_name=f"{run.settings.get('name', 'job')}/{task['task_key']}",
                extra_tags=job_tags,
            )
            out.write(f"$ {prepared.command}\n".encode())
            out.flush()
            submitted = projects.launch(prepared, stdout=out, stderr=err, extra_env=marker)
            self._cleanup = prepared.cleanup
            return submitted
        spec = task["spark_python_task"]
        args = [
            substitute(v, refs, f"{where}.spark_python_task.parameters[{i}]")
            for i, v in enumerate(spec.get("parameters", []))
        ]
        argv, cwd = spark_python_command(
            {**spec, "parameters": args}, run.settings.get("executor", {}), Path.cwd()
        )
        return self._start_plain(argv, cwd, task, job_tags, marker, out, err)

    def _start_plain(
        self,
        argv: list[str],
        cwd: Path,
        task: dict[str, Any],
        tags: dict[str, str],
        marker: dict[str, str],
        out: Any,
        err: Any,
    ) -> LocalSubmittedRun:
        import os

        from modelyard.client import MlflowClient
        from modelyard.utils.uris import absolute_tracking_uri

        turi = absolute_tracking_uri(self.tracking_uri)
        client = MlflowClient(tracking_uri=turi)
        mlflow_run = client.create_run(
            "0",
            tags={
                "mlflow.source.type": "JOB",
                "mlflow.source.name": task["spark_python_task"]["python_file"],
                **tags,
            },
            run_name=task["task_key"],
        )
        env = dict(os.environ)
        env.update(marker)
        env["MLFLOW_RUN_ID"] = mlflow_run.info.run_id
        env["MLFLOW_TRACKING_URI"] = turi
        env["MLFLOW_EXPERIMENT_ID"] = "0"
        env.pop("MODELYARD_TRACKING_URI", None)
        out.write(f"$ {describe(argv)}\n".encode())
        out.flush()
        proc = subprocess.Popen(
            argv,
            cwd=str(cwd),
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            start_new_session=True,
        )
        return LocalSubmittedRun(mlflow_run.info.run_id, proc, turi)

    def _watch(
        self, run: JobRun, task: dict[str, Any], task_run_id: int, submitted: LocalSubmittedRun
    ) -> _Outcome:
        timeout = int(task.get("timeout_seconds") or 0)
        task_deadline = time.monotonic() + timeout if timeout else None
        last_check = 0.0
        try:
            while submitted.proc.poll() is None:
                now = time.monotonic()
                if task_deadline is not None and now >= task_deadline:
                    kill_process_group(submitted.proc)
                    submitted.wait()
                    return _Outcome("TIMEDOUT", f"Timed out after {timeout} seconds.")
                if self._deadline is not None and now >= self._deadline:
                    kill_process_group(submitted.proc)
                    submitted.wait()
                    limit = run.settings.get("timeout_seconds")
                    return _Outcome("TIMEDOUT", f"The job run timed out after {limit} seconds.")
                if self.stop.is_set():
                    submitted.cancel()
                    return _Outcome("FAILED", "The executor stopped while the task ran.")
                if now - last_check >= 0.5:
                    last_check = now
                    if self._cancel_requested(task_run_id) or self._cancel_requested(run.run_id):
                        self.store.update_run(
                            run.run_id, expected_states=("RUNNING",), life_cycle_state="TERMINATING"
                        )
                        submitted.cancel()
                        return _Outcome("CANCELED", "Cancelled by request.")
                time.sleep(_POLL_SECONDS)
            ok = submitted.wait()
        finally:
            if self._cleanup is not None:
                self._cleanup()
                self._cleanup = None
        if ok:
            return _Outcome("SUCCESS", "")
        return _Outcome("FAILED", f"The task's process exited with code {submitted.returncode}.")

    def _keep_logs(self, submitted: LocalSubmittedRun | None, log_dir: Path) -> str | None:
        """Log stdout/stderr as artifacts of the task's MLflow run; the artifact folder URI."""
        if submitted is None:
            return None
        from modelyard.client import MlflowClient

        try:
            client = MlflowClient(tracking_uri=submitted.tracking_uri)
            for name in ("stdout.txt", "stderr.txt"):
                client.log_artifact(submitted.run_id, str(log_dir / name), "job-logs")
            return client.get_run(submitted.run_id).info.artifact_uri.rstrip("/") + "/job-logs"
        except Exception as exc:  # the local files stay where they are
            _log.warning("could not keep the logs of %s as artifacts: %s", submitted.run_id, exc)
            return None
