"""MLflow 3 traces: the trace record (``TraceInfo``) the tracking store keeps.

The spans themselves are not part of the record: the client uploads them as ``traces.json`` under
the trace's artifact location (tag ``mlflow.artifactLocation``), which the store assigns.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["TRACE_ARTIFACT_LOCATION_TAG", "TRACE_NAME_TAG", "TraceInfo", "TraceState"]

#: the tag naming where the trace's artifacts (``traces.json``) live; assigned by the store
TRACE_ARTIFACT_LOCATION_TAG = "mlflow.artifactLocation"
TRACE_NAME_TAG = "mlflow.traceName"


class TraceState:
    """MLflow's ``TraceInfoV3.State`` names."""

    UNSPECIFIED = "STATE_UNSPECIFIED"
    OK = "OK"
    ERROR = "ERROR"
    IN_PROGRESS = "IN_PROGRESS"
    ALL = (UNSPECIFIED, OK, ERROR, IN_PROGRESS)


@dataclass
class TraceInfo:
    trace_id: str
    experiment_id: str
    request_time: int  #: epoch milliseconds
    state: str = TraceState.OK
    execution_duration: int | None = None  #: milliseconds
    client_request_id: str | None = None
    request_preview: str | None = None
    response_preview: str | None = None
    trace_metadata: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def artifact_location(self) -> str | None:
        return self.tags.get(TRACE_ARTIFACT_LOCATION_TAG)
