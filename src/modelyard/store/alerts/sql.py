"""The alerts store on SQLite or PostgreSQL (SQLAlchemy Core, the tracking database).

An evaluation is one transaction: a conditional UPDATE of the rule on its ``version`` and the
inserts of its events and notifications, so a transition is recorded once with its
notifications or not at all. Claiming and finishing notifications is the outbox lease of
:mod:`modelyard.store.sql.outbox`, shared with the webhook deliveries.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from modelyard.errors import InvalidParameterValue, ResourceAlreadyExists, ResourceDoesNotExist
from modelyard.store.alerts.base import AlertEvent, AlertRule, AlertStore, Notification
from modelyard.store.sql import outbox, schema
from modelyard.store.sql.engine import make_engine, read_conn, write_tx
from modelyard.store.sql.migrate import ensure_schema

__all__ = ["SqlAlertStore"]

_rules = schema.alert_rules
_events = schema.alert_events
_notes = schema.alert_notifications
_DEFINITION = (
    "name",
    "description",
    "condition",
    "actions",
    "cooldown_seconds",
    "enabled",
    "notify_on_resolve",
)


def _rule(row: Any) -> AlertRule:
    return AlertRule(
        alert_id=row.alert_id,
        name=row.name,
        description=row.description,
        condition=json.loads(row.condition),
        actions=json.loads(row.actions),
        cooldown_seconds=int(row.cooldown_seconds),
        enabled=bool(row.enabled),
        notify_on_resolve=bool(row.notify_on_resolve),
        state=row.state,
        state_since=row.state_since,
        eval_state=json.loads(row.eval_state),
        version=int(row.version),
        creation_timestamp=row.creation_timestamp,
        last_updated_timestamp=row.last_updated_timestamp,
    )


def _event(row: Any) -> AlertEvent:
    return AlertEvent(
        event_id=int(row.event_id),
        alert_id=row.alert_id,
        timestamp=row.timestamp,
        from_state=row.from_state,
        to_state=row.to_state,
        window=row.window,
        evidence=json.loads(row.evidence),
    )


def _note(row: Any) -> Notification:
    return Notification(
        notification_id=row.notification_id,
        alert_id=row.alert_id,
        event_id=row.event_id,
        kind=row.kind,
        target=row.target,
        payload=json.loads(row.payload),
        status=row.status,
        attempts=int(row.attempts),
        created_time=row.created_time,
        next_attempt_time=row.next_attempt_time,
        last_attempt_time=row.last_attempt_time,
        finished_time=row.finished_time,
        result=row.result,
        error=row.error,
    )


def _monitor_of(condition: dict[str, Any]) -> str | None:
    value = condition.get("monitor")
    return str(value) if value else None


class SqlAlertStore(AlertStore):
    """``SqlAlertStore("sqlite:///mlruns.db")`` or ``("postgresql://...")``."""

    def __init__(self, db_uri: str) -> None:
        self.db_uri = db_uri
        self.engine = make_engine(db_uri)
        ensure_schema(self.engine)

    # ------------------------------------------------------------ rules
    def create_rule(self, rule: AlertRule) -> AlertRule:
        try:
            with write_tx(self.engine) as conn:
                conn.execute(
                    insert(_rules).values(
                        alert_id=rule.alert_id,
                        name=rule.name,
                        description=rule.description,
                        monitor=_monitor_of(rule.condition),
                        condition=json.dumps(rule.condition),
                        actions=json.dumps(rule.actions),
                        cooldown_seconds=rule.cooldown_seconds,
                        enabled=rule.enabled,
                        notify_on_resolve=rule.notify_on_resolve,
                        state=rule.state,
                        state_since=rule.state_since,
                        eval_state=json.dumps(rule.eval_state),
                        version=rule.version,
                        creation_timestamp=rule.creation_timestamp,
                        last_updated_timestamp=rule.last_updated_timestamp,
                    )
                )
        except IntegrityError:
            raise ResourceAlreadyExists(f"Alert {rule.name!r} already exists.") from None
        return rule

    def _one(self, conn: Any, where: Any, what: str) -> Any:
        row = conn.execute(select(_rules).where(where)).first()
        if row is None:
            raise ResourceDoesNotExist(f"Alert {what} does not exist.")
        return row

    def get_rule(self, alert_id: str) -> AlertRule:
        with read_conn(self.engine) as conn:
            return _rule(self._one(conn, _rules.c.alert_id == str(alert_id), f"{alert_id!r}"))

    def get_rule_by_name(self, name: str) -> AlertRule:
        with read_conn(self.engine) as conn:
            return _rule(self._one(conn, _rules.c.name == str(name), f"{name!r}"))

    def list_rules(
        self, limit: int, offset: int = 0, monitor: str | None = None
    ) -> tuple[list[AlertRule], bool]:
        query = select(_rules)
        if monitor is not None:
            query = query.where(_rules.c.monitor == monitor)
        query = query.order_by(_rules.c.name).limit(limit + 1).offset(offset)
        with read_conn(self.engine) as conn:
            rows = conn.execute(query).fetchall()
        return [_rule(r) for r in rows[:limit]], len(rows) > limit

    def update_rule(self, alert_id: str, now: int, **values: Any) -> AlertRule:
        unknown = set(values) - set(_DEFINITION)
        if unknown:
            raise InvalidParameterValue(f"Unknown alert fields: {sorted(unknown)}.")
        row_values: dict[str, Any] = {"last_updated_timestamp": now}
        for key, value in values.items():
            if value is None:
                continue
            row_values[key] = json.dumps(value) if key in ("condition", "actions") else value
        if values.get("condition") is not None:
            row_values.update(
                monitor=_monitor_of(values["condition"]),
                state="OK",
                state_since=now,
                eval_state="{}",
            )
        try:
            with write_tx(self.engine) as conn:
                row = self._one(conn, _rules.c.alert_id == str(alert_id), f"{alert_id!r}")
                conn.execute(
                    update(_rules)
                    .where(_rules.c.alert_id == row.alert_id)
                    .values(version=_rules.c.version + 1, **row_values)
                )
                return _rule(self._one(conn, _rules.c.alert_id == row.alert_id, alert_id))
        except IntegrityError:
            raise ResourceAlreadyExists(f"Alert {values.get('name')!r} already exists.") from None

    def delete_rule(self, alert_id: str) -> None:
        with write_tx(self.engine) as conn:
            row = self._one(conn, _rules.c.alert_id == str(alert_id), f"{alert_id!r}")
            conn.execute(delete(_notes).where(_notes.c.alert_id == row.alert_id))
            conn.execute(delete(_events).where(_events.c.alert_id == row.alert_id))
            conn.execute(delete(_rules).where(_rules.c.alert_id == row.alert_id))

    # ------------------------------------------------------------ evaluation
    def save_evaluation(
        self,
        rule: AlertRule,
        now: int,
        state: str,
        eval_state: dict[str, Any],
        events: list[tuple[str, str, str | None, dict[str, Any], list[Notification]]],
    ) -> bool:
        values: dict[str, Any] = {
            "state": state,
            "eval_state": json.dumps(eval_state),
            "version": rule.version + 1,
        }
        if state != rule.state:
            values["state_since"] = now
        with write_tx(self.engine) as conn:
            moved = conn.execute(
                update(_rules)
                .where(_rules.c.alert_id == rule.alert_id, _rules.c.version == rule.version)
                .values(**values)
            )
            if moved.rowcount != 1:
                return False
            for from_state, to_state, window, evidence, notes in events:
                result = conn.execute(
                    insert(_events).values(
                        alert_id=rule.alert_id,
                        timestamp=now,
                        from_state=from_state,
                        to_state=to_state,
                        window=window,
                        evidence=json.dumps(evidence, default=str),
                    )
                )
                key = result.inserted_primary_key
                assert key is not None
                event_id = int(key[0])
                if notes:
                    conn.execute(
                        insert(_notes),
                        [
                            {
                                "notification_id": n.notification_id,
                                "alert_id": rule.alert_id,
                                "event_id": event_id,
                                "kind": n.kind,
                                "target": n.target,
                                "payload": json.dumps(n.payload, default=str),
                                "status": n.status,
                                "attempts": n.attempts,
                                "created_time": n.created_time,
                                "next_attempt_time": n.next_attempt_time,
                                "finished_time": n.finished_time,
                                "result": n.result,
                                "error": n.error,
                            }
                            for n in notes
                        ],
                    )
        return True

    def list_events(
        self, alert_id: str, limit: int, offset: int = 0
    ) -> tuple[list[AlertEvent], bool]:
        query = (
            select(_events)
            .where(_events.c.alert_id == str(alert_id))
            .order_by(_events.c.timestamp.desc(), _events.c.event_id.desc())
            .limit(limit + 1)
            .offset(offset)
        )
        with read_conn(self.engine) as conn:
            rows = conn.execute(query).fetchall()
        return [_event(r) for r in rows[:limit]], len(rows) > limit

    # ------------------------------------------------------------ notifications
    def claim_due(self, now: int, lease_ms: int, limit: int) -> list[Notification]:
        rows = outbox.claim_due(self.engine, _notes, _notes.c.notification_id, now, lease_ms, limit)
        return [_note(r) for r in rows]

    def finish_notification(
        self,
        notification_id: str,
        now: int,
        *,
        status: str,
        result: str | None,
        error: str | None,
        retry_at: int | None = None,
    ) -> None:
        values: dict[str, Any] = {"result": result, "error": error}
        if retry_at is not None:
            values.update(status="PENDING", next_attempt_time=retry_at)
        else:
            values.update(status=status, finished_time=now)
        outbox.finish(self.engine, _notes, _notes.c.notification_id, notification_id, **values)

    def list_notifications(
        self,
        alert_id: str | None,
        limit: int,
        offset: int = 0,
        status: str | None = None,
        kind: str | None = None,
    ) -> tuple[list[Notification], bool]:
        query = select(_notes)
        if alert_id is not None:
            query = query.where(_notes.c.alert_id == str(alert_id))
        if status is not None:
            query = query.where(_notes.c.status == status)
        if kind is not None:
            query = query.where(_notes.c.kind == kind)
        query = (
            query.order_by(
                _notes.c.created_time.desc(),
                func.coalesce(_notes.c.event_id, 0).desc(),
                _notes.c.notification_id,
            )
            .limit(limit + 1)
            .offset(offset)
        )
        with read_conn(self.engine) as conn:
            rows = conn.execute(query).fetchall()
        return [_note(r) for r in rows[:limit]], len(rows) > limit

    def get_notification(self, notification_id: str) -> Notification:
        with read_conn(self.engine) as conn:
            row = conn.execute(
                select(_notes).where(_notes.c.notification_id == str(notification_id))
            ).first()
        if row is None:
            raise ResourceDoesNotExist(f"Alert notification {notification_id!r} does not exist.")
        return _note(row)
