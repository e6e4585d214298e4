"""``run(uri, ...)``: fetch a project, build its environment, create its run and start it.

Built on the public client only. The run gets MLflow's provenance tags
(``mlflow.source.type=PROJECT``, ``mlflow.source.name``, ``mlflow.source.git.commit``,
``mlflow.source.git.repoURL``, ``mlflow.source.git.branch`` when ``version`` names a branch,
``mlflow.project.entryPoint``, ``mlflow.project.env``, ``mlflow.project.backend``), the entry
point's parameters as params, and the child process is attached to it through
``MLFLOW_RUN_ID``, ``MLFLOW_TRACKING_URI`` and ``MLFLOW_EXPERIMENT_ID``.

The command runs under ``bash -c`` in its own session, in the project folder, with the
environment's ``bin`` first on ``PATH`` (so ``python`` is the environment's interpreter).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from modelyard.errors import InvalidParameterValue, NotImplementedByBackend
from modelyard.projects.environments import (
    ENV_MANAGERS,
    default_env_manager,
    prepare_environment,
    read_python_env,
)
from modelyard.projects.source import ProjectSource, fetch_project
from modelyard.projects.spec import Project, load_project
from modelyard.projects.submitted import LocalSubmittedRun, SubmittedRun
from modelyard.utils.uris import absolute_tracking_uri

__all__ = ["BACKENDS", "PreparedRun", "absolute_tracking_uri", "launch", "prepare_run", "run"]

BACKENDS = ("local",)


@dataclass
class PreparedRun:
    """Everything needed to start the process of a project run."""

    run_id: str
    experiment_id: str
    tracking_uri: str
    command: str
    cwd: Path
    env: dict[str, str]
    params: dict[str, str]
    source: ProjectSource
    project: Project
    env_dir: Path | None = None
    tags: dict[str, str] = field(default_factory=dict)

    def cleanup(self) -> None:
        if self.source.cleanup_dir is not None:
            shutil.rmtree(self.source.cleanup_dir, ignore_errors=True)


def _resolve_experiment(client: Any, experiment_name: str | None, experiment_id: str | None) -> str:
    if experiment_name and experiment_id:
        raise InvalidParameterValue("Give experiment_name or experiment_id, not both.")
    if experiment_id:
        return str(client.get_experiment(str(experiment_id)).experiment_id)
    if experiment_name:
        exp = client.get_experiment_by_name(experiment_name)
        return exp.experiment_id if exp is not None else client.create_experiment(experiment_name)
    env_id = os.environ.get("MLFLOW_EXPERIMENT_ID")
    if env_id:
        return env_id
    env_name = os.environ.get("MLFLOW_EXPERIMENT_NAME")
    if env_name:
        return _resolve_experiment(client, env_name, None)
    return "0"


def _is_branch(source: ProjectSource) -> bool:
    if not source.version or source.cleanup_dir is None:
        return False
    proc = subprocess.run(
        ["git", "rev-parse", "--verify", "--quiet", f"refs/remotes/origin/{source.version}"],
        cwd=source.cleanup_dir,
        capture_output=True,
    )
    return proc.returncode == 0


def prepare_run(
    uri: str,
    entry_point: str = "main",
    parameters: Mapping[str, Any] | None = None,
    version: str | None = None,
    experiment_name: str | None = None,
    experiment_id: str | None = None,
    run_name: str | None = None,
    env_manager: str | None = None,
    tracking_uri: str | None = None,
    extra_tags: Mapping[str, str] | None = None,
) -> PreparedRun:
    """Fetch, validate, build the environment and create the MLflow run (not started)."""
    from modelyard.client import MlflowClient
    from modelyard.client.fluent import get_tracking_uri

    if env_manager is not None and env_manager not in ENV_MANAGERS:
        raise InvalidParameterValue(
            f"Invalid env_manager {env_manager!r} (expected one of {', '.join(ENV_MANAGERS)})."
        )
    source = fetch_project(uri, version)
    try:
        project = load_project(source.work_dir)
        if project.env_type == "docker_env":
            raise NotImplementedByBackend(
                "This project declares docker_env; Docker environments are not supported by "
                "modelyard's local backend (use python_env or conda_env)."
            )
        entry = project.get_entry_point(entry_point)
        values = entry.resolve(dict(parameters or {}))
        command = entry.command_for(values)
        env_dir: Path | None = None
        manager = env_manager
        if project.env_type in ("python_env", "conda_env") and manager != "local":
            assert project.env_file is not None
            manager = manager or default_env_manager()
            env_dir = prepare_environment(
                read_python_env(project.env_file, project.env_type), manager
            )
        else:
            manager = "local"
        turi = absolute_tracking_uri(tracking_uri or get_tracking_uri())
        client = MlflowClient(tracking_uri=turi)
        exp_id = _resolve_experiment(client, experiment_name, experiment_id)
        tags: dict[str, str] = {
            "mlflow.source.type": "PROJECT",
            "mlflow.source.name": source.source_name,
            "mlflow.project.entryPoint": entry_point,
            "mlflow.project.env": manager,
            "mlflow.project.backend": "local",
        }
        if source.git_commit:
            tags["mlflow.source.git.commit"] = source.git_commit
        if source.git_repo_url:
            tags["mlflow.source.git.repoURL"] = source.git_repo_url
        if _is_branch(source):
            tags["mlflow.source.git.branch"] = str(source.version)
        tags.update(extra_tags or {})
        created = client.create_run(exp_id, tags=tags, run_name=run_name)
        run_id = created.info.run_id
        if values:
            from modelyard.entities import Param

            client.log_batch(run_id, params=[Param(k, v) for k, v in values.items()])
        env = dict(os.environ)
        bin_dir = str(env_dir / "bin") if env_dir else str(Path(sys.executable).parent)
        env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
        if env_dir is not None:
            env["VIRTUAL_ENV"] = str(env_dir)
            env.pop("PYTHONHOME", None)
        env["MLFLOW_RUN_ID"] = run_id
        env["MLFLOW_TRACKING_URI"] = turi
        env["MLFLOW_EXPERIMENT_ID"] = exp_id
        env.pop("MODELYARD_TRACKING_URI", None)  # it would win over MLFLOW_TRACKING_URI
        env.pop("MLFLOW_EXPERIMENT_NAME", None)
        return PreparedRun(
            run_id=run_id,
            experiment_id=exp_id,
            tracking_uri=turi,
            command=command,
            cwd=source.work_dir,
            env=env,
            params=values,
            source=source,
            project=project,
            env_dir=env_dir,
            tags=tags,
        )
    except BaseException:
        if source.cleanup_dir is not None:
            shutil.rmtree(source.cleanup_dir, ignore_errors=True)
        raise


def launch(
    prepared: PreparedRun,
    stdout: IO[bytes] | int | None = None,
    stderr: IO[bytes] | int | None = None,
    extra_env: Mapping[str, str] | None = None,
) -> LocalSubmittedRun:
    """Start the prepared command in its own process group."""
    env = dict(prepared.env)
    env.update(extra_env or {})
    proc = subprocess.Popen(
        ["bash", "-c", prepared.command],
        cwd=str(prepared.cwd),
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=stdout,
        stderr=stderr,
        start_new_session=True,  # own process group: cancel/timeout kill every child
    )
    return LocalSubmittedRun(prepared.run_id, proc, prepared.tracking_uri)


def run(
    uri: str,
    entry_point: str = "main",
    parameters: Mapping[str, Any] | None = None,
    version: str | None = None,
    experiment_name: str | None = None,
    experiment_id: str | None = None,
    run_name: str | None = None,
    env_manager: str | None = None,
    backend: str = "local",
    backend_config: Mapping[str, Any] | str | None = None,
    synchronous: bool = True,
) -> SubmittedRun:
    """Run a project (MLflow's ``mlflow.projects.run``). Synchronous runs raise
    :class:`~modelyard.projects.ExecutionException` when the command fails."""
    if backend not in BACKENDS:
        raise InvalidParameterValue(
            f"Invalid backend {backend!r} for project runs (supported: {', '.join(BACKENDS)}); "
            "Spark and scheduled runs are jobs (modelyard jobs)."
        )
    config = _backend_config(backend_config)
    timeout = config.get("timeout_seconds")
    prepared = prepare_run(
        uri,
        entry_point,
        parameters,
        version,
        experiment_name,
        experiment_id,
        run_name,
        env_manager,
    )
    try:
        submitted = launch(prepared)
    except BaseException:
        prepared.cleanup()
        raise
    if synchronous:
        try:
            ok = submitted.wait(timeout=float(timeout) if timeout else None)
        except BaseException:  # Ctrl-C: do not leave the child running
            submitted.cancel()
            prepared.cleanup()
            raise
        prepared.cleanup()
        if not ok:
            from modelyard.projects import ExecutionException

            why = "timed out" if submitted.timed_out else f"exited with {submitted.returncode}"
            raise ExecutionException(f"Run (ID '{submitted.run_id}') failed: the command {why}.")
        return submitted

    def _watch() -> None:
        try:
            submitted.wait(timeout=float(timeout) if timeout else None)
        finally:
            prepared.cleanup()

    threading.Thread(target=_watch, name=f"project-run-{prepared.run_id}", daemon=True).start()
    return submitted


def _backend_config(raw: Mapping[str, Any] | str | None) -> dict[str, Any]:
    if raw is None:
        return {}
    if isinstance(raw, str):
        import json

        import yaml

        path = Path(raw)
        try:
            text = path.read_text(encoding="utf-8") if path.is_file() else raw
            data = json.loads(text) if text.lstrip().startswith("{") else yaml.safe_load(text)
        except (ValueError, yaml.YAMLError) as exc:
            raise InvalidParameterValue(f"Invalid backend_config: {exc}") from None
        raw = data if isinstance(data, dict) else None
        if raw is None:
            raise InvalidParameterValue("backend_config must be a JSON/YAML map.")
    allowed = {"timeout_seconds"}
    unknown = set(raw) - allowed
    if unknown:
        raise InvalidParameterValue(
            f"Unknown backend_config field(s) {sorted(unknown)} for the local backend "
            f"(known: {', '.join(sorted(allowed))})."
        )
    return dict(raw)
