"""Model registry entities <-> MLflow JSON.

The two alias shapes differ on purpose (compat spec §4.5): a registered model carries
``aliases: [{"alias", "version"}]`` while a model version carries ``aliases: ["name", ...]``.
Versions are decimal strings on the wire.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from modelyard.entities import ModelVersion, RegisteredModel
from modelyard.wire.tracking import key_values_to_json

__all__ = [
    "model_version_from_json",
    "model_version_to_json",
    "registered_model_from_json",
    "registered_model_to_json",
]


def model_version_to_json(mv: ModelVersion) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": mv.name,
        "version": str(mv.version),
        "creation_timestamp": mv.creation_timestamp,
        "last_updated_timestamp": mv.last_updated_timestamp,
        "current_stage": mv.current_stage,
        "status": mv.status,
    }
    for field in (
        "user_id",
        "description",
        "source",
        "run_id",
        "status_message",
        "run_link",
        "model_id",
    ):
        value = getattr(mv, field)
        if value is not None:
            out[field] = value
    if mv.tags:
        out["tags"] = key_values_to_json(mv.tags)
    if mv.aliases:
        out["aliases"] = list(mv.aliases)
    return out


def registered_model_to_json(rm: RegisteredModel) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": rm.name,
        "creation_timestamp": rm.creation_timestamp,
        "last_updated_timestamp": rm.last_updated_timestamp,
    }
    if rm.user_id is not None:
        out["user_id"] = rm.user_id
    if rm.description is not None:
        out["description"] = rm.description
    if rm.latest_versions:
        out["latest_versions"] = [model_version_to_json(v) for v in rm.latest_versions]
    if rm.tags:
        out["tags"] = key_values_to_json(rm.tags)
    if rm.aliases:
        out["aliases"] = [{"alias": a, "version": str(v)} for a, v in rm.aliases.items()]
    return out


def _kv(entries: Any) -> dict[str, str]:
    return {e["key"]: e.get("value", "") for e in entries or ()}


def model_version_from_json(d: Mapping[str, Any]) -> ModelVersion:
    return ModelVersion(
        name=d["name"],
        version=str(d["version"]),
        creation_timestamp=int(d.get("creation_timestamp", 0)),
        last_updated_timestamp=int(d.get("last_updated_timestamp", 0)),
        current_stage=d.get("current_stage", "None"),
        description=d.get("description"),
        user_id=d.get("user_id"),
        source=d.get("source"),
        run_id=d.get("run_id"),
        status=d.get("status", "READY"),
        status_message=d.get("status_message"),
        run_link=d.get("run_link"),
        model_id=d.get("model_id"),
        tags=_kv(d.get("tags")),
        aliases=list(d.get("aliases", ())),
    )


def registered_model_from_json(d: Mapping[str, Any]) -> RegisteredModel:
    return RegisteredModel(
        name=d["name"],
        creation_timestamp=int(d.get("creation_timestamp", 0)),
        last_updated_timestamp=int(d.get("last_updated_timestamp", 0)),
        description=d.get("description"),
        user_id=d.get("user_id"),
        latest_versions=[model_version_from_json(v) for v in d.get("latest_versions", ())],
        tags=_kv(d.get("tags")),
        aliases={a["alias"]: str(a["version"]) for a in d.get("aliases", ())},
    )
