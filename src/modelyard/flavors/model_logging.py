"""``log_model`` for every flavor: save into a temp dir, upload as an MLflow 3 logged model.

Steps (what MLflow 3.17's client does, compat spec §3.3 and §11 item 1): create the logged model
(in the active run's experiment, or the current experiment when no run is active; its params are
the given ones plus the run's, its tags the given ones plus ``mlflow.user``/``mlflow.source.*``),
record it as an output of the run (at ``step``), write the model directory with ``run_id``,
``model_id`` and ``artifact_path`` filled in, upload it to the logged model's artifact location, finalize the
logged model as READY (UPLOAD_FAILED when anything fails), and register a version when
``registered_model_name`` is given.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from modelyard.errors import InvalidParameterValue
from modelyard.models.mlmodel import Model, ModelInfo

__all__ = ["log_model"]


def log_model(
    save_model: Callable[..., Model],
    model: Any,
    artifact_path: str | None = None,
    *,
    name: str | None = None,
    registered_model_name: str | None = None,
    params: dict[str, Any] | None = None,
    tags: dict[str, Any] | None = None,
    model_type: str | None = None,
    step: int = 0,
    model_id: str | None = None,
    await_registration_for: int | None = None,
    **save_kwargs: Any,
) -> ModelInfo:
    """Log ``model`` with the flavor function ``save_model(model, path, mlmodel=..., ...)``."""
    from modelyard.client import fluent
    from modelyard.entities import LoggedModelOutput, LoggedModelStatus

    if name is not None and artifact_path is not None and name != artifact_path:
        raise InvalidParameterValue("Give only one of 'name' and 'artifact_path' (deprecated)")
    model_name = name or artifact_path or "model"
    if "/" in model_name or not model_name.strip():
        raise InvalidParameterValue(f"Invalid model name {model_name!r} for field 'name'")
    client = fluent._client()
    run = fluent.active_run()
    run_id = run.info.run_id if run is not None else None
    if model_id is not None:
        logged = client.get_logged_model(model_id)
    else:
        experiment_id = run.info.experiment_id if run is not None else fluent._experiment_id()
        run_params = client.get_run(run_id).data.params if run_id is not None else {}
        logged = client.create_logged_model(
            experiment_id,
            name=model_name,
            source_run_id=run_id,
            tags={**fluent._default_tags(), **{str(k): str(v) for k, v in (tags or {}).items()}},
            params={**{str(k): str(v) for k, v in (params or {}).items()}, **run_params},
            model_type=model_type,
        )
    if run_id is not None:
        client.log_outputs(run_id, [LoggedModelOutput(model_id=logged.model_id, step=step)])
    mlmodel = Model(
        artifact_path=logged.artifact_location,
        run_id=run_id,
        model_id=logged.model_id,
        model_uuid=logged.model_id,
    )
    try:
        with tempfile.TemporaryDirectory(prefix="modelyard-log-") as tmp:
            local = Path(tmp) / "model"
            saved = save_model(model, local, mlmodel=mlmodel, **save_kwargs)
            client.log_model_artifacts(logged.model_id, str(local))
    except BaseException:
        client.finalize_logged_model(logged.model_id, LoggedModelStatus.UPLOAD_FAILED)
        raise
    client.finalize_logged_model(logged.model_id, LoggedModelStatus.READY)
    version: int | None = None
    if registered_model_name:
        mv = fluent.register_model(
            f"models:/{logged.model_id}", registered_model_name, client=client
        )
        version = int(mv.version)
    return ModelInfo(
        artifact_path=model_name,
        flavors=saved.flavors,
        model_uri=f"models:/{logged.model_id}",
        model_uuid=saved.model_uuid,
        run_id=run_id,
        model_id=logged.model_id,
        signature=saved.signature,
        utc_time_created=saved.utc_time_created,
        mlflow_version=saved.mlflow_version,
        saved_input_example_info=saved.saved_input_example_info,
        metadata=saved.metadata,
        name=model_name,
        registered_model_version=version,
        artifact_uri=logged.artifact_location,
    )
