"""Alembic migrations of the modelyard SQL schema (tracking and registry in one history).

Run them through :mod:`modelyard.store.sql.migrate`; no ``alembic.ini`` is needed.
"""

__all__: list[str] = []
