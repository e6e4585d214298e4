"""Alembic environment: the database comes from the caller, never from an ini file.

:func:`modelyard.store.sql.migrate.upgrade` puts an open ``Connection`` in
``config.attributes["connection"]``; the ``alembic`` command line (``sqlalchemy.url`` in the
config) works too.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from modelyard.store.sql.schema import metadata

config = context.config


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("modelyard migrations need a database URL or an open connection")
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            _run(conn)
            conn.commit()
    finally:
        engine.dispose()


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=metadata)
    with context.begin_transaction():
        context.run_migrations()
else:
    _run_online()
