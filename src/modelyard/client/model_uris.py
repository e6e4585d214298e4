"""Resolve a model URI and download the model directory it names.

Accepted forms (the MLflow 3.17 rules, compat spec §4.6):

* a local path, or ``file:`` URI: used in place (copied only when ``dst_path`` is given);
* ``runs:/<run_id>/<path>``: the run's artifacts first; when there is no ``MLmodel`` at that path,
  the run's logged model whose name is the first path segment (latest one wins);
* ``models:/m-<id>``: a logged model;
* ``models:/<name>/<version>``; ``models:/<name>/<stage>`` (case-insensitive; highest version in
  the stage); ``models:/<name>/latest`` (highest version over all stages);
  ``models:/<name>@<alias>``;
* anything an artifact repository handles: ``mlflow-artifacts:/…``, ``s3://…``, ``http(s)://…``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlparse

from modelyard.errors import InvalidParameterValue, ResourceDoesNotExist

if TYPE_CHECKING:
    from modelyard.client._client import MlflowClient

__all__ = ["download_model", "parse_models_uri", "resolve_model_uri"]

_MLMODEL = "MLmodel"


def _client(client: MlflowClient | None) -> MlflowClient:
    if client is not None:
        return client
    from modelyard.client._client import MlflowClient

    return MlflowClient()


def _is_local(uri: str) -> bool:
    parsed = urlparse(uri)
    return parsed.scheme in ("", "file") or (len(parsed.scheme) == 1 and os.name == "nt")


def _local_path(uri: str) -> Path:
    parsed = urlparse(uri)
    if parsed.scheme == "file":
        return Path(unquote(parsed.path))
    return Path(uri)


def parse_models_uri(uri: str) -> dict[str, str]:
    """Split a ``models:/`` URI into ``{"model_id"}``, ``{"name", "version"}``,
    ``{"name", "stage"}``, ``{"name", "latest"}`` or ``{"name", "alias"}``."""
    rest = uri[len("models:") :].lstrip("/")
    if not rest:
        raise InvalidParameterValue(f"Invalid model URI {uri!r}: no model named after 'models:/'")
    parts = [p for p in rest.split("/") if p]
    if len(parts) == 1:
        seg = parts[0]
        if "@" in seg:
            name, alias = seg.rsplit("@", 1)
            if not name or not alias:
                raise InvalidParameterValue(
                    f"Invalid model URI {uri!r}: expected models:/<name>@<alias>"
                )
            return {"name": name, "alias": alias}
        return {"model_id": seg}
    if len(parts) == 2:
        name, suffix = parts
        if suffix.isdigit():
            return {"name": name, "version": suffix}
        if suffix.lower() == "latest":
            return {"name": name, "latest": "latest"}
        return {"name": name, "stage": suffix}
    raise InvalidParameterValue(
        f"Invalid model URI {uri!r}: use models:/<name>/<version|stage|latest>, "
        "models:/<name>@<alias> or models:/<model_id>"
    )


def _registry_source(uri: str, client: MlflowClient) -> str:
    spec = parse_models_uri(uri)
    if "model_id" in spec:
        return client.get_logged_model(spec["model_id"]).artifact_location
    name = spec["name"]
    if "version" in spec:
        version = spec["version"]
    elif "alias" in spec:
        version = client.get_model_version_by_alias(name, spec["alias"]).version
    else:
        stages = [spec["stage"]] if "stage" in spec else None
        versions = client.get_latest_versions(name, stages)
        if not versions:
            where = f"stage '{spec['stage']}'" if stages else "any stage"
            raise ResourceDoesNotExist(f"No versions of model with name '{name}' and {where} found")
        version = str(max(int(v.version) for v in versions))
    return client.get_model_version_download_uri(name, version)


def _run_source(uri: str, client: MlflowClient) -> str:
    rest = uri[len("runs:") :].lstrip("/")
    run_id, _, path = rest.partition("/")
    path = path.strip("/")
    if not run_id:
        raise InvalidParameterValue(f"Invalid run URI {uri!r}: expected runs:/<run_id>/<path>")
    run = client.get_run(run_id)
    root = run.info.artifact_uri.rstrip("/")
    repo = client.artifact_repo_for_uri(root)
    listing = repo.list_artifacts(path or None)
    names = {f.path.rsplit("/", 1)[-1] for f in listing}
    if _MLMODEL in names or not path:
        return f"{root}/{path}" if path else root
    first, _, below = path.partition("/")
    found = client.search_logged_models(
        experiment_ids=[run.info.experiment_id], filter_string=f"name = '{first}'"
    )
    candidates = [m for m in found if m.source_run_id == run_id]
    if not candidates:
        if listing:
            return f"{root}/{path}"
        raise ResourceDoesNotExist(
            f"No model at {uri!r}: the run has no artifacts at '{path}' and no logged model "
            f"named '{first}'"
        )
    model = max(candidates, key=lambda m: m.creation_timestamp)
    base = model.artifact_location.rstrip("/")
    return f"{base}/{below}" if below else base


def resolve_model_uri(model_uri: str, client: MlflowClient | None = None) -> str:
    """The artifact location (local path or artifact URI) a model URI points at."""
    uri = str(model_uri)
    seen = 0
    while True:
        seen += 1
        if seen > 10:
            raise InvalidParameterValue(f"Model URI {model_uri!r} resolves in a loop")
        if uri.startswith("models:"):
            uri = _registry_source(uri, _client(client))
        elif uri.startswith("runs:"):
            uri = _run_source(uri, _client(client))
        else:
            return uri


def _download_remote(uri: str, dst: str, client: MlflowClient | None) -> str:
    parent, _, base = uri.rstrip("/").rpartition("/")
    if client is not None:
        repo: Any = client.artifact_repo_for_uri(parent)
    else:
        from modelyard.store.artifacts.registry import get_artifact_repository

        repo = get_artifact_repository(parent)
    return repo.download_artifacts(base, dst)


def download_model(
    model_uri: str | os.PathLike[str],
    dst_path: str | None = None,
    client: MlflowClient | None = None,
) -> str:
    """Resolve ``model_uri`` and return a local directory holding the model files."""
    uri = resolve_model_uri(os.fspath(model_uri), client)
    if _is_local(uri):
        local = _local_path(uri)
        if not local.exists():
            raise ResourceDoesNotExist(f"No model found at '{local}' (from {model_uri!r})")
        if dst_path is None:
            return str(local.resolve())
        target = Path(dst_path) / local.name
        if local.is_dir():
            shutil.copytree(local, target, dirs_exist_ok=True)
        else:
            Path(dst_path).mkdir(parents=True, exist_ok=True)
            shutil.copy2(local, target)
        return str(target)
    if dst_path is None:
        dst_path = tempfile.mkdtemp(prefix="modelyard-model-")
    else:
        os.makedirs(dst_path, exist_ok=True)
    if client is None and (uri.startswith("mlflow-artifacts:") or uri.startswith("http")):
        client = _client(None)
    return _download_remote(uri, dst_path, client)
