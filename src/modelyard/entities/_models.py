"""Entities of the MLflow 3 logged models and of the model registry. Pure data, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field

from modelyard.entities._tracking import Metric
from modelyard.errors import InvalidParameterValue

__all__ = [
    "LoggedModel",
    "LoggedModelStatus",
    "ModelVersion",
    "ModelVersionStatus",
    "RegisteredModel",
    "RegisteredModelAlias",
    "Stage",
    "StageTransition",
]


class LoggedModelStatus:
    UNSPECIFIED = "LOGGED_MODEL_STATUS_UNSPECIFIED"
    PENDING = "LOGGED_MODEL_PENDING"
    READY = "LOGGED_MODEL_READY"
    UPLOAD_FAILED = "LOGGED_MODEL_UPLOAD_FAILED"

    _NUMBERS = {UNSPECIFIED: 0, PENDING: 1, READY: 2, UPLOAD_FAILED: 3}

    @classmethod
    def coerce(cls, value: int | str) -> str:
        if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
            for name, number in cls._NUMBERS.items():
                if number == int(value):
                    return name
        elif str(value).upper() in cls._NUMBERS:
            return str(value).upper()
        raise InvalidParameterValue(f"Invalid logged model status {value!r} for field 'status'")


@dataclass
class LoggedModel:
    model_id: str
    experiment_id: str
    name: str
    artifact_location: str
    creation_timestamp: int
    last_updated_timestamp: int
    status: str = LoggedModelStatus.PENDING
    status_message: str | None = None
    model_type: str | None = None
    source_run_id: str | None = None
    creator_id: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    metrics: list[Metric] = field(default_factory=list)

    @property
    def artifact_uri(self) -> str:
        return self.artifact_location


class Stage:
    """Model version stages. Input is case-insensitive; output is canonical."""

    NONE = "None"
    STAGING = "Staging"
    PRODUCTION = "Production"
    ARCHIVED = "Archived"
    ALL = (NONE, STAGING, PRODUCTION, ARCHIVED)

    @classmethod
    def canonical(cls, stage: str) -> str:
        for s in cls.ALL:
            if isinstance(stage, str) and stage.strip().lower() == s.lower():
                return s
        raise InvalidParameterValue(
            f"Invalid Model Version stage: {stage!r}. Value must be one of {', '.join(cls.ALL)}."
        )


class ModelVersionStatus:
    PENDING_REGISTRATION = "PENDING_REGISTRATION"
    FAILED_REGISTRATION = "FAILED_REGISTRATION"
    READY = "READY"


@dataclass(frozen=True)
class RegisteredModelAlias:
    alias: str
    version: str


@dataclass
class ModelVersion:
    name: str
    version: str
    creation_timestamp: int
    last_updated_timestamp: int
    current_stage: str = Stage.NONE
    description: str | None = None
    user_id: str | None = None
    source: str | None = None
    run_id: str | None = None
    status: str = ModelVersionStatus.READY
    status_message: str | None = None
    run_link: str | None = None
    model_id: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    aliases: list[str] = field(default_factory=list)


@dataclass
class RegisteredModel:
    name: str
    creation_timestamp: int
    last_updated_timestamp: int
    description: str | None = None
    user_id: str | None = None
    latest_versions: list[ModelVersion] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)
    #: alias name -> version string
    aliases: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class StageTransition:
    """One entry of the registry audit trail: a stage move or an alias change."""

    name: str
    version: str
    kind: str  # "stage" | "alias_set" | "alias_deleted"
    from_value: str | None
    to_value: str | None
    user_id: str | None
    timestamp: int
