"""Endpoint configuration: validation of served models and traffic splits, and the resolution
of a served model (fixed version, stage or alias) to a concrete registry version."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from modelyard.errors import InvalidParameterValue

__all__ = [
    "EndpointConfig",
    "ServedModel",
    "resolve_version",
    "validate_endpoint_name",
]

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$")
_WORKLOADS = ("small", "medium", "large")


def validate_endpoint_name(name: str) -> str:
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise InvalidParameterValue(
            f"Invalid endpoint name {name!r}: use 1-63 letters, digits, '-' or '_', "
            "starting with a letter or digit."
        )
    return name


@dataclass(slots=True)
class ServedModel:
    """One registered model behind an endpoint: a fixed ``model_version``, or the latest version
    in ``stage``, or the version an ``alias`` points to (stage and alias are followed live)."""

    model_name: str
    model_version: str | None = None
    stage: str | None = None
    alias: str | None = None
    traffic_percentage: int = 100
    name: str = ""
    #: a shadow model gets a copy of every request (off the request path); its answers go to
    #: the inference table flagged ``shadow`` and are never returned. Its traffic share is 0.
    shadow: bool = False

    @classmethod
    def parse(cls, raw: dict[str, Any] | ServedModel) -> ServedModel:
        if isinstance(raw, ServedModel):
            raw = asdict(raw)
        if not isinstance(raw, dict):
            raise InvalidParameterValue("Each served model must be an object (a dict)")
        known = {
            "model_name",
            "model_version",
            "stage",
            "alias",
            "traffic_percentage",
            "name",
            "shadow",
        }
        unknown = set(raw) - known
        if unknown:
            raise InvalidParameterValue(
                f"Unknown served model fields {sorted(unknown)}; allowed: {sorted(known)}"
            )
        model_name = raw.get("model_name")
        if not model_name or not isinstance(model_name, str):
            raise InvalidParameterValue("Served model field 'model_name' is required")
        picks = [k for k in ("model_version", "stage", "alias") if raw.get(k) not in (None, "")]
        if len(picks) != 1:
            raise InvalidParameterValue(
                f"Served model {model_name!r} needs exactly one of 'model_version', 'stage' or "
                f"'alias' (got {picks or 'none'})"
            )
        stage = raw.get("stage")
        if stage is not None:
            from modelyard.entities import Stage

            stage = Stage.canonical(stage)
        shadow = raw.get("shadow", False)
        if not isinstance(shadow, bool):
            raise InvalidParameterValue(
                f"Field 'shadow' of {model_name!r} must be true or false, got {shadow!r}"
            )
        pct = raw.get("traffic_percentage", 0 if shadow else 100)
        if isinstance(pct, bool) or not isinstance(pct, int | float) or not 0 <= pct <= 100:
            raise InvalidParameterValue(
                f"Field 'traffic_percentage' of {model_name!r} must be a number from 0 to 100"
            )
        if shadow and pct != 0:
            raise InvalidParameterValue(
                f"Field 'traffic_percentage' of shadow served model {model_name!r} must be 0 "
                f"(got {pct}): a shadow model gets a copy of every request, not a share"
            )
        version = raw.get("model_version")
        served = cls(
            model_name=model_name,
            model_version=str(version) if version is not None else None,
            stage=stage,
            alias=raw.get("alias"),
            traffic_percentage=int(pct),
            shadow=shadow,
        )
        served.name = raw.get("name") or f"{model_name}-{served.target}"
        return served

    @property
    def target(self) -> str:
        if self.model_version is not None:
            return self.model_version
        if self.stage is not None:
            return self.stage
        return f"@{self.alias}"


@dataclass(slots=True)
class EndpointConfig:
    served_models: list[ServedModel]
    workload_size: str = "small"
    batching: dict[str, Any] = field(default_factory=dict)
    inference_logging: bool = True

    @classmethod
    def parse(
        cls,
        served_models: list[Any],
        workload_size: str = "small",
        batching: dict[str, Any] | None = None,
        inference_logging: bool = True,
    ) -> EndpointConfig:
        if not isinstance(served_models, list) or not served_models:
            raise InvalidParameterValue("'served_models' must be a non-empty list")
        models = [ServedModel.parse(s) for s in served_models]
        names = [m.name for m in models]
        if len(set(names)) != len(names):
            raise InvalidParameterValue(f"Served model names must be unique, got {names}")
        if all(m.shadow for m in models):
            raise InvalidParameterValue(
                "'served_models' needs at least one model that is not 'shadow' (the one that "
                "answers)"
            )
        total = sum(m.traffic_percentage for m in models)
        if total != 100:
            raise InvalidParameterValue(
                f"The traffic percentages of the served models must add up to 100 (got {total})"
            )
        if str(workload_size).lower() not in _WORKLOADS:
            raise InvalidParameterValue(
                f"Invalid workload_size {workload_size!r}: one of {list(_WORKLOADS)}"
            )
        batching = dict(batching or {})
        unknown = set(batching) - {"enabled", "max_batch_rows", "max_wait_ms", "inline"}
        if unknown:
            raise InvalidParameterValue(f"Unknown batching options {sorted(unknown)}")
        return cls(models, str(workload_size).lower(), batching, bool(inference_logging))

    def to_dict(self) -> dict[str, Any]:
        return {
            "served_models": [asdict(m) for m in self.served_models],
            "workload_size": self.workload_size,
            "batching": self.batching,
            "inference_logging": self.inference_logging,
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> EndpointConfig:
        return cls(
            [ServedModel.parse(s) for s in raw["served_models"]],
            raw.get("workload_size", "small"),
            dict(raw.get("batching") or {}),
            bool(raw.get("inference_logging", True)),
        )


def resolve_version(client: Any, served: ServedModel) -> str:
    """The registry version ``served`` points to right now (raises if there is none)."""
    from modelyard.errors import ResourceDoesNotExist

    if served.model_version is not None:
        return str(client.get_model_version(served.model_name, served.model_version).version)
    if served.alias is not None:
        return str(client.get_model_version_by_alias(served.model_name, served.alias).version)
    versions = client.get_latest_versions(served.model_name, stages=[served.stage])
    if not versions:
        raise ResourceDoesNotExist(
            f"Registered model {served.model_name!r} has no version in stage {served.stage!r}"
        )
    return str(max(versions, key=lambda v: int(v.version)).version)
