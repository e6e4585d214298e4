"""DBAPI-level helpers for the store's hot paths (run creation, logging, history, hydration).

SQLAlchemy statement construction, cache-key generation and per-row result processing cost
more than SQLite itself on these paths, so they run fixed SQL text on the connection's DBAPI
cursor inside the SQLAlchemy transaction. SQL is written with ``?`` placeholders; PostgreSQL
(psycopg) gets ``%s``. Bulk inserts use ``executemany`` on SQLite (one prepared statement in C)
and psycopg's pipelined ``executemany`` on PostgreSQL.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection

from modelyard.entities import LifecycleStage
from modelyard.errors import InvalidParameterValue, ResourceDoesNotExist

__all__ = ["active_run_stage", "cursor", "gc_paused", "ids_clause", "insert_many", "sql"]


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while a block builds many acyclic objects (a 200,000-point
    history, a page of 50,000 runs): the collector would rescan them again and again, almost
    doubling the time. Re-enabled only by the block that disabled it."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def cursor(conn: Connection) -> Any:
    """A DBAPI cursor on the connection (inside its current transaction, if any)."""
    return conn.connection.cursor()


@lru_cache(maxsize=512)
def sql(text: str, dialect: str) -> str:
    """``text`` with the placeholders of the dialect's driver."""
    return text.replace("?", "%s") if dialect == "postgresql" else text


def insert_many(
    cur: Any,
    dialect: str,
    head: str,
    ncols: int,
    rows: Sequence[Sequence[Any]],
    tail: str = "",
) -> None:
    """``head VALUES (?, ...) tail`` for every row, as one ``executemany``: ``head`` is
    ``INSERT INTO t (cols)``, ``tail`` an optional ``ON CONFLICT`` clause. SQLite reuses one
    prepared statement in C; psycopg sends the rows in pipeline mode (faster here than
    multi-row ``VALUES`` lists, whose parameter types PostgreSQL must infer row by row)."""
    if rows:
        cur.executemany(_insert_sql(head, ncols, tail, dialect), rows)


@lru_cache(maxsize=256)
def _insert_sql(head: str, ncols: int, tail: str, dialect: str) -> str:
    return sql(f"{head} VALUES ({', '.join('?' * ncols)}) {tail}".rstrip(), dialect)


def ids_clause(column: str, ids: Sequence[Any], dialect: str, json_each: bool) -> tuple[str, Any]:
    """``column`` in ``ids`` with one bound parameter: ``= ANY(?)`` on PostgreSQL,
    ``IN (SELECT value FROM json_each(?))`` on SQLite (a plain ``IN`` list without JSON1)."""
    if len(ids) == 1:
        return f"{column} = ?", [ids[0]]
    if dialect == "postgresql":
        return f"{column} = ANY(?)", [list(ids)]
    if json_each:
        return f"{column} IN (SELECT value FROM json_each(?))", [json.dumps(list(ids))]
    return f"{column} IN ({','.join('?' * len(ids))})", list(ids)


def active_run_stage(cur: Any, dialect: str, run_id: str) -> None:
    """Raise unless ``run_id`` names an active run (the messages of ``active_run_row``)."""
    cur.execute(sql("SELECT lifecycle_stage FROM runs WHERE run_uuid = ?", dialect), (run_id,))
    row = cur.fetchone()
    if row is None:
        raise ResourceDoesNotExist(f"Run with id={run_id} not found")
    if row[0] != LifecycleStage.ACTIVE:
        raise InvalidParameterValue(
            f"The run {run_id} must be in the 'active' state. Current state is {row[0]}."
        )
