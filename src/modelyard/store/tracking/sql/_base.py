"""Shared plumbing of the SQL tracking store: engine, dialect inserts, ids, tokens, lookups."""

from __future__ import annotations

import base64
import json
import sqlite3
from collections.abc import Iterator, Sequence
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, Row, select
from sqlalchemy.sql.dml import Insert

from modelyard.entities import LifecycleStage
from modelyard.errors import InvalidParameterValue, NotImplementedByBackend, ResourceDoesNotExist
from modelyard.store.sql import schema as s
from modelyard.store.sql.engine import make_engine
from modelyard.store.sql.migrate import ensure_schema

__all__ = [
    "SQLITE_JSON_EACH",
    "SqlBase",
    "artifact_location_for",
    "chunked",
    "in_list",
    "decode_offset_token",
    "encode_offset_token",
    "parse_experiment_id",
]

T = TypeVar("T")

#: ids per query; a chunk is one bound parameter (see in_list), so chunks can be large
_MAX_IN = 50_000


def chunked(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _sqlite_has_json_each() -> bool:
    try:
        with sqlite3.connect(":memory:") as probe:
            probe.execute("SELECT value FROM json_each('[1]')").fetchall()
        return True
    except sqlite3.Error:
        return False


SQLITE_JSON_EACH = _sqlite_has_json_each()


def in_list(column: Any, values: Sequence[Any], dialect: str) -> Any:
    """``column IN (values)`` with one bound parameter where the backend allows it:
    ``= ANY(:array)`` on PostgreSQL, ``IN (SELECT value FROM json_each(:json))`` on SQLite.
    Thousands of separate parameters cost more to compile and bind than the query itself."""
    if dialect == "postgresql":
        from sqlalchemy import any_, literal
        from sqlalchemy.dialects.postgresql import ARRAY

        return column == any_(literal(list(values), ARRAY(column.type)))
    if dialect == "sqlite" and SQLITE_JSON_EACH:
        from sqlalchemy import func, literal, select

        each = func.json_each(literal(json.dumps(list(values)))).table_valued("value")
        return column.in_(select(each.c.value))
    return column.in_(values)


def parse_experiment_id(experiment_id: str | int) -> int:
    """Experiment ids are numeric strings; anything else names no experiment."""
    try:
        value = int(str(experiment_id).strip())
    except (TypeError, ValueError):
        raise ResourceDoesNotExist(f"No Experiment with id={experiment_id} exists") from None
    if not -(2**31) <= value < 2**31:  # the column is a 32-bit integer: no such experiment
        raise ResourceDoesNotExist(f"No Experiment with id={experiment_id} exists")
    return value


def artifact_location_for(root: str, experiment_id: int | str) -> str:
    """``<root>/<experiment_id>``; ``mlflow-artifacts:`` (scheme only) gives
    ``mlflow-artifacts:/<id>`` and ``file:///`` gives ``file:///<id>``."""
    stripped = root.rstrip("/")
    if stripped.endswith(":") and root.endswith(":///"):
        return f"{root}{experiment_id}"
    return f"{stripped}/{experiment_id}"


def encode_offset_token(offset: int) -> str:
    raw = json.dumps({"offset": offset}).encode()
    return base64.urlsafe_b64encode(raw).decode()


def decode_offset_token(token: str | None) -> int:
    """Offset of a page token (0 for none); a token we did not issue is a bad parameter."""
    if not token:
        return 0
    try:
        payload = json.loads(base64.urlsafe_b64decode(token.encode()))
        offset = payload["offset"]
        if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
            raise ValueError(offset)
        return offset
    except Exception:
        raise InvalidParameterValue(f"Invalid page_token {token!r}") from None


class SqlBase:
    """Engine, dialect-specific inserts and the lookups every part of the store needs."""

    def __init__(self, db_uri: str, default_artifact_root: str) -> None:
        self.db_uri = db_uri
        self.default_artifact_root = default_artifact_root
        engine = make_engine(db_uri)
        ensure_schema(engine)
        self.dialect = engine.dialect.name
        self.max_in = _MAX_IN if self.dialect == "postgresql" or SQLITE_JSON_EACH else 900

    @property
    def engine(self) -> Engine:
        """This process's engine: a store inherited through ``fork`` must not share the
        parent's pooled connections, so the engine is looked up per process each time."""
        return make_engine(self.db_uri)

    # ------------------------------------------------------------------ dialect helpers
    def insert(self, table: Any) -> Insert:
        """An INSERT that supports ``on_conflict_do_nothing/update`` for this dialect."""
        if self.dialect == "sqlite":
            from sqlalchemy.dialects.sqlite import insert as sqlite_insert

            return sqlite_insert(table)
        if self.dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            return pg_insert(table)
        raise NotImplementedByBackend(
            f"The SQL tracking store supports SQLite and PostgreSQL, not {self.dialect!r}"
        )

    def upsert(self, table: Any, keys: Sequence[str], update: Sequence[str]) -> Any:
        """INSERT ... ON CONFLICT (keys) DO UPDATE SET each of ``update`` to the new value."""
        stmt = self.insert(table)
        return stmt.on_conflict_do_update(  # type: ignore[attr-defined]
            index_elements=[table.c[k] for k in keys],
            set_={c: stmt.excluded[c] for c in update},  # type: ignore[attr-defined]
        )

    def insert_ignore(self, table: Any) -> Any:
        return self.insert(table).on_conflict_do_nothing()  # type: ignore[attr-defined]

    def where_in(self, column: Any, values: Sequence[Any]) -> Any:
        return in_list(column, values, self.dialect)

    # ------------------------------------------------------------------ lookups
    def experiment_row(self, conn: Connection, experiment_id: str | int) -> Row[Any]:
        exp_id = parse_experiment_id(experiment_id)
        row = conn.execute(
            select(s.experiments).where(s.experiments.c.experiment_id == exp_id)
        ).first()
        if row is None:
            raise ResourceDoesNotExist(f"No Experiment with id={experiment_id} exists")
        return row

    def run_row(self, conn: Connection, run_id: str) -> Row[Any]:
        row = conn.execute(select(s.runs).where(s.runs.c.run_uuid == run_id)).first()
        if row is None:
            raise ResourceDoesNotExist(f"Run with id={run_id} not found")
        return row

    def active_run_row(self, conn: Connection, run_id: str) -> Row[Any]:
        row = self.run_row(conn, run_id)
        if row.lifecycle_stage != LifecycleStage.ACTIVE:
            raise InvalidParameterValue(
                f"The run {run_id} must be in the 'active' state. "
                f"Current state is {row.lifecycle_stage}."
            )
        return row

    @staticmethod
    def check_experiment_active(row: Row[Any]) -> None:
        if row.lifecycle_stage != LifecycleStage.ACTIVE:
            raise InvalidParameterValue(
                f"The experiment {row.experiment_id} must be in the 'active' state. "
                f"Current state is {row.lifecycle_stage}."
            )
