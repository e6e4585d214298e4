"""The auth store (users, tokens, grants, audit log) in the tracking database.

``get_auth_store(db_uri)`` gives the SQL implementation for SQLite and PostgreSQL URIs
(migration 0004); :mod:`modelyard.services.auth` holds the rules over it.
"""

from __future__ import annotations

from modelyard.store.auth.base import AuditEvent, AuthStore, Grant, Token, User

__all__ = ["AuditEvent", "AuthStore", "Grant", "Token", "User", "get_auth_store"]


def get_auth_store(db_uri: str) -> AuthStore:
    """The auth store of a SQL database URI (SQLite or PostgreSQL)."""
    from modelyard.errors import InvalidParameterValue
    from modelyard.store.sql.engine import is_sql_uri

    if not is_sql_uri(db_uri):
        raise InvalidParameterValue(
            f"Authentication keeps users in a SQL database; {db_uri!r} is not a database URI."
        )
    from modelyard.store.auth.sql import SqlAuthStore

    return SqlAuthStore(db_uri)
