"""Promotion policies, gate evidence and transition requests in the SQL registry store.

Mixed into :class:`~modelyard.store.registry.sql.SqlRegistryStore`. What needs one transaction
lives here:

* a policy version number is the model's highest plus one, under the model's write lock;
* :meth:`apply_gated_transition` checks the model's *revision* (the newest stage/alias audit id
  and the newest policy version) under the write lock, so two transitions whose gates were
  evaluated against the same state cannot both apply: the second gets ``ResourceConflict`` and
  writes nothing;
* gate results are ``registry_audit`` rows of kind ``gate`` plus their evidence in
  ``registry_gate_results`` (same transaction as the stage move they allowed);
* a user has at most one PENDING request per version and stage.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Connection, and_, func, insert, select, update

from modelyard.entities import ModelVersion, Stage
from modelyard.errors import (
    InvalidState,
    ResourceAlreadyExists,
    ResourceConflict,
    ResourceDoesNotExist,
)
from modelyard.store.registry import _sql_audit as audit
from modelyard.store.registry._sql_read import model_pk, version_exists
from modelyard.store.registry.records import (
    GATE_FORCED,
    GateRecord,
    GateResultEntry,
    PolicyVersion,
    TransitionRequest,
)
from modelyard.store.sql import schema
from modelyard.store.sql.engine import read_conn, write_tx
from modelyard.utils.time import now_ms

__all__ = ["SqlPromotionMixin"]

_pol = schema.registry_policies
_gates = schema.registry_gate_results
_req = schema.registry_transition_requests
_audit = schema.registry_audit
_STATE_KINDS = (audit.KIND_STAGE, audit.KIND_ALIAS_SET, audit.KIND_ALIAS_DELETED)


def _policy(name: str, row: Any) -> PolicyVersion:
    return PolicyVersion(
        name=name,
        version=int(row.policy_version),
        document=json.loads(row.document),
        user_id=row.user_id,
        creation_timestamp=int(row.creation_timestamp),
    )


def _request(row: Any) -> TransitionRequest:
    return TransitionRequest(
        id=row.request_id,
        name=row.name,
        version=str(row.version),
        to_stage=row.to_stage,
        state=row.state,
        creator=row.creator,
        comment=row.comment,
        creation_timestamp=int(row.creation_timestamp),
        last_updated_timestamp=int(row.last_updated_timestamp),
        archive_existing_versions=bool(row.archive_existing_versions),
        resolver=row.resolver,
        resolver_comment=row.resolver_comment,
        system_comment=row.system_comment,
    )


def _revision(conn: Connection, pk: int) -> str:
    last = conn.execute(
        select(func.max(_audit.c.id)).where(
            _audit.c.model_pk == pk, _audit.c.kind.in_(_STATE_KINDS)
        )
    ).scalar()
    policy = conn.execute(
        select(func.max(_pol.c.policy_version)).where(_pol.c.model_pk == pk)
    ).scalar()
    return f"{int(last or 0)}:{int(policy or 0)}"


def _write_gates(
    conn: Connection,
    pk: int,
    name: str,
    version: int,
    target: str,
    gates: Sequence[GateRecord],
    user_id: str | None,
    now: int,
) -> None:
    for g in gates:
        audit_id = audit.record(
            conn,
            model_pk=pk,
            name=name,
            version=version,
            kind=audit.KIND_GATE,
            from_value=g.gate[:256],
            to_value=g.outcome,
            timestamp=now,
            user_id=user_id,
        )
        conn.execute(
            insert(_gates).values(
                audit_id=audit_id,
                model_pk=pk,
                version=version,
                target=target[:256],
                gate=g.gate[:256],
                gate_type=g.gate_type[:64],
                outcome=g.outcome,
                message=g.message,
                evidence=json.dumps(g.evidence, sort_keys=True, default=str),
            )
        )


class SqlPromotionMixin:
    """Needs ``self.engine`` and the store's ``_current_stage`` / ``_move_stage`` helpers."""

    engine: Any
    _current_stage: Callable[..., str]
    _move_stage: Callable[..., ModelVersion]

    # ------------------------------------------------------------ policies
    def set_registered_model_policy(
        self, name: str, document: dict[str, Any], user_id: str | None = None
    ) -> PolicyVersion:
        now = now_ms()
        text = json.dumps(document, sort_keys=True)
        with write_tx(self.engine) as conn:
            pk = model_pk(conn, name, for_update=True)
            last = conn.execute(
                select(func.max(_pol.c.policy_version)).where(_pol.c.model_pk == pk)
            ).scalar()
            version = int(last or 0) + 1
            conn.execute(
                insert(_pol).values(
                    model_pk=pk,
                    policy_version=version,
                    document=text,
                    user_id=user_id or audit.current_user(),
                    creation_timestamp=now,
                )
            )
            row = conn.execute(
                select(_pol).where(_pol.c.model_pk == pk, _pol.c.policy_version == version)
            ).one()
            return _policy(name, row)

    def get_registered_model_policy(
        self, name: str, version: int | None = None
    ) -> PolicyVersion | None:
        with read_conn(self.engine) as conn:
            pk = model_pk(conn, name)
            stmt = select(_pol).where(_pol.c.model_pk == pk)
            if version is not None:
                stmt = stmt.where(_pol.c.policy_version == version)
            row = conn.execute(stmt.order_by(_pol.c.policy_version.desc()).limit(1)).first()
            if row is None and version is not None:
                raise ResourceDoesNotExist(
                    f"Policy version {version} of registered model '{name}' not found."
                )
            return None if row is None else _policy(name, row)

    def list_registered_model_policies(self, name: str) -> list[PolicyVersion]:
        with read_conn(self.engine) as conn:
            pk = model_pk(conn, name)
            rows = conn.execute(
                select(_pol).where(_pol.c.model_pk == pk).order_by(_pol.c.policy_version)
            )
            return [_policy(name, r) for r in rows]

    # ------------------------------------------------------------ gated transitions
    def registry_revision(self, name: str) -> str:
        with read_conn(self.engine) as conn:
            return _revision(conn, model_pk(conn, name))

    def apply_gated_transition(
        self,
        name: str,
        version: int,
        stage: str,
        archive_existing_versions: bool,
        *,
        expected_revision: str,
        gates: Sequence[GateRecord],
        user_id: str | None,
        forced: bool = False,
        approved_request_id: str | None = None,
        approval_comment: str | None = None,
    ) -> ModelVersion:
        target = Stage.canonical(stage)
        now = now_ms()
        with write_tx(self.engine) as conn:
            pk = model_pk(conn, name, for_update=True)
            current = self._current_stage(conn, pk, name, version)
            seen = _revision(conn, pk)
            if seen != expected_revision:
                raise ResourceConflict(
                    f"Registered model '{name}' changed while the gates of the transition of "
                    f"version {version} to '{target}' were evaluated (another stage, alias or "
                    "policy change won the race); nothing was applied, retry the transition."
                )
            if approved_request_id is not None:
                self._resolve(
                    conn, approved_request_id, "APPROVED", user_id, approval_comment, None
                )
            _write_gates(conn, pk, name, version, target, gates, user_id, now)
            if forced and any(g.outcome == GATE_FORCED for g in gates):
                audit.record(
                    conn,
                    model_pk=pk,
                    name=name,
                    version=version,
                    kind=audit.KIND_FORCED,
                    from_value=current,
                    to_value=target,
                    timestamp=now,
                    user_id=user_id,
                )
            conn.execute(
                update(_req)
                .where(
                    _req.c.model_pk == pk,
                    _req.c.version == version,
                    _req.c.to_stage == target,
                    _req.c.state == "APPROVED",
                )
                .values(state="APPLIED", last_updated_timestamp=now)
            )
            return self._move_stage(
                conn, pk, name, version, current, target, archive_existing_versions, now, user_id
            )

    def record_gate_results(
        self,
        name: str,
        version: int,
        target: str,
        gates: Sequence[GateRecord],
        user_id: str | None,
    ) -> None:
        with write_tx(self.engine) as conn:
            pk = model_pk(conn, name, for_update=True)
            version_exists(conn, pk, version, name)
            _write_gates(conn, pk, name, version, target, gates, user_id, now_ms())

    def get_gate_results(self, name: str, version: int | None = None) -> list[GateResultEntry]:
        with read_conn(self.engine) as conn:
            pk = model_pk(conn, name)
            stmt = (
                select(_gates, _audit.c.name, _audit.c.user_id, _audit.c.timestamp)
                .join(_audit, _audit.c.id == _gates.c.audit_id)
                .where(_gates.c.model_pk == pk)
            )
            if version is not None:
                stmt = stmt.where(_gates.c.version == version)
            rows = conn.execute(stmt.order_by(_gates.c.audit_id))
            return [
                GateResultEntry(
                    name=r.name,
                    version=str(r.version),
                    target=r.target,
                    record=GateRecord(
                        gate=r.gate,
                        gate_type=r.gate_type,
                        outcome=r.outcome,
                        message=r.message,
                        evidence=json.loads(r.evidence),
                    ),
                    user_id=r.user_id,
                    timestamp=int(r.timestamp),
                    audit_id=int(r.audit_id),
                )
                for r in rows
            ]

    # ------------------------------------------------------------ transition requests
    def create_transition_request(
        self,
        name: str,
        version: int,
        stage: str,
        comment: str | None,
        creator: str | None,
        archive_existing_versions: bool = False,
    ) -> TransitionRequest:
        now = now_ms()
        target = Stage.canonical(stage)
        creator = creator or audit.current_user()
        with write_tx(self.engine) as conn:
            pk = model_pk(conn, name, for_update=True)
            version_exists(conn, pk, version, name)
            open_one = conn.execute(
                select(_req.c.request_id).where(
                    _req.c.model_pk == pk,
                    _req.c.version == version,
                    _req.c.to_stage == target,
                    _req.c.state == "PENDING",
                    _req.c.creator == creator,
                )
            ).first()
            if open_one is not None:
                raise ResourceAlreadyExists(
                    f"User '{creator}' already has a pending request to transition version "
                    f"{version} of '{name}' to '{target}'."
                )
            request_id = uuid.uuid4().hex
            conn.execute(
                insert(_req).values(
                    request_id=request_id,
                    model_pk=pk,
                    name=name,
                    version=version,
                    to_stage=target,
                    state="PENDING",
                    creator=creator,
                    comment=comment,
                    archive_existing_versions=1 if archive_existing_versions else 0,
                    creation_timestamp=now,
                    last_updated_timestamp=now,
                )
            )
            return _request(conn.execute(select(_req).where(_req.c.request_id == request_id)).one())

    def list_transition_requests(
        self, name: str, version: int, states: Sequence[str] | None = ("PENDING",)
    ) -> list[TransitionRequest]:
        with read_conn(self.engine) as conn:
            pk = model_pk(conn, name)
            stmt = select(_req).where(_req.c.model_pk == pk, _req.c.version == version)
            if states:
                stmt = stmt.where(_req.c.state.in_(list(states)))
            rows = conn.execute(stmt.order_by(_req.c.creation_timestamp, _req.c.request_id))
            return [_request(r) for r in rows]

    def resolve_transition_request(
        self,
        request_id: str,
        state: str,
        resolver: str | None,
        comment: str | None,
        system_comment: str | None = None,
    ) -> TransitionRequest:
        with write_tx(self.engine) as conn:
            row = conn.execute(
                select(_req.c.model_pk).where(_req.c.request_id == request_id)
            ).first()
            if row is None:
                raise ResourceDoesNotExist(f"Transition request '{request_id}' not found.")
            # the model's write lock orders this against gated transitions of the model
            conn.execute(
                select(schema.registered_models.c.id)
                .where(schema.registered_models.c.id == row.model_pk)
                .with_for_update()
            )
            return self._resolve(conn, request_id, state, resolver, comment, system_comment)

    @staticmethod
    def _resolve(
        conn: Connection,
        request_id: str,
        state: str,
        resolver: str | None,
        comment: str | None,
        system_comment: str | None,
    ) -> TransitionRequest:
        changed = conn.execute(
            update(_req)
            .where(and_(_req.c.request_id == request_id, _req.c.state == "PENDING"))
            .values(
                state=state,
                resolver=resolver,
                resolver_comment=comment,
                system_comment=system_comment,
                last_updated_timestamp=now_ms(),
            )
        ).rowcount
        row = conn.execute(select(_req).where(_req.c.request_id == request_id)).first()
        if row is None:
            raise ResourceDoesNotExist(f"Transition request '{request_id}' not found.")
        if not changed:
            raise InvalidState(
                f"Transition request '{request_id}' is {row.state}, not PENDING: it cannot be "
                f"{state.lower()}."
            )
        return _request(row)

    def delete_transition_request(
        self, name: str, version: str | int, stage: str, creator: str | None
    ) -> None:
        target = Stage.canonical(stage)
        creator = creator or audit.current_user()
        with write_tx(self.engine) as conn:
            pk = model_pk(conn, name, for_update=True)
            changed = conn.execute(
                update(_req)
                .where(
                    _req.c.model_pk == pk,
                    _req.c.version == int(version),
                    _req.c.to_stage == target,
                    _req.c.state == "PENDING",
                    _req.c.creator == creator,
                )
                .values(state="CANCELLED", last_updated_timestamp=now_ms())
            ).rowcount
            if not changed:
                raise ResourceDoesNotExist(
                    f"No pending request of user '{creator}' to transition version {version} "
                    f"of '{name}' to '{target}'."
                )
