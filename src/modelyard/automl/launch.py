"""AutoML started off the caller's thread: a child process logging into a run made beforehand.

:func:`launch` creates the AutoML parent run (``automl_<problem>``, tagged
``modelyard.automl.launched=background``) in the experiment, then starts ``modelyard automl
<task>`` in its own session with ``MLFLOW_RUN_ID`` set, so the search logs into that run and
its trials are the run's nested children: anyone who can read the experiment follows the
progress (the web UI's AutoML page does). The child's output goes to
``<home>/<run_id>/automl.log``. A thread waits for the child: if it ends with an error before
the run was finished, the run is marked ``FAILED`` and the log's last lines are kept in the tag
``modelyard.automl.error``. The child outlives a restart of whoever launched it (its own
session) and finishes its run itself; only the bookkeeping of a failure is then lost (the run
stays ``RUNNING``; the log has the error).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from modelyard.automl._params import check_max_trials, check_seed, timeout_seconds
from modelyard.errors import InvalidParameterValue, InvalidState, ResourceDoesNotExist

__all__ = [
    "AUTOML_HOME_ENV",
    "PROBLEM_TYPES",
    "Launched",
    "automl_home",
    "build_command",
    "cancel",
    "launch",
    "log_tail",
]

AUTOML_HOME_ENV = "MODELYARD_AUTOML_HOME"
PROBLEM_TYPES = {"classification": "classify", "regression": "regress", "forecast": "forecast"}
TAG_LAUNCHED = "modelyard.automl.launched"
TAG_PID = "modelyard.automl.pid"
TAG_ERROR = "modelyard.automl.error"
TAG_PROBLEM = "modelyard.automl.problem_type"
TAG_TARGET = "modelyard.automl.target_col"
TAG_METRIC = "modelyard.automl.primary_metric"
TAG_DATA = "modelyard.automl.data"
_TAIL_BYTES = 4000


def automl_home() -> Path:
    """Where launched searches keep their logs and uploaded data (``MODELYARD_AUTOML_HOME``,
    default ``./modelyard-automl``)."""
    return Path(os.environ.get(AUTOML_HOME_ENV) or "modelyard-automl").resolve()


@dataclass(frozen=True, slots=True)
class Launched:
    run_id: str
    experiment_id: str
    pid: int
    log_path: str


def _positive_int(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidParameterValue(f"Field '{field}' must be a positive integer (got {value!r}).")
    return value


def build_command(data_path: str, problem_type: str, options: dict[str, Any]) -> list[str]:
    """The ``modelyard automl`` command line for ``options`` (``target_col``,
    ``primary_metric``, ``timeout_minutes``, ``max_trials``, ``seed``, ``parallelism``, and for forecasts
    ``time_col``, ``frequency``, ``horizon``); errors name the field."""
    task = PROBLEM_TYPES.get(problem_type)
    if task is None:
        raise InvalidParameterValue(
            f"Invalid value {problem_type!r} for field 'problem_type': one of "
            f"{sorted(PROBLEM_TYPES)}."
        )
    target = options.get("target_col")
    if not isinstance(target, str) or not target:
        raise InvalidParameterValue("Missing value for required field 'target_col'.")
    argv = [sys.executable, "-m", "modelyard.cli.main", "automl", task]
    argv += ["--data", data_path, "--target", target]
    metric = options.get("primary_metric")
    if metric:
        argv += ["--primary-metric", str(metric)]
    # the checks of the Python API itself, so a bad field fails here, before a run is made
    timeout = options.get("timeout_minutes")
    if timeout is not None:
        timeout_seconds(timeout)
        argv += ["--timeout-minutes", repr(float(timeout))]
    trials = check_max_trials(options.get("max_trials"))
    if trials is not None:
        argv += ["--max-trials", str(trials)]
    argv += ["--seed", str(check_seed(options.get("seed")))]
    if options.get("parallelism") is not None:
        argv += ["--parallelism", str(_positive_int(options["parallelism"], "parallelism"))]
    if task == "forecast":
        time_col = options.get("time_col")
        if not isinstance(time_col, str) or not time_col:
            raise InvalidParameterValue("Missing value for required field 'time_col'.")
        argv += ["--time-col", time_col]
        if options.get("frequency"):
            argv += ["--frequency", str(options["frequency"])]
        if options.get("horizon") is not None:
            argv += ["--horizon", str(_positive_int(options["horizon"], "horizon"))]
    return argv


def launch(
    tracking: Any,
    *,
    data_path: str,
    problem_type: str,
    options: dict[str, Any],
    experiment_name: str,
    tracking_uri: str,
    extra_env: dict[str, str] | None = None,
    user_id: str | None = None,
    on_exit: Callable[[int], None] | None = None,
) -> Launched:
    """Create the parent run through ``tracking`` (a :class:`~modelyard.services.tracking.
    TrackingService`) and start the search in a child process logging to ``tracking_uri``."""
    argv = build_command(data_path, problem_type, options)
    argv += ["--experiment-name", experiment_name]
    experiment = tracking.get_experiment_by_name(experiment_name)
    experiment_id = (
        experiment.experiment_id
        if experiment is not None
        else tracking.create_experiment(experiment_name)
    )
    tags = {
        TAG_LAUNCHED: "background",
        TAG_PROBLEM: problem_type,
        TAG_TARGET: str(options["target_col"]),
        TAG_DATA: os.path.basename(data_path),
        "mlflow.user": user_id or "",
    }
    if options.get("primary_metric"):
        tags[TAG_METRIC] = str(options["primary_metric"])
    run_id = _create_run(tracking, experiment_id, f"automl_{problem_type}", tags, user_id)
    folder = automl_home() / run_id
    folder.mkdir(parents=True, exist_ok=True)
    log_path = folder / "automl.log"
    env = {
        **os.environ,
        **(extra_env or {}),
        "MLFLOW_TRACKING_URI": tracking_uri,
        "MLFLOW_RUN_ID": run_id,
        "MLFLOW_EXPERIMENT_ID": str(experiment_id),
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("MLFLOW_EXPERIMENT_NAME", None)
    log = open(log_path, "ab")
    try:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=str(folder),
            start_new_session=True,
        )
    except OSError as exc:
        log.close()
        _fail(tracking, run_id, f"could not start the search: {exc}")
        raise
    _set_tag(tracking, run_id, TAG_PID, str(proc.pid))
    threading.Thread(
        target=_watch,
        args=(proc, log, tracking, run_id, log_path, on_exit),
        name=f"automl-{run_id[:8]}",
        daemon=True,
    ).start()
    return Launched(run_id, str(experiment_id), proc.pid, str(log_path))


def _create_run(
    tracking: Any, experiment_id: str, name: str, tags: dict[str, str], user_id: str | None
) -> str:
    from modelyard.entities import RunTag

    pairs = [RunTag(k, v) for k, v in tags.items() if v]
    run = tracking.create_run(experiment_id, user_id, int(time.time() * 1000), pairs, name)
    return str(run.info.run_id)


def _set_tag(tracking: Any, run_id: str, key: str, value: str) -> None:
    from modelyard.entities import RunTag

    tracking.log_batch(run_id, tags=[RunTag(key, value)])


def _fail(tracking: Any, run_id: str, message: str) -> None:
    _set_tag(tracking, run_id, TAG_ERROR, message[-_TAIL_BYTES:])
    tracking.update_run_info(run_id, "FAILED", int(time.time() * 1000))


def _watch(
    proc: subprocess.Popen[bytes],
    log: Any,
    tracking: Any,
    run_id: str,
    log_path: Path,
    on_exit: Callable[[int], None] | None,
) -> None:
    code = proc.wait()
    log.close()
    try:
        if code != 0 and tracking.get_run(run_id).info.status == "RUNNING":
            _fail(tracking, run_id, f"the search exited with {code}:\n{log_tail(log_path)}")
    finally:
        if on_exit is not None:
            on_exit(code)


def _is_our_search(pid: int, run_id: str) -> bool:
    """True when ``pid`` is still the search launched for ``run_id`` (a process id can be
    reused once its process is gone): the leader of its own session, started with that run."""
    try:
        if os.getpgid(pid) != pid:
            return False
        environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    except (ProcessLookupError, PermissionError, FileNotFoundError):
        return False
    return f"MLFLOW_RUN_ID={run_id}".encode() in environ


def cancel(tracking: Any, run_id: str, actor: str | None = None) -> None:
    """Stop a launched search: its run is marked ``KILLED`` (with who cancelled it in
    ``modelyard.automl.error``), then its whole process group gets SIGTERM, and SIGKILL what is
    left after a short grace. Errors: not a launched search (``ResourceDoesNotExist``), not
    running any more (``InvalidState``)."""
    import signal

    run = tracking.get_run(run_id)
    tags = run.data.tags
    if tags.get(TAG_LAUNCHED) is None:
        raise ResourceDoesNotExist(f"Run {run_id} is not an AutoML search started here.")
    if run.info.status != "RUNNING":
        raise InvalidState(f"The search of run {run_id} is not running (it is {run.info.status}).")
    _set_tag(tracking, run_id, TAG_ERROR, f"cancelled by {actor or 'a user'}")
    tracking.update_run_info(run_id, "KILLED", int(time.time() * 1000))
    pid = int(tags.get(TAG_PID) or 0)
    if not pid or not _is_our_search(pid, run_id):
        return  # the process is gone already (a server restart lost its watcher)
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            return
        for _ in range(50):  # up to 5 s for the group to go (bounded by polls)
            if not _is_our_search(pid, run_id):
                return
            time.sleep(0.1)


def log_tail(path: str | Path, size: int = _TAIL_BYTES) -> str:
    """The last ``size`` bytes of a launched search's log (``""`` when there is none)."""
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - size))
            return f.read().decode("utf-8", "replace")
    except FileNotFoundError:
        return ""
