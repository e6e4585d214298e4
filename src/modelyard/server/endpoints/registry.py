"""Model registry RPCs (``/api/2.0/mlflow/registered-models/...`` and ``/model-versions/...``,
compat spec §3.4), served under ``/api`` and ``/ajax-api``.

Each handler parses the wire fields and calls the RegistryService; rules live in the service and
the store. Version creation runs through a service that also sees the tracking store and the
server's artifact roots, so sources are checked against the run or logged model they claim
(``runs:/``, ``models:/<model_id>``, ``mlflow-artifacts:``, local paths) and the logged model gets
its ``mlflow.modelVersions`` tag, as MLflow's server does.

Transitions (``transition-stage``) and alias assignments run the model's promotion gates
(``services.promotion``); modelyard adds the optional fields ``force`` (MANAGE only when auth is
on) and ``comment``. A blocked transition is INVALID_STATE (400) naming each gate; a lost race
with another transition of the model is RESOURCE_CONFLICT (409).

modelyard extension (not in MLflow): ``GET /api/2.0/mlflow/model-versions/history?name=N
[&version=V]`` returns ``{"transitions": [{name, version, kind, from_value, to_value, user_id,
timestamp}]}``, the audit trail of stage and alias changes, oldest first (``kind`` is ``stage``,
``alias_set`` or ``alias_deleted``; see ``store.registry._sql_audit``).

The UI route ``GET /model-versions/get-artifact?name&version&path`` (no ``/api`` prefix, as in
MLflow) streams one file of a version, resolving ``runs:/`` and ``models:/`` download URIs.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Iterator
from typing import Any, BinaryIO

from starlette.responses import StreamingResponse

from modelyard.entities import StageTransition
from modelyard.errors import PermissionDenied, ResourceDoesNotExist
from modelyard.server.endpoints.promotion import caller, can_manage_model
from modelyard.server.routing import Call, Endpoint
from modelyard.services.registry import RegistryService
from modelyard.store.artifacts.paths import safe_relative_path
from modelyard.wire import WireArgs, missing_value, model_version_to_json, registered_model_to_json

__all__ = ["ENDPOINTS", "stage_transition_to_json"]

REGISTERED_MODELS_MAX_RESULTS_DEFAULT = 100
MODEL_VERSIONS_MAX_RESULTS_DEFAULT = 10000


def stage_transition_to_json(t: StageTransition) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": t.name,
        "version": t.version,
        "kind": t.kind,
        "timestamp": t.timestamp,
    }
    for field in ("from_value", "to_value", "user_id"):
        value = getattr(t, field)
        if value is not None:
            out[field] = value
    return out


def _version(a: WireArgs, required: bool = True) -> Any:
    """The raw ``version`` (string or number); the service checks it is an integer."""
    value = a.get_raw("version")
    if isinstance(value, list):
        value = value[-1] if value else None
    if (value is None or value == "") and required:
        raise missing_value("version")
    return value


def _lineage_service(call: Call) -> RegistryService:
    """The context's service, completed with the tracking store and the artifact roots."""
    service = call.registry
    if getattr(service, "tracking", None) is not None:
        return service
    cfg = call.ctx.config
    roots = [
        r
        for r in (
            cfg.default_artifact_root,
            cfg.artifacts_destination,
            *getattr(cfg, "allowed_artifact_roots", ()),
        )
        if r
    ]
    return RegistryService(service.store, tracking=call.tracking, allowed_artifact_roots=roots)


# ---------------------------------------------------------------- registered models
def create_registered_model(call: Call) -> dict[str, Any]:
    a = call.args
    rm = call.registry.create_registered_model(
        a.req_str("name"), tags=a.key_values("tags"), description=a.str("description") or None
    )
    return {"registered_model": registered_model_to_json(rm)}


def get_registered_model(call: Call) -> dict[str, Any]:
    rm = call.registry.get_registered_model(call.args.req_str("name"))
    return {"registered_model": registered_model_to_json(rm)}


def rename_registered_model(call: Call) -> dict[str, Any]:
    a = call.args
    rm = call.registry.rename_registered_model(a.req_str("name"), a.req_str("new_name"))
    return {"registered_model": registered_model_to_json(rm)}


def update_registered_model(call: Call) -> dict[str, Any]:
    a = call.args
    rm = call.registry.update_registered_model(a.req_str("name"), a.str("description"))
    return {"registered_model": registered_model_to_json(rm)}


def delete_registered_model(call: Call) -> dict[str, Any]:
    call.registry.delete_registered_model(call.args.req_str("name"))
    return {}


def search_registered_models(call: Call) -> dict[str, Any]:
    a = call.args
    page = call.registry.search_registered_models(
        filter_string=a.str("filter") or None,
        max_results=a.int("max_results", default=REGISTERED_MODELS_MAX_RESULTS_DEFAULT),
        order_by=a.str_list("order_by") or None,
        page_token=a.str("page_token") or None,
    )
    out: dict[str, Any] = {}
    if page:
        out["registered_models"] = [registered_model_to_json(rm) for rm in page]
    if page.token:
        out["next_page_token"] = page.token
    return out


def get_latest_versions(call: Call) -> dict[str, Any]:
    a = call.args
    versions = call.registry.get_latest_versions(a.req_str("name"), a.str_list("stages") or None)
    return {"model_versions": [model_version_to_json(mv) for mv in versions]} if versions else {}


def set_registered_model_tag(call: Call) -> dict[str, Any]:
    a = call.args
    call.registry.set_registered_model_tag(
        a.req_str("name"), a.req_str("key"), a.str("value", default="")
    )
    return {}


def delete_registered_model_tag(call: Call) -> dict[str, Any]:
    a = call.args
    call.registry.delete_registered_model_tag(a.req_str("name"), a.req_str("key"))
    return {}


# ---------------------------------------------------------------- aliases
def set_registered_model_alias(call: Call) -> dict[str, Any]:
    a = call.args
    name = a.req_str("name")
    force = _check_force(call, name)
    user, _ = caller(call)
    call.registry.set_registered_model_alias(
        name, a.req_str("alias"), _version(a), force, user=user
    )
    return {}


def delete_registered_model_alias(call: Call) -> dict[str, Any]:
    a = call.args
    call.registry.delete_registered_model_alias(a.req_str("name"), a.req_str("alias"))
    return {}


def get_model_version_by_alias(call: Call) -> dict[str, Any]:
    a = call.args
    mv = call.registry.get_model_version_by_alias(a.req_str("name"), a.req_str("alias"))
    return {"model_version": model_version_to_json(mv)}


# ---------------------------------------------------------------- model versions
def create_model_version(call: Call) -> dict[str, Any]:
    a = call.args
    mv = _lineage_service(call).create_model_version(
        a.req_str("name"),
        a.req_str("source"),
        run_id=a.str("run_id") or None,
        tags=a.key_values("tags"),
        run_link=a.str("run_link") or None,
        description=a.str("description") or None,
        model_id=a.str("model_id") or None,
    )
    return {"model_version": model_version_to_json(mv)}


def get_model_version(call: Call) -> dict[str, Any]:
    a = call.args
    mv = call.registry.get_model_version(a.req_str("name"), _version(a))
    return {"model_version": model_version_to_json(mv)}


def update_model_version(call: Call) -> dict[str, Any]:
    a = call.args
    mv = call.registry.update_model_version(a.req_str("name"), _version(a), a.str("description"))
    return {"model_version": model_version_to_json(mv)}


def delete_model_version(call: Call) -> dict[str, Any]:
    a = call.args
    call.registry.delete_model_version(a.req_str("name"), _version(a))
    return {}


def _check_force(call: Call, name: str) -> bool:
    """``force`` (a modelyard field) goes past failed promotion gates: MANAGE only."""
    force = call.args.bool("force", default=False)
    if force and not can_manage_model(call, name):
        raise PermissionDenied(
            f"Permission denied: forcing a transition past the promotion gates of model "
            f"'{name}' needs MANAGE."
        )
    return force


def transition_model_version_stage(call: Call) -> dict[str, Any]:
    a = call.args
    name = a.req_str("name")
    force = _check_force(call, name)
    user, _ = caller(call)
    mv = call.registry.transition_model_version_stage(
        name,
        _version(a),
        a.req_str("stage"),
        a.bool("archive_existing_versions", default=False),
        force,
        a.str("comment"),
        user=user,
    )
    return {"model_version": model_version_to_json(mv)}


def get_model_version_download_uri(call: Call) -> dict[str, Any]:
    a = call.args
    uri = call.registry.get_model_version_download_uri(a.req_str("name"), _version(a))
    return {"artifact_uri": uri} if uri else {}


def search_model_versions(call: Call) -> dict[str, Any]:
    a = call.args
    page = call.registry.search_model_versions(
        filter_string=a.str("filter") or None,
        max_results=a.int("max_results", default=MODEL_VERSIONS_MAX_RESULTS_DEFAULT),
        order_by=a.str_list("order_by") or None,
        page_token=a.str("page_token") or None,
    )
    out: dict[str, Any] = {}
    if page:
        out["model_versions"] = [model_version_to_json(mv) for mv in page]
    if page.token:
        out["next_page_token"] = page.token
    return out


def set_model_version_tag(call: Call) -> dict[str, Any]:
    a = call.args
    call.registry.set_model_version_tag(
        a.req_str("name"), _version(a), a.req_str("key"), a.str("value", default="")
    )
    return {}


def delete_model_version_tag(call: Call) -> dict[str, Any]:
    a = call.args
    call.registry.delete_model_version_tag(a.req_str("name"), _version(a), a.req_str("key"))
    return {}


def get_model_history(call: Call) -> dict[str, Any]:
    a = call.args
    entries = call.registry.get_model_history(a.req_str("name"), _version(a, required=False))
    return {"transitions": [stage_transition_to_json(t) for t in entries]} if entries else {}


# ---------------------------------------------------------------- UI file download
def _chunks(stream: BinaryIO) -> Iterator[bytes]:
    try:
        while chunk := stream.read(1024 * 1024):
            yield chunk
    finally:
        stream.close()


def get_model_version_artifact(call: Call) -> StreamingResponse:
    a = call.args
    name = a.req_str("name")
    version = _version(a)
    rel = safe_relative_path(a.req_str("path"))
    uri = call.registry.files_uri(call.registry.get_model_version_download_uri(name, version))
    try:
        stream = call.ctx.repository_for(uri).open_artifact(rel)
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        raise ResourceDoesNotExist(
            f"Artifact '{rel}' of model {name} version {version} does not exist."
        ) from None
    media_type = mimetypes.guess_type(rel.rsplit("/", 1)[-1])[0] or "application/octet-stream"
    return StreamingResponse(
        _chunks(stream), media_type=media_type, headers={"X-Content-Type-Options": "nosniff"}
    )


_RM = "/mlflow/registered-models"
_MV = "/mlflow/model-versions"
ENDPOINTS: list[Endpoint] = [
    Endpoint("POST", f"{_RM}/create", create_registered_model),
    Endpoint("GET", f"{_RM}/get", get_registered_model),
    Endpoint("POST", f"{_RM}/rename", rename_registered_model),
    Endpoint("PATCH", f"{_RM}/update", update_registered_model),
    Endpoint("DELETE", f"{_RM}/delete", delete_registered_model),
    Endpoint("GET", f"{_RM}/search", search_registered_models),
    Endpoint("POST", f"{_RM}/get-latest-versions", get_latest_versions),
    Endpoint("GET", f"{_RM}/get-latest-versions", get_latest_versions),
    Endpoint("POST", f"{_RM}/set-tag", set_registered_model_tag),
    Endpoint("DELETE", f"{_RM}/delete-tag", delete_registered_model_tag),
    Endpoint("POST", f"{_RM}/alias", set_registered_model_alias),
    Endpoint("DELETE", f"{_RM}/alias", delete_registered_model_alias),
    Endpoint("GET", f"{_RM}/alias", get_model_version_by_alias),
    Endpoint("POST", f"{_MV}/create", create_model_version),
    Endpoint("GET", f"{_MV}/get", get_model_version),
    Endpoint("PATCH", f"{_MV}/update", update_model_version),
    Endpoint("DELETE", f"{_MV}/delete", delete_model_version),
    Endpoint("POST", f"{_MV}/transition-stage", transition_model_version_stage),
    Endpoint("GET", f"{_MV}/get-download-uri", get_model_version_download_uri),
    Endpoint("GET", f"{_MV}/search", search_model_versions),
    Endpoint("POST", f"{_MV}/set-tag", set_model_version_tag),
    Endpoint("DELETE", f"{_MV}/delete-tag", delete_model_version_tag),
    Endpoint("GET", f"{_MV}/history", get_model_history),
    Endpoint("GET", "/model-versions/get-artifact", get_model_version_artifact, absolute=True),
]
