"""The webhooks store on SQLite or PostgreSQL (SQLAlchemy Core, the tracking database).

Claiming and finishing deliveries is the outbox lease of :mod:`modelyard.store.sql.outbox`.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert, select, update

from modelyard.errors import ResourceDoesNotExist
from modelyard.store.sql import outbox, schema
from modelyard.store.sql.engine import make_engine, read_conn, write_tx
from modelyard.store.sql.migrate import ensure_schema
from modelyard.store.webhooks.base import Delivery, Webhook, WebhookStore

__all__ = ["SqlWebhookStore"]

_hooks = schema.webhooks
_deliveries = schema.webhook_deliveries


def _webhook(row: Any) -> Webhook:
    return Webhook(
        webhook_id=row.webhook_id,
        name=row.name,
        url=row.url,
        events=tuple(json.loads(row.events)),
        status=row.status,
        creation_timestamp=row.creation_timestamp,
        last_updated_timestamp=row.last_updated_timestamp,
        description=row.description,
        secret=row.secret,
    )


def _delivery(row: Any) -> Delivery:
    return Delivery(
        delivery_id=row.delivery_id,
        webhook_id=row.webhook_id,
        event=row.event,
        payload=row.payload,
        status=row.status,
        attempts=row.attempts,
        created_time=row.created_time,
        next_attempt_time=row.next_attempt_time,
        last_attempt_time=row.last_attempt_time,
        delivered_time=row.delivered_time,
        response_status=row.response_status,
        error=row.error,
    )


class SqlWebhookStore(WebhookStore):
    """``SqlWebhookStore("sqlite:///mlruns.db")`` or ``("postgresql://...")``."""

    def __init__(self, db_uri: str) -> None:
        self.db_uri = db_uri
        self.engine = make_engine(db_uri)
        ensure_schema(self.engine)

    # ------------------------------------------------------------ webhooks
    def create_webhook(self, webhook: Webhook) -> Webhook:
        with write_tx(self.engine) as conn:
            conn.execute(
                insert(_hooks).values(
                    webhook_id=webhook.webhook_id,
                    name=webhook.name,
                    url=webhook.url,
                    events=json.dumps(list(webhook.events)),
                    description=webhook.description,
                    secret=webhook.secret,
                    status=webhook.status,
                    creation_timestamp=webhook.creation_timestamp,
                    last_updated_timestamp=webhook.last_updated_timestamp,
                )
            )
        return webhook

    def _row(self, conn: Any, webhook_id: str) -> Any:
        row = conn.execute(
            select(_hooks).where(
                _hooks.c.webhook_id == str(webhook_id), _hooks.c.deleted_timestamp.is_(None)
            )
        ).first()
        if row is None:
            raise ResourceDoesNotExist(f"Webhook with ID {webhook_id} not found.")
        return row

    def get_webhook(self, webhook_id: str) -> Webhook:
        with read_conn(self.engine) as conn:
            return _webhook(self._row(conn, webhook_id))

    def list_webhooks(self, limit: int, offset: int) -> tuple[list[Webhook], bool]:
        query = (
            select(_hooks)
            .where(_hooks.c.deleted_timestamp.is_(None))
            .order_by(_hooks.c.creation_timestamp.desc(), _hooks.c.webhook_id)
            .limit(limit + 1)
            .offset(offset)
        )
        with read_conn(self.engine) as conn:
            rows = conn.execute(query).fetchall()
        return [_webhook(r) for r in rows[:limit]], len(rows) > limit

    def update_webhook(
        self,
        webhook_id: str,
        now: int,
        *,
        name: str | None = None,
        url: str | None = None,
        events: Sequence[str] | None = None,
        description: str | None = None,
        secret: str | None = None,
        status: str | None = None,
    ) -> Webhook:
        values: dict[str, Any] = {"last_updated_timestamp": now}
        if name is not None:
            values["name"] = name
        if url is not None:
            values["url"] = url
        if events is not None:
            values["events"] = json.dumps(list(events))
        if description is not None:
            values["description"] = description or None
        if secret is not None:
            values["secret"] = secret or None
        if status is not None:
            values["status"] = status
        with write_tx(self.engine) as conn:
            row = self._row(conn, webhook_id)
            conn.execute(
                update(_hooks).where(_hooks.c.webhook_id == row.webhook_id).values(**values)
            )
            return _webhook(self._row(conn, webhook_id))

    def delete_webhook(self, webhook_id: str, now: int) -> None:
        with write_tx(self.engine) as conn:
            row = self._row(conn, webhook_id)
            conn.execute(
                update(_hooks)
                .where(_hooks.c.webhook_id == row.webhook_id)
                .values(deleted_timestamp=now, last_updated_timestamp=now)
            )

    # ------------------------------------------------------------ outbox
    def enqueue(self, event: str, payload: str, now: int) -> list[Delivery]:
        out: list[Delivery] = []
        active = select(_hooks.c.webhook_id, _hooks.c.events).where(
            _hooks.c.deleted_timestamp.is_(None), _hooks.c.status == "ACTIVE"
        )
        with read_conn(self.engine) as conn:  # most events have no subscriber: no write then
            if not any(event in json.loads(r.events) for r in conn.execute(active)):
                return out
        with write_tx(self.engine) as conn:
            rows = conn.execute(active).fetchall()
            for row in rows:
                if event not in json.loads(row.events):
                    continue
                delivery = Delivery(
                    delivery_id=str(uuid.uuid4()),
                    webhook_id=row.webhook_id,
                    event=event,
                    payload=payload,
                    status="PENDING",
                    attempts=0,
                    created_time=now,
                    next_attempt_time=now,
                )
                out.append(delivery)
            if out:
                conn.execute(
                    insert(_deliveries),
                    [
                        {
                            "delivery_id": d.delivery_id,
                            "webhook_id": d.webhook_id,
                            "event": d.event,
                            "payload": d.payload,
                            "status": d.status,
                            "attempts": 0,
                            "created_time": now,
                            "next_attempt_time": now,
                        }
                        for d in out
                    ],
                )
        return out

    def claim_due(self, now: int, lease_ms: int, limit: int) -> list[Delivery]:
        rows = outbox.claim_due(
            self.engine, _deliveries, _deliveries.c.delivery_id, now, lease_ms, limit
        )
        return [_delivery(r) for r in rows]

    def finish_delivery(
        self,
        delivery_id: str,
        now: int,
        *,
        delivered: bool,
        response_status: int | None,
        error: str | None,
        retry_at: int | None,
    ) -> None:
        values: dict[str, Any] = {"response_status": response_status, "error": error}
        if delivered:
            values.update(status="DELIVERED", delivered_time=now, error=None)
        elif retry_at is not None:
            values.update(status="PENDING", next_attempt_time=retry_at)
        else:
            values.update(status="FAILED")
        outbox.finish(self.engine, _deliveries, _deliveries.c.delivery_id, delivery_id, **values)

    def get_delivery(self, delivery_id: str) -> Delivery:
        with read_conn(self.engine) as conn:
            row = conn.execute(
                select(_deliveries).where(_deliveries.c.delivery_id == str(delivery_id))
            ).first()
        if row is None:
            raise ResourceDoesNotExist(f"Webhook delivery {delivery_id} not found.")
        return _delivery(row)

    def list_deliveries(
        self, webhook_id: str | None, limit: int, offset: int = 0, status: str | None = None
    ) -> tuple[list[Delivery], bool]:
        query = select(_deliveries)
        if webhook_id is not None:
            query = query.where(_deliveries.c.webhook_id == str(webhook_id))
        if status is not None:
            query = query.where(_deliveries.c.status == status)
        query = (
            query.order_by(_deliveries.c.created_time.desc(), _deliveries.c.delivery_id)
            .limit(limit + 1)
            .offset(offset)
        )
        with read_conn(self.engine) as conn:
            rows = conn.execute(query).fetchall()
        return [_delivery(r) for r in rows[:limit]], len(rows) > limit
