"""Tracking entities: experiments, runs and what is logged to them. Pure data, no I/O."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

from modelyard.errors import InvalidParameterValue

__all__ = [
    "Dataset",
    "DatasetInput",
    "DatasetSummary",
    "Experiment",
    "ExperimentTag",
    "InputTag",
    "LifecycleStage",
    "Metric",
    "Param",
    "Run",
    "RunData",
    "RunInfo",
    "RunInputs",
    "RunOutputs",
    "RunStatus",
    "RunTag",
    "ViewType",
    "LoggedModelInput",
    "LoggedModelOutput",
]


class LifecycleStage:
    ACTIVE = "active"
    DELETED = "deleted"

    @classmethod
    def view_type_to_stages(cls, view_type: int | None) -> list[str]:
        if view_type in (None, ViewType.ACTIVE_ONLY):
            return [cls.ACTIVE]
        if view_type == ViewType.DELETED_ONLY:
            return [cls.DELETED]
        return [cls.ACTIVE, cls.DELETED]


class ViewType(IntEnum):
    ACTIVE_ONLY = 1
    DELETED_ONLY = 2
    ALL = 3

    @classmethod
    def from_string(cls, name: str) -> ViewType:
        key = name.strip().upper()
        aliases = {"ACTIVE": "ACTIVE_ONLY", "DELETED": "DELETED_ONLY"}
        key = aliases.get(key, key)
        return cls[key]

    @classmethod
    def to_string(cls, value: int) -> str:
        return cls(value).name

    @classmethod
    def coerce(cls, value: Any) -> ViewType:
        """Accept an enum, a number or a name ("ACTIVE_ONLY", "all", ...)."""
        if value is None:
            return cls.ACTIVE_ONLY
        try:
            if isinstance(value, str):
                return cls(int(value)) if value.isdigit() else cls.from_string(value)
            return cls(int(value))
        except (KeyError, ValueError):
            raise InvalidParameterValue(
                f"Invalid value {value!r} for parameter 'view_type'"
            ) from None


class RunStatus:
    RUNNING = "RUNNING"
    SCHEDULED = "SCHEDULED"
    FINISHED = "FINISHED"
    FAILED = "FAILED"
    KILLED = "KILLED"

    _NUMBERS = {"RUNNING": 1, "SCHEDULED": 2, "FINISHED": 3, "FAILED": 4, "KILLED": 5}
    _NAMES = {v: k for k, v in _NUMBERS.items()}

    @classmethod
    def all_status(cls) -> list[str]:
        return list(cls._NUMBERS)

    @classmethod
    def is_terminated(cls, status: str) -> bool:
        return status in (cls.FINISHED, cls.FAILED, cls.KILLED)

    @classmethod
    def to_string(cls, value: int | str) -> str:
        return cls.coerce(value)

    @classmethod
    def from_string(cls, name: str) -> int:
        return cls._NUMBERS[cls.coerce(name)]

    @classmethod
    def coerce(cls, value: int | str) -> str:
        """Canonical status name from a name (any case) or an enum number."""
        if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
            name = cls._NAMES.get(int(value))
        else:
            name = str(value).upper() if str(value).upper() in cls._NUMBERS else None
        if name is None:
            raise InvalidParameterValue(
                f"Invalid run status {value!r}: expected one of {', '.join(cls._NUMBERS)}"
            )
        return name


@dataclass(slots=True, eq=False)
class Metric:
    key: str
    value: float
    timestamp: int
    step: int = 0
    run_id: str | None = None
    model_id: str | None = None
    dataset_name: str | None = None
    dataset_digest: str | None = None

    def __eq__(self, other: object) -> bool:  # NaN == NaN for metric points
        if not isinstance(other, Metric):
            return NotImplemented
        same_value = self.value == other.value or (
            math.isnan(self.value) and math.isnan(other.value)
        )
        return (self.key, self.timestamp, self.step) == (
            other.key,
            other.timestamp,
            other.step,
        ) and same_value

    def __hash__(self) -> int:
        return hash((self.key, self.timestamp, self.step))


@dataclass(frozen=True)
class Param:
    key: str
    value: str


@dataclass(frozen=True)
class RunTag:
    key: str
    value: str


@dataclass(frozen=True)
class ExperimentTag:
    key: str
    value: str


@dataclass(frozen=True)
class InputTag:
    key: str
    value: str


@dataclass
class Experiment:
    experiment_id: str
    name: str
    artifact_location: str
    lifecycle_stage: str = LifecycleStage.ACTIVE
    tags: dict[str, str] = field(default_factory=dict)
    creation_time: int | None = None
    last_update_time: int | None = None


@dataclass
class RunInfo:
    run_id: str
    experiment_id: str
    run_name: str
    user_id: str
    status: str
    start_time: int | None
    end_time: int | None
    artifact_uri: str
    lifecycle_stage: str = LifecycleStage.ACTIVE

    @property
    def run_uuid(self) -> str:
        return self.run_id


@dataclass
class RunData:
    metrics: dict[str, float] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    #: the latest point of each metric, with its step and timestamp
    metric_objs: list[Metric] = field(default_factory=list)


@dataclass(frozen=True)
class Dataset:
    name: str
    digest: str
    source_type: str
    source: str
    schema: str | None = None
    profile: str | None = None


@dataclass(frozen=True)
class DatasetInput:
    dataset: Dataset
    tags: tuple[InputTag, ...] = ()


@dataclass(frozen=True)
class DatasetSummary:
    """A dataset used by the runs of an experiment (MLflow's ``SearchDatasets`` answer)."""

    experiment_id: str
    name: str
    digest: str
    context: str | None = None


@dataclass(frozen=True)
class LoggedModelInput:
    model_id: str


@dataclass(frozen=True)
class LoggedModelOutput:
    model_id: str
    step: int = 0


@dataclass
class RunInputs:
    dataset_inputs: list[DatasetInput] = field(default_factory=list)
    model_inputs: list[LoggedModelInput] = field(default_factory=list)


@dataclass
class RunOutputs:
    model_outputs: list[LoggedModelOutput] = field(default_factory=list)


@dataclass
class Run:
    info: RunInfo
    data: RunData = field(default_factory=RunData)
    inputs: RunInputs = field(default_factory=RunInputs)
    outputs: RunOutputs = field(default_factory=RunOutputs)
