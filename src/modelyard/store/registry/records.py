"""Records of the promotion machinery kept by a registry store: policy versions, gate results and
transition requests (modelyard extensions; transition requests use Databricks' shapes)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "GATE_FAILED",
    "GATE_FORCED",
    "GATE_PASSED",
    "REQUEST_STATES",
    "GateRecord",
    "GateResultEntry",
    "PolicyVersion",
    "TransitionRequest",
    "gate_entry_from_json",
    "gate_entry_to_json",
    "gate_from_json",
    "gate_to_json",
    "policy_from_json",
    "policy_to_json",
    "request_from_json",
    "request_to_json",
]

GATE_PASSED = "PASSED"
GATE_FAILED = "FAILED"
GATE_FORCED = "FORCED"  # failed, and the transition was forced past it
#: PENDING -> APPROVED -> APPLIED (the transition happened); PENDING -> REJECTED | CANCELLED
REQUEST_STATES = ("PENDING", "APPROVED", "APPLIED", "REJECTED", "CANCELLED")


@dataclass(frozen=True)
class PolicyVersion:
    """One stored version of a registered model's promotion policy (``document`` is the parsed
    policy as a JSON-able dict; every ``set_policy`` stores a new version)."""

    name: str
    version: int
    document: dict[str, Any]
    user_id: str | None
    creation_timestamp: int


@dataclass(frozen=True)
class GateRecord:
    """The outcome of one gate for one transition attempt, as written to the audit trail."""

    gate: str  # the gate's name in the policy
    gate_type: str
    outcome: str  # PASSED | FAILED | FORCED
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class GateResultEntry:
    """A stored gate result: which transition attempt it belonged to, and who asked."""

    name: str
    version: str
    target: str
    record: GateRecord
    user_id: str | None
    timestamp: int
    audit_id: int


@dataclass(frozen=True)
class TransitionRequest:
    id: str
    name: str
    version: str
    to_stage: str
    state: str
    creator: str | None
    comment: str | None
    creation_timestamp: int
    last_updated_timestamp: int
    archive_existing_versions: bool = False
    resolver: str | None = None
    resolver_comment: str | None = None
    system_comment: str | None = None


# ---------------------------------------------------------------- JSON (REST server and store)
def _clean(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}


def policy_to_json(p: PolicyVersion) -> dict[str, Any]:
    return _clean(
        {
            "name": p.name,
            "version": str(p.version),
            "policy": p.document,
            "user_id": p.user_id,
            "creation_timestamp": p.creation_timestamp,
        }
    )


def policy_from_json(d: dict[str, Any]) -> PolicyVersion:
    return PolicyVersion(
        name=d["name"],
        version=int(d["version"]),
        document=dict(d.get("policy") or {}),
        user_id=d.get("user_id"),
        creation_timestamp=int(d.get("creation_timestamp", 0)),
    )


def gate_to_json(g: GateRecord) -> dict[str, Any]:
    return {
        "gate": g.gate,
        "type": g.gate_type,
        "outcome": g.outcome,
        "message": g.message,
        "evidence": g.evidence,
    }


def gate_from_json(d: dict[str, Any]) -> GateRecord:
    return GateRecord(
        gate=d["gate"],
        gate_type=d.get("type", ""),
        outcome=d["outcome"],
        message=d.get("message", ""),
        evidence=dict(d.get("evidence") or {}),
    )


def gate_entry_to_json(e: GateResultEntry) -> dict[str, Any]:
    return _clean(
        {
            "name": e.name,
            "version": e.version,
            "target": e.target,
            **gate_to_json(e.record),
            "user_id": e.user_id,
            "timestamp": e.timestamp,
            "audit_id": e.audit_id,
        }
    )


def gate_entry_from_json(d: dict[str, Any]) -> GateResultEntry:
    return GateResultEntry(
        name=d["name"],
        version=str(d["version"]),
        target=d["target"],
        record=gate_from_json(d),
        user_id=d.get("user_id"),
        timestamp=int(d.get("timestamp", 0)),
        audit_id=int(d.get("audit_id", 0)),
    )


def request_to_json(r: TransitionRequest) -> dict[str, Any]:
    """Databricks' TransitionRequest/Activity fields (``user_id`` is the requester) plus
    modelyard's ``name``, ``version``, ``state`` and resolution fields."""
    return _clean(
        {
            "id": r.id,
            "activity_type": "REQUESTED_TRANSITION",
            "name": r.name,
            "version": r.version,
            "to_stage": r.to_stage,
            "state": r.state,
            "user_id": r.creator,
            "comment": r.comment,
            "creation_timestamp": r.creation_timestamp,
            "last_updated_timestamp": r.last_updated_timestamp,
            "archive_existing_versions": r.archive_existing_versions,
            "resolver": r.resolver,
            "resolver_comment": r.resolver_comment,
            "system_comment": r.system_comment,
            "available_actions": (
                ["APPROVE_TRANSITION_REQUEST", "REJECT_TRANSITION_REQUEST"]
                + ["CANCEL_TRANSITION_REQUEST"]
                if r.state == "PENDING"
                else None
            ),
        }
    )


def request_from_json(d: dict[str, Any]) -> TransitionRequest:
    return TransitionRequest(
        id=d["id"],
        name=d.get("name", ""),
        version=str(d.get("version", "")),
        to_stage=d["to_stage"],
        state=d.get("state", "PENDING"),
        creator=d.get("user_id"),
        comment=d.get("comment"),
        creation_timestamp=int(d.get("creation_timestamp", 0)),
        last_updated_timestamp=int(d.get("last_updated_timestamp", 0)),
        archive_existing_versions=bool(d.get("archive_existing_versions", False)),
        resolver=d.get("resolver"),
        resolver_comment=d.get("resolver_comment"),
        system_comment=d.get("system_comment"),
    )
