"""The outbox lease of the SQL stores (webhook deliveries, alert notifications).

An outbox table has a primary key column and ``status``, ``attempts``, ``created_time``,
``next_attempt_time`` and ``last_attempt_time``. Claiming is one conditional UPDATE per row
(``WHERE status = 'PENDING' AND next_attempt_time = <the value read>``): of two workers that
read the same due row, only the one whose update changed it delivers; the lease pushes
``next_attempt_time`` forward so that a worker killed mid-delivery leaves the row due again
once the lease has passed.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, Engine, Table, select, update

from modelyard.store.sql.engine import read_conn, write_tx

__all__ = ["claim_due", "finish"]


def claim_due(
    engine: Engine, table: Table, key: Column[Any], now: int, lease_ms: int, limit: int
) -> list[Any]:
    """Lease up to ``limit`` due PENDING rows (attempts + 1); the rows this caller won."""
    c = table.c
    with read_conn(engine) as conn:
        due = conn.execute(
            select(key, c.next_attempt_time)
            .where(c.status == "PENDING", c.next_attempt_time <= now)
            .order_by(c.next_attempt_time, c.created_time)
            .limit(limit)
        ).fetchall()
    if not due:
        return []
    claimed: list[Any] = []
    with write_tx(engine) as conn:
        for row_id, next_attempt_time in due:
            moved = conn.execute(
                update(table)
                .where(
                    key == row_id,
                    c.status == "PENDING",
                    c.next_attempt_time == next_attempt_time,
                )
                .values(
                    next_attempt_time=now + lease_ms,
                    attempts=c.attempts + 1,
                    last_attempt_time=now,
                )
            )
            if moved.rowcount == 1:
                claimed.append(conn.execute(select(table).where(key == row_id)).first())
    return claimed


def finish(engine: Engine, table: Table, key: Column[Any], row_id: str, **values: Any) -> None:
    """Record an attempt's outcome on a row that is still PENDING (``values``: the columns)."""
    with write_tx(engine) as conn:
        conn.execute(
            update(table).where(key == row_id, table.c.status == "PENDING").values(**values)
        )
