"""The registry audit trail (``registry_audit``): who moved which version where, and when.

Entries are written by the store inside the transaction that makes the change, so the trail and
the registry can never disagree. Kinds:

* ``stage``: ``from_value`` -> ``to_value`` are stage names (archives caused by
  ``archive_existing_versions`` are entries of their own).
* ``alias_set``: the version gained alias ``to_value``.
* ``gate``: a promotion gate ran for a transition attempt: ``from_value`` is the gate's name,
  ``to_value`` its outcome (``PASSED``, ``FAILED``, ``FORCED``); the evidence is in
  ``registry_gate_results`` under this entry's id (see ``_sql_promotion``).
* ``forced``: the next ``stage`` entry was forced past failed gates (``to_value`` the stage).
* ``alias_deleted``: the version lost alias ``from_value`` (moving an alias writes an
  ``alias_deleted`` entry for the old version and an ``alias_set`` entry for the new one;
  deleting a version writes ``alias_deleted`` for each of its aliases).

Entries keep the model name of the moment they were written (a renamed model's older entries
show its old name); the trail itself follows the model through renames (it is keyed by the
model's surrogate key).

The user is ``MODELYARD_USER``, else ``LOGNAME``, else the login name of the process.
"""

from __future__ import annotations

import getpass
import os

from sqlalchemy import Connection, insert, select

from modelyard.entities import StageTransition
from modelyard.store.sql import schema

__all__ = [
    "KIND_ALIAS_DELETED",
    "KIND_ALIAS_SET",
    "KIND_FORCED",
    "KIND_GATE",
    "KIND_STAGE",
    "current_user",
    "history",
    "record",
]

KIND_STAGE = "stage"
KIND_ALIAS_SET = "alias_set"
KIND_ALIAS_DELETED = "alias_deleted"
KIND_GATE = "gate"
KIND_FORCED = "forced"

_audit = schema.registry_audit


def current_user() -> str | None:
    user = os.environ.get("MODELYARD_USER") or os.environ.get("LOGNAME")
    if user:
        return user
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry (containers)
        return None


def record(
    conn: Connection,
    *,
    model_pk: int,
    name: str,
    version: int,
    kind: str,
    from_value: str | None,
    to_value: str | None,
    timestamp: int,
    user_id: str | None = None,
) -> int:
    """Write one entry (``user_id`` defaults to :func:`current_user`); returns its id."""
    result = conn.execute(
        insert(_audit).values(
            model_pk=model_pk,
            name=name,
            version=version,
            kind=kind,
            from_value=from_value,
            to_value=to_value,
            user_id=user_id or current_user(),
            timestamp=timestamp,
        )
    )
    key = result.inserted_primary_key
    return int(key[0]) if key else 0


def history(conn: Connection, model_pk: int, version: int | None) -> list[StageTransition]:
    stmt = select(_audit).where(_audit.c.model_pk == model_pk)
    if version is not None:
        stmt = stmt.where(_audit.c.version == version)
    stmt = stmt.order_by(_audit.c.timestamp, _audit.c.id)
    return [
        StageTransition(
            name=r["name"],
            version=str(r["version"]),
            kind=r["kind"],
            from_value=r["from_value"],
            to_value=r["to_value"],
            user_id=r["user_id"],
            timestamp=r["timestamp"],
        )
        for r in conn.execute(stmt).mappings()
    ]
