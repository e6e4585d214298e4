"""Executors: how a task's process is started. Chosen per job by ``settings.executor``.

* ``local``: ``spark_python_task`` files run as ``python FILE ARGS`` (PySpark scripts then use
  a local Spark); ``project_task`` entries run through :mod:`modelyard.projects`.
* ``spark``: ``spark_python_task`` files are submitted with ``spark-submit --master MASTER``
  (a standalone ``spark://host:port`` master, ``yarn``, ``k8s://...``), ``spark_conf`` passed
  as ``--conf k=v``; ``spark-submit`` is ``executor.spark_submit`` or the one bundled with
  the installed ``pyspark``. Project tasks still run locally.

Every task runs in its own process group, with ``MODELYARD_JOB_TASK_RUN_ID`` in its
environment (``<database key>/<task run id>``, the key a hash of the database URI, so two
servers on one machine never mistake each other's processes) so that a later process can find
and end it (see ``kill_task_processes``).
"""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from modelyard.errors import InvalidParameterValue

__all__ = [
    "TASK_MARKER_ENV",
    "TaskCommand",
    "database_key",
    "kill_task_processes",
    "spark_python_command",
    "task_marker",
]

TASK_MARKER_ENV = "MODELYARD_JOB_TASK_RUN_ID"


def database_key(db_uri: str) -> str:
    import hashlib

    return hashlib.sha256(db_uri.encode()).hexdigest()[:16]


def task_marker(db_key: str, task_run_id: int) -> str:
    """The value of ``MODELYARD_JOB_TASK_RUN_ID`` for one task run of one database."""
    return f"{db_key}/{task_run_id}"


@dataclass
class TaskCommand:
    argv: list[str]
    cwd: Path
    env: dict[str, str]


def _spark_submit(executor: dict[str, Any]) -> str:
    explicit = executor.get("spark_submit")
    if explicit:
        return str(explicit)
    import importlib.util

    spec = importlib.util.find_spec("pyspark")
    if spec is not None and spec.submodule_search_locations:
        candidate = Path(list(spec.submodule_search_locations)[0]) / "bin" / "spark-submit"
        if candidate.is_file():
            return str(candidate)
    found = shutil.which("spark-submit")
    if found is None:
        raise InvalidParameterValue(
            "executor 'spark' needs spark-submit: install pyspark or set executor.spark_submit."
        )
    return found


def spark_python_command(
    task: dict[str, Any], executor: dict[str, Any], base_dir: Path
) -> tuple[list[str], Path]:
    """argv and working folder of a ``spark_python_task``."""
    file = str(task["python_file"])
    path = Path(file)
    if file.startswith("file://"):
        path = Path(file[len("file://") :])
    if not path.is_absolute():
        path = (base_dir / path).resolve()
    if not path.is_file():
        raise InvalidParameterValue(f"spark_python_task.python_file {file!r} does not exist.")
    args = [str(a) for a in task.get("parameters", [])]
    if executor.get("type") == "spark":
        argv = [_spark_submit(executor), "--master", str(executor["master"])]
        for key, value in sorted(executor.get("spark_conf", {}).items()):
            argv += ["--conf", f"{key}={value}"]
        argv += [str(path), *args]
    else:
        argv = [sys.executable, str(path), *args]
    return argv, path.parent


def describe(argv: list[str]) -> str:
    return " ".join(shlex.quote(a) for a in argv)


def kill_task_processes(db_key: str, task_run_id: int) -> int:
    """SIGKILL every process group of this machine whose environment marks it as part of
    ``task_run_id`` of the database ``db_key`` (what a dead executor left behind). Returns how
    many groups were found."""
    marker = f"{TASK_MARKER_ENV}={task_marker(db_key, task_run_id)}".encode()
    groups: set[int] = set()
    proc = Path("/proc")
    if not proc.is_dir():
        return 0
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if marker in environ.split(b"\0"):
            try:
                groups.add(os.getpgid(int(entry.name)))
            except ProcessLookupError:
                continue
    for pgid in groups:
        if pgid in (os.getpgid(0), 0, 1):
            continue  # never our own group
        try:
            os.killpg(pgid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    return len(groups)
