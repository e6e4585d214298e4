"""Engines for SQLite and PostgreSQL URIs, tuned for several writers.

SQLite runs in WAL mode with a busy timeout, foreign keys on, and write transactions opened
with ``BEGIN IMMEDIATE`` so that two processes writing to one file queue up instead of failing
with "database is locked" on a read-to-write upgrade. Use :func:`write_tx` for every write.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url

from modelyard.store._schemes import SQL_SCHEMES, scheme_of

__all__ = [
    "dispose",
    "dispose_all",
    "is_sql_uri",
    "make_engine",
    "normalize_db_uri",
    "read_conn",
    "write_tx",
]


_engines: dict[str, Engine] = {}
_lock = threading.Lock()


def is_sql_uri(uri: str) -> bool:
    return scheme_of(uri) in SQL_SCHEMES


def normalize_db_uri(uri: str) -> str:
    """``postgresql://`` and ``postgres://`` use psycopg 3."""
    if uri.startswith("postgres://"):
        uri = "postgresql://" + uri[len("postgres://") :]
    if uri.startswith("postgresql://"):
        uri = "postgresql+psycopg://" + uri[len("postgresql://") :]
    return uri


def make_engine(uri: str) -> Engine:
    """One engine per URI and process (engines hold the connection pool)."""
    uri = normalize_db_uri(uri)
    key = f"{os.getpid()}:{uri}"
    with _lock:
        engine = _engines.get(key)
        if engine is None:
            engine = _create(uri)
            _engines[key] = engine
        return engine


def _create(uri: str) -> Engine:
    url = make_url(uri)
    if url.get_backend_name() == "sqlite":
        db = url.database
        if db and db != ":memory:":
            parent = os.path.dirname(os.path.abspath(db))
            os.makedirs(parent, exist_ok=True)
        engine = create_engine(uri, connect_args={"timeout": 60, "check_same_thread": False})
        _tune_sqlite(engine)
        return engine
    return create_engine(uri, pool_size=10, max_overflow=20, pool_pre_ping=True)


def _tune_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # take transaction control away from the driver: we emit BEGIN ourselves
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=60000")
        # a 64 MiB page cache: searches and histories read many pages
        cur.execute("PRAGMA cache_size=-65536")
        cur.execute("PRAGMA temp_store=MEMORY")
        cur.execute("PRAGMA wal_autocheckpoint=8192")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # straight on the DBAPI connection: exec_driver_sql costs more than the BEGIN itself
        write = conn.get_execution_options().get("modelyard_write")
        cur = conn.connection.cursor()
        cur.execute("BEGIN IMMEDIATE" if write else "BEGIN")
        cur.close()


@contextmanager
def write_tx(engine: Engine) -> Iterator[Connection]:
    """A write transaction: committed on success, rolled back on any error."""
    with engine.connect().execution_options(modelyard_write=True) as conn, conn.begin():
        yield conn


@contextmanager
def read_conn(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as conn:
        yield conn


def dispose(uri: str) -> None:
    """Close the pooled connections of this process's engine for ``uri``, if it has one. On
    SQLite the last connection to close checkpoints the write-ahead log into the database file
    and removes it, so a server that stops leaves one file, not a database and a WAL of up to
    the autocheckpoint size (32 MB)."""
    if not is_sql_uri(uri):
        return
    key = f"{os.getpid()}:{normalize_db_uri(uri)}"
    with _lock:
        engine = _engines.get(key)
    if engine is not None:
        engine.dispose()


def dispose_all() -> None:
    """Close every pooled connection (tests call this before dropping a database)."""
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()
