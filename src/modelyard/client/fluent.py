"""The fluent API: ``modelyard.start_run()``, ``modelyard.log_metric(...)`` and friends, with
MLflow's names and semantics so that ``import modelyard as mlflow`` runs MLflow scripts.

A log call with no active run starts one (as MLflow does). Runs started with ``start_run`` are
context managers: leaving the block ends the run as FINISHED, or FAILED on an exception.
"""

from __future__ import annotations

import atexit
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from modelyard.client import _context
from modelyard.client._register import register_model
from modelyard.client._run_state import state
from modelyard.entities import (
    Experiment,
    Metric,
    Param,
    Run,
    RunStatus,
    RunTag,
    ViewType,
)
from modelyard.errors import InvalidParameterValue, ModelyardError
from modelyard.utils.time import now_ms

if TYPE_CHECKING:
    import pandas as pd

    from modelyard.entities import FileInfo

__all__ = [
    "ActiveRun",
    "active_run",
    "create_experiment",
    "delete_experiment",
    "delete_run",
    "delete_tag",
    "end_run",
    "flush_async_logging",
    "get_artifact_uri",
    "get_experiment",
    "get_experiment_by_name",
    "get_registry_uri",
    "get_run",
    "get_tracking_uri",
    "last_active_run",
    "list_artifacts",
    "log_artifact",
    "log_artifacts",
    "log_dict",
    "log_figure",
    "log_image",
    "log_metric",
    "log_metrics",
    "log_param",
    "log_params",
    "log_text",
    "register_model",
    "search_experiments",
    "search_runs",
    "set_experiment",
    "set_experiment_tag",
    "set_experiment_tags",
    "set_registry_uri",
    "set_tag",
    "set_tags",
    "set_tracking_uri",
    "start_run",
]

get_tracking_uri = _context.get_tracking_uri
get_registry_uri = _context.get_registry_uri


def set_tracking_uri(uri: str | os.PathLike[str] | None) -> None:
    """Point the fluent API at a store (``sqlite:///f.db``, ``postgresql://…``, ``http://…``)."""
    _context.set_tracking_uri(uri)
    state.active_experiment_id = None
    state.reset_clients()


def set_registry_uri(uri: str | os.PathLike[str] | None) -> None:
    _context.set_registry_uri(uri)
    state.reset_clients()


def _client():
    return state.client()


# ---------------------------------------------------------------- experiments
def set_experiment(
    experiment_name: str | None = None, experiment_id: str | None = None
) -> Experiment:
    """Make an experiment active, creating it (by name) if it does not exist."""
    if (experiment_name is None) == (experiment_id is None):
        raise InvalidParameterValue("Exactly one of experiment_name or experiment_id is required")
    client = _client()
    if experiment_id is not None:
        experiment = client.get_experiment(str(experiment_id))
    else:
        found = client.get_experiment_by_name(experiment_name)
        if found is None:
            new_id = client.create_experiment(experiment_name)
            found = client.get_experiment(new_id)
        experiment = found
    if experiment.lifecycle_stage != "active":
        raise InvalidParameterValue(
            f"Cannot set a deleted experiment '{experiment.name}' as the active experiment. "
            "Restore it first (MlflowClient().restore_experiment) or use another name."
        )
    state.active_experiment_id = experiment.experiment_id
    return experiment


def create_experiment(
    name: str, artifact_location: str | None = None, tags: dict[str, Any] | None = None
) -> str:
    return _client().create_experiment(name, artifact_location, tags)


def get_experiment(experiment_id: str) -> Experiment:
    return _client().get_experiment(experiment_id)


def get_experiment_by_name(name: str) -> Experiment | None:
    return _client().get_experiment_by_name(name)


def delete_experiment(experiment_id: str) -> None:
    _client().delete_experiment(experiment_id)


def set_experiment_tag(key: str, value: Any) -> None:
    _client().set_experiment_tag(_experiment_id(), key, value)


def set_experiment_tags(tags: dict[str, Any]) -> None:
    for key, value in tags.items():
        set_experiment_tag(key, value)


def search_experiments(
    view_type: int = ViewType.ACTIVE_ONLY,
    max_results: int | None = None,
    filter_string: str | None = None,
    order_by: list[str] | None = None,
) -> list[Experiment]:
    """All matching experiments (pages followed), or at most ``max_results``."""
    client = _client()
    out: list[Experiment] = []
    token = None
    while True:
        want = 50000 if max_results is None else min(50000, max_results - len(out))
        page = client.search_experiments(view_type, want, filter_string, order_by, token)
        out.extend(page)
        token = page.token
        if not token or (max_results is not None and len(out) >= max_results):
            return out


def _experiment_id() -> str:
    if state.active_experiment_id is not None:
        return state.active_experiment_id
    env_id = os.environ.get("MLFLOW_EXPERIMENT_ID")
    if env_id:
        return env_id
    env_name = os.environ.get("MLFLOW_EXPERIMENT_NAME")
    if env_name:
        return set_experiment(env_name).experiment_id
    return "0"


# ---------------------------------------------------------------- runs
class ActiveRun(Run):
    """The run returned by ``start_run``; a context manager that ends it."""

    def __init__(self, run: Run) -> None:
        super().__init__(run.info, run.data, run.inputs, run.outputs)

    def __enter__(self) -> ActiveRun:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is None:
            status = RunStatus.FINISHED
        elif issubclass(exc_type, KeyboardInterrupt):
            status = RunStatus.KILLED
        else:
            status = RunStatus.FAILED
        if any(r.info.run_id == self.info.run_id for r in state.stack):
            end_run(status)


def _default_tags() -> dict[str, str]:
    source = os.path.abspath(sys.argv[0]) if sys.argv and sys.argv[0] else "<console>"
    return {
        "mlflow.user": _context.get_user_id(),
        "mlflow.source.name": source,
        "mlflow.source.type": "LOCAL",
    }


def start_run(
    run_id: str | None = None,
    experiment_id: str | None = None,
    run_name: str | None = None,
    nested: bool = False,
    parent_run_id: str | None = None,
    tags: dict[str, Any] | None = None,
    description: str | None = None,
    log_system_metrics: bool | None = None,
) -> ActiveRun:
    """Start a new run, or resume ``run_id``. Use as ``with start_run() as run:``."""
    stack = state.stack
    if stack and not nested:
        raise InvalidParameterValue(
            f"Run with UUID {stack[-1].info.run_id} is already active. To start a nested run, "
            "call start_run with nested=True"
        )
    client = _client()
    if run_id is None and not stack:
        # a project or job launcher hands its child process the run to log into (MLflow's rule)
        run_id = os.environ.get("MLFLOW_RUN_ID") or None
    if run_id:
        existing = client.get_run(run_id)
        if experiment_id is not None and str(experiment_id) != existing.info.experiment_id:
            raise InvalidParameterValue(
                f"Cannot resume run {run_id} in experiment {experiment_id}: it belongs to "
                f"experiment {existing.info.experiment_id} (field 'experiment_id')"
            )
        if existing.info.lifecycle_stage != "active":
            raise InvalidParameterValue(f"Cannot start run with ID {run_id} because it is deleted")
        client._tracking.update_run_info(run_id, RunStatus.RUNNING, None, run_name)
        if tags:
            client.log_batch(run_id, tags=[RunTag(k, str(v)) for k, v in tags.items()])
        run = client.get_run(run_id)
    else:
        parent = parent_run_id or (stack[-1].info.run_id if stack and nested else None)
        all_tags = _default_tags()
        all_tags.update({k: str(v) for k, v in (tags or {}).items()})
        if parent:
            all_tags["mlflow.parentRunId"] = parent
        if description:
            all_tags["mlflow.note.content"] = description
        exp_id = str(experiment_id) if experiment_id is not None else _experiment_id()
        if parent and experiment_id is None:
            exp_id = client.get_run(parent).info.experiment_id
        run = client.create_run(exp_id, tags=all_tags, run_name=run_name)
    active = ActiveRun(run)
    stack.append(active)
    return active


def end_run(status: str = RunStatus.FINISHED) -> None:
    """End the innermost active run (no-op when none is active)."""
    stack = state.stack
    if not stack:
        return
    run = stack.pop()
    state.last_active_run_id = run.info.run_id
    client = _client()
    try:
        client.flush_async_logging()
    finally:
        client.set_terminated(run.info.run_id, RunStatus.coerce(status))


def flush_async_logging() -> None:
    """Wait until every asynchronously logged value is written (raises if some failed)."""
    _client().flush_async_logging()


def _end_all_at_exit() -> None:
    try:
        while state.stack:
            end_run(RunStatus.FINISHED)
    except ModelyardError:  # the store may be gone at interpreter exit
        pass


atexit.register(_end_all_at_exit)


def active_run() -> ActiveRun | None:
    stack = state.stack
    return stack[-1] if stack else None


def last_active_run() -> Run | None:
    current = active_run()
    if current is not None:
        return _client().get_run(current.info.run_id)
    if state.last_active_run_id is None:
        return None
    return _client().get_run(state.last_active_run_id)


def get_run(run_id: str) -> Run:
    return _client().get_run(run_id)


def delete_run(run_id: str) -> None:
    _client().delete_run(run_id)


def _run_id(run_id: str | None = None) -> str:
    if run_id:
        return run_id
    current = active_run()
    if current is None:
        current = start_run()
    return current.info.run_id


# ---------------------------------------------------------------- logging
def log_param(key: str, value: Any, synchronous: bool | None = None) -> Any:
    return _client().log_param(_run_id(), key, value, synchronous)


def log_params(
    params: dict[str, Any], synchronous: bool | None = None, run_id: str | None = None
) -> None:
    _client().log_batch(
        _run_id(run_id),
        params=[Param(k, str(v)) for k, v in params.items()],
        synchronous=synchronous,
    )


def log_metric(
    key: str,
    value: float,
    step: int | None = None,
    synchronous: bool | None = None,
    timestamp: int | None = None,
    run_id: str | None = None,
    model_id: str | None = None,
    dataset: Any = None,
) -> None:
    _client().log_metric(
        _run_id(run_id), key, value, timestamp, step, synchronous, model_id=model_id
    )


def log_metrics(
    metrics: dict[str, float],
    step: int | None = None,
    synchronous: bool | None = None,
    run_id: str | None = None,
    timestamp: int | None = None,
    model_id: str | None = None,
    dataset: Any = None,
) -> None:
    ts = timestamp if timestamp is not None else now_ms()
    points = [Metric(k, v, ts, step or 0, model_id=model_id) for k, v in metrics.items()]
    _client().log_batch(_run_id(run_id), metrics=points, synchronous=synchronous)


def set_tag(key: str, value: Any, synchronous: bool | None = None) -> None:
    _client().set_tag(_run_id(), key, value, synchronous)


def set_tags(tags: dict[str, Any], synchronous: bool | None = None) -> None:
    _client().log_batch(
        _run_id(), tags=[RunTag(k, str(v)) for k, v in tags.items()], synchronous=synchronous
    )


def delete_tag(key: str) -> None:
    _client().delete_tag(_run_id(), key)


# ---------------------------------------------------------------- artifacts
def log_artifact(
    local_path: str, artifact_path: str | None = None, run_id: str | None = None
) -> None:
    _client().log_artifact(_run_id(run_id), local_path, artifact_path)


def log_artifacts(
    local_dir: str, artifact_path: str | None = None, run_id: str | None = None
) -> None:
    _client().log_artifacts(_run_id(run_id), local_dir, artifact_path)


def log_text(text: str, artifact_file: str, run_id: str | None = None) -> None:
    _client().log_text(_run_id(run_id), text, artifact_file)


def log_dict(dictionary: Any, artifact_file: str, run_id: str | None = None) -> None:
    _client().log_dict(_run_id(run_id), dictionary, artifact_file)


def log_figure(
    figure: Any,
    artifact_file: str,
    *,
    save_kwargs: dict[str, Any] | None = None,
    run_id: str | None = None,
) -> None:
    _client().log_figure(_run_id(run_id), figure, artifact_file, save_kwargs=save_kwargs)


def log_image(
    image: Any,
    artifact_file: str | None = None,
    key: str | None = None,
    step: int | None = None,
    timestamp: int | None = None,
    synchronous: bool | None = None,
    run_id: str | None = None,
) -> None:
    if artifact_file is None and key is not None:
        artifact_file = f"images/{key}/step_{step or 0}_{timestamp or now_ms()}.png"
    _client().log_image(_run_id(run_id), image, artifact_file)


def get_artifact_uri(artifact_path: str | None = None) -> str:
    run = _client().get_run(_run_id())
    base = run.info.artifact_uri.rstrip("/")
    return f"{base}/{artifact_path.lstrip('/')}" if artifact_path else base


def list_artifacts(path: str | None = None, run_id: str | None = None) -> list[FileInfo]:
    return _client().list_artifacts(_run_id(run_id), path)


# ---------------------------------------------------------------- search
def search_runs(
    experiment_ids: Sequence[str] | None = None,
    filter_string: str = "",
    run_view_type: int = ViewType.ACTIVE_ONLY,
    max_results: int = 100000,
    order_by: list[str] | None = None,
    output_format: str = "pandas",
    search_all_experiments: bool = False,
    experiment_names: list[str] | None = None,
) -> pd.DataFrame | list[Run]:
    """Search runs; a pandas DataFrame with MLflow's columns, or a list of runs with
    ``output_format="list"``. Pages are followed up to ``max_results`` runs."""
    client = _client()
    ids = [str(e) for e in (experiment_ids or [])]
    for name in experiment_names or []:
        exp = client.get_experiment_by_name(name)
        if exp is not None:
            ids.append(exp.experiment_id)
    if not ids and not experiment_names:
        if search_all_experiments:
            ids = [e.experiment_id for e in search_experiments(view_type=ViewType.ALL)]
        else:
            ids = [_experiment_id()]
    runs: list[Run] = []
    token = None
    while ids:
        want = min(50000, max_results - len(runs))
        if want <= 0:
            break
        page = client.search_runs(ids, filter_string, run_view_type, want, order_by, token)
        runs.extend(page)
        token = page.token
        if not token:
            break
    if output_format == "list":
        return runs
    if output_format != "pandas":
        raise InvalidParameterValue(
            f"Unsupported output_format {output_format!r}: expected 'pandas' or 'list'"
        )
    from modelyard.client._frames import runs_to_frame

    return runs_to_frame(runs)
