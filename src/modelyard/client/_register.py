"""``register_model``: a model URI (``runs:/``, ``models:/<model_id>``, any artifact URI) becomes a
new version of a registered model, with its lineage (source run, logged model) recorded."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from modelyard.client._client import MlflowClient
from modelyard.client._registry import DEFAULT_AWAIT_REGISTRATION
from modelyard.entities import ModelVersion
from modelyard.errors import InvalidParameterValue, ResourceAlreadyExists, ResourceDoesNotExist
from modelyard.services.registry import add_model_version_tag

__all__ = ["register_model"]


def _source_for_run(client: Any, run_id: str, path: str) -> tuple[str, str | None]:
    """(source, model_id) for ``runs:/<run_id>/<path>``: the run's own files when they hold an
    MLmodel, else the logged model of that run named after the first path segment."""
    run = client.get_run(run_id)
    path = path.strip("/")
    if path:
        listed = client.list_artifacts(run_id, path)
        if any(f.path.rstrip("/").split("/")[-1] == "MLmodel" for f in listed):
            return f"{run.info.artifact_uri.rstrip('/')}/{path}", None
    segment = path.split("/", 1)[0]
    escaped = segment.replace("'", "\\'")
    page = client.search_logged_models(
        [run.info.experiment_id], filter_string=f"name = '{escaped}'"
    )
    candidates = [m for m in page if m.source_run_id == run_id]
    if not candidates:
        raise ResourceDoesNotExist(
            f"No model found at 'runs:/{run_id}/{path}': the run has no '{path}/MLmodel' and no "
            f"logged model named '{segment}'."
        )
    model = max(candidates, key=lambda m: m.creation_timestamp)
    return f"models:/{model.model_id}", model.model_id


def register_model(
    model_uri: str,
    name: str,
    tags: Mapping[str, Any] | None = None,
    await_registration_for: int = DEFAULT_AWAIT_REGISTRATION,
    *,
    client: Any = None,
) -> ModelVersion:
    """Register the model at ``model_uri`` as a new version of ``name`` (created if missing).

    ``runs:/<run_id>/<path>``, ``models:/<model_id>`` and any artifact URI are accepted. When the
    version comes from a logged model, the logged model's ``mlflow.modelVersions`` tag records it.
    """
    if client is None:
        client = MlflowClient()
    try:
        client.create_registered_model(name)
    except ResourceAlreadyExists:
        pass
    if not isinstance(model_uri, str) or not model_uri:
        raise InvalidParameterValue("Missing value for parameter 'model_uri'.")
    run_id: str | None = None
    model_id: str | None = None
    source = model_uri
    if model_uri.startswith("runs:"):
        rest = model_uri[len("runs:") :].lstrip("/")
        run_id, _, path = rest.partition("/")
        if not run_id:
            raise InvalidParameterValue(f"Invalid model_uri '{model_uri}': no run id.")
        source, model_id = _source_for_run(client, run_id, path)
    elif model_uri.startswith("models:"):
        rest = model_uri[len("models:") :].lstrip("/")
        if rest and "/" not in rest and "@" not in rest:  # models:/<model_id>
            model_id = rest
            run_id = client._tracking.get_logged_model(model_id).source_run_id or None
    mv = client.create_model_version(name, source, run_id=run_id, tags=tags, model_id=model_id)
    if model_id:
        add_model_version_tag(client._tracking, model_id, mv.name, mv.version)
    return mv
