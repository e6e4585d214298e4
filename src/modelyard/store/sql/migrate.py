"""Schema migrations, run programmatically (no ``alembic.ini`` needed in the working directory).

* :func:`upgrade` brings a database to a revision (``modelyard db upgrade <uri>`` calls it).
* :func:`ensure_schema` is what stores call once per engine and process:

  - a database already at head is left alone; the check is one query on the version table, and
    neither Alembic nor the migration scripts are loaded (a server starts faster);
  - a database without any modelyard table is created at head (SQLite and PostgreSQL alike)
    from ``schema.metadata`` in one transaction, stamped with :data:`HEAD_REVISION`: the
    migration chain is not replayed (tests prove both routes build the same schema);
  - an embedded SQLite database behind head is upgraded in place;
  - any other database behind head raises :class:`~modelyard.errors.InvalidState` telling the
    user to run ``modelyard db upgrade <uri>`` (migrating a shared server database is a
    deliberate act, not a side effect of the first client that connects).

Concurrent first use is safe: the migration runs inside a SQLite ``BEGIN IMMEDIATE``
transaction (DDL is transactional in SQLite) or under a PostgreSQL transaction-level advisory
lock, and the revision is read again once the lock is held.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from sqlalchemy import Connection, Engine, inspect

from modelyard.errors import InvalidState
from modelyard.store.sql.engine import make_engine

__all__ = [
    "HEAD_REVISION",
    "current_revision",
    "downgrade",
    "ensure_schema",
    "head_revision",
    "upgrade",
]

#: the newest migration shipped (``migrations/versions``); a test keeps it equal to Alembic's head
HEAD_REVISION = "0008"

_MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
#: arbitrary constant key of the PostgreSQL advisory lock held while migrating
_PG_LOCK_KEY = 0x6D6F_6479_6172_64
_VERSION_TABLE = "alembic_version"
_MARKER_TABLE = "experiments"

_checked: set[str] = set()
_checked_lock = threading.Lock()


def _config():
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS_DIR))
    return cfg


def head_revision() -> str:
    """The newest revision shipped with this version of modelyard."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def _known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    return {s.revision for s in ScriptDirectory.from_config(_config()).walk_revisions()}


def _revision_of(conn: Connection) -> str | None:
    """The version table's revision, read with plain SQL (no Alembic import on the hot path)."""
    if not inspect(conn).has_table(_VERSION_TABLE):
        return None
    rows = conn.exec_driver_sql(f"SELECT version_num FROM {_VERSION_TABLE}").fetchall()
    if len(rows) > 1:
        raise InvalidState(
            f"The database's {_VERSION_TABLE} table holds {len(rows)} revisions; modelyard's "
            "migrations have one head."
        )
    return str(rows[0][0]) if rows else None


def current_revision(db_uri: str) -> str | None:
    """The revision a database is at (``None`` for a database modelyard never touched)."""
    with make_engine(db_uri).connect() as conn:
        return _revision_of(conn)


def _safe_url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


def _upgrade_engine(engine: Engine, revision: str, *, down: bool = False) -> None:
    from alembic import command

    conn = engine.connect().execution_options(modelyard_write=True)
    try:
        with conn.begin():
            if engine.dialect.name == "postgresql":
                conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_LOCK_KEY})")
            if not down and revision == "head" and _revision_of(conn) == head_revision():
                return  # another process finished the job while we waited for the lock
            cfg = _config()
            cfg.attributes["connection"] = conn
            (command.downgrade if down else command.upgrade)(cfg, revision)
    finally:
        conn.close()


def _create_at_head(engine: Engine) -> None:
    """A database without modelyard tables gets ``schema.metadata`` and the head stamp in one
    transaction (under the advisory lock on PostgreSQL); a concurrent creator wins cleanly."""
    from modelyard.store.sql.schema import metadata

    conn = engine.connect().execution_options(modelyard_write=True)
    try:
        with conn.begin():
            if engine.dialect.name == "postgresql":
                conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_LOCK_KEY})")
            names = set(inspect(conn).get_table_names())
            if _VERSION_TABLE in names or _MARKER_TABLE in names:
                return  # created meanwhile; ensure_schema's next check decides
            metadata.create_all(conn)
            conn.exec_driver_sql(
                f"CREATE TABLE {_VERSION_TABLE} (version_num VARCHAR(32) NOT NULL, "
                f"CONSTRAINT {_VERSION_TABLE}_pkc PRIMARY KEY (version_num))"
            )
            conn.exec_driver_sql(
                f"INSERT INTO {_VERSION_TABLE} (version_num) VALUES ('{HEAD_REVISION}')"
            )
    finally:
        conn.close()


def upgrade(db_uri: str, revision: str = "head") -> None:
    """Migrate the database at ``db_uri`` to ``revision`` (default: the newest)."""
    engine = make_engine(db_uri)
    _upgrade_engine(engine, revision)
    with _checked_lock:
        _checked.discard(_key(engine))


def downgrade(db_uri: str, revision: str) -> None:
    """Migrate the database at ``db_uri`` back to ``revision`` (``"base"`` drops every table)."""
    engine = make_engine(db_uri)
    _upgrade_engine(engine, revision, down=True)
    with _checked_lock:
        _checked.discard(_key(engine))


def _key(engine: Engine) -> str:
    return f"{os.getpid()}:{engine.url}"


def ensure_schema(engine: Engine) -> None:
    """Make sure the database behind ``engine`` is at head (see the module docs)."""
    key = _key(engine)
    if key in _checked:
        return
    with engine.connect() as conn:
        revision = _revision_of(conn)
        names = set(inspect(conn).get_table_names()) if revision != HEAD_REVISION else set()
    if revision is None and not names:
        _create_at_head(engine)
        with engine.connect() as conn:
            revision = _revision_of(conn)
            names = set(inspect(conn).get_table_names())
    head = HEAD_REVISION
    if revision != head:
        is_sqlite = engine.dialect.name == "sqlite"
        if revision is None and _MARKER_TABLE in names:
            raise InvalidState(
                f"The database {_safe_url(engine)} holds tables that modelyard did not create "
                "(no migration history); point modelyard at an empty database."
            )
        if revision is not None and revision not in _known_revisions():
            raise InvalidState(
                f"The database {_safe_url(engine)} is at schema revision {revision!r}, which "
                "this version of modelyard does not know (it was migrated by a newer "
                "modelyard); upgrade modelyard."
            )
        if revision is None or is_sqlite:
            _upgrade_engine(engine, "head")
        else:
            raise InvalidState(
                f"The database {_safe_url(engine)} is at schema revision {revision!r} but this "
                f"version of modelyard needs {head!r}. Back up the database, then run "
                f"`modelyard db upgrade {_safe_url(engine)}`."
            )
    with _checked_lock:
        _checked.add(key)
