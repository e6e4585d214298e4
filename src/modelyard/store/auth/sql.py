"""The auth store on SQLite or PostgreSQL (SQLAlchemy Core, the tracking database)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Integer, String, Text, cast, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from modelyard.errors import ResourceAlreadyExists, ResourceDoesNotExist
from modelyard.store.auth.base import AuditEvent, AuthStore, Grant, Token, User
from modelyard.store.sql import schema
from modelyard.store.sql.engine import make_engine, read_conn, write_tx
from modelyard.store.sql.migrate import ensure_schema

__all__ = ["SqlAuthStore"]

_users = schema.auth_users
_tokens = schema.auth_tokens
_grants = schema.auth_permissions
_audit = schema.auth_audit
_settings = schema.auth_settings
_GENERATION = "generation"
# a literal statement (no bind parameter: the same text on sqlite3 and psycopg)
_READ_GENERATION = "SELECT value FROM auth_settings WHERE key = 'generation'"


def _user(row: Any) -> User:
    return User(
        id=row.id,
        username=row.username,
        password_hash=row.password_hash,
        is_admin=bool(row.is_admin),
        version=row.version,
        created_time=row.created_time,
    )


def _token(row: Any) -> Token:
    return Token(
        id=row.id,
        user_id=row.user_id,
        name=row.name,
        created_time=row.created_time,
        expiry_time=row.expiry_time,
        revoked=bool(row.revoked),
        last_used_time=row.last_used_time,
    )


class SqlAuthStore(AuthStore):
    """``SqlAuthStore("sqlite:///mlruns.db")`` or ``("postgresql://...")``."""

    def __init__(self, db_uri: str) -> None:
        self.db_uri = db_uri
        self.engine = make_engine(db_uri)
        ensure_schema(self.engine)
        self.setting(_GENERATION, "0")

    # ------------------------------------------------------------ generation
    def generation(self) -> int | None:
        # the raw DB-API connection of the pool: this runs on every authenticated request, and
        # skips the Connection wrapper's cost (~6x here); a new read sees every committed bump
        connection = self.engine.raw_connection()
        try:
            cursor = connection.cursor()
            try:
                cursor.execute(_READ_GENERATION)
                row = cursor.fetchone()
            finally:
                cursor.close()
        finally:
            connection.close()
        try:
            return None if row is None else int(row[0])
        except (TypeError, ValueError):
            return None

    @staticmethod
    def _bump(conn: Connection) -> None:
        """Within a write transaction: the generation + 1 (see :meth:`generation`)."""
        value = cast(cast(_settings.c.value, Integer) + 1, Text)
        done = conn.execute(
            update(_settings).where(_settings.c.key == _GENERATION).values(value=value)
        ).rowcount
        if not done:  # the row was removed by hand: start again (an unreadable one reads None)
            conn.execute(insert(_settings).values(key=_GENERATION, value="1"))

    # ------------------------------------------------------------ users
    def create_user(self, username: str, password_hash: str, is_admin: bool, now: int) -> User:
        try:
            with write_tx(self.engine) as conn:
                conn.execute(
                    insert(_users).values(
                        username=username,
                        password_hash=password_hash,
                        is_admin=is_admin,
                        version=1,
                        created_time=now,
                    )
                )
                row = conn.execute(select(_users).where(_users.c.username == username)).one()
        except IntegrityError:
            raise ResourceAlreadyExists(f"User '{username}' already exists.") from None
        return _user(row)

    def find_user(self, username: str) -> User | None:
        with read_conn(self.engine) as conn:
            row = conn.execute(select(_users).where(_users.c.username == username)).first()
        return None if row is None else _user(row)

    def find_user_by_id(self, user_id: int) -> User | None:
        with read_conn(self.engine) as conn:
            row = conn.execute(select(_users).where(_users.c.id == user_id)).first()
        return None if row is None else _user(row)

    def list_users(self) -> list[User]:
        with read_conn(self.engine) as conn:
            return [_user(r) for r in conn.execute(select(_users).order_by(_users.c.id))]

    def count_users(self) -> int:
        with read_conn(self.engine) as conn:
            return int(conn.execute(select(func.count()).select_from(_users)).scalar_one())

    @staticmethod
    def _user_row(conn: Connection, username: str) -> Any:
        row = conn.execute(select(_users).where(_users.c.username == username)).first()
        if row is None:
            raise ResourceDoesNotExist(f"User with username={username} not found")
        return row

    def update_user(
        self, username: str, *, password_hash: str | None = None, is_admin: bool | None = None
    ) -> User:
        values: dict[str, Any] = {"version": _users.c.version + 1}
        if password_hash is not None:
            values["password_hash"] = password_hash
        if is_admin is not None:
            values["is_admin"] = is_admin
        with write_tx(self.engine) as conn:
            self._user_row(conn, username)
            conn.execute(update(_users).where(_users.c.username == username).values(**values))
            self._bump(conn)
            return _user(self._user_row(conn, username))

    def delete_user(self, username: str) -> None:
        with write_tx(self.engine) as conn:
            row = self._user_row(conn, username)
            conn.execute(delete(_tokens).where(_tokens.c.user_id == row.id))
            conn.execute(delete(_grants).where(_grants.c.user_id == row.id))
            conn.execute(delete(_users).where(_users.c.id == row.id))
            self._bump(conn)

    # ------------------------------------------------------------ tokens
    def create_token(
        self, user_id: int, token_hash: str, name: str | None, now: int, expiry_time: int | None
    ) -> Token:
        with write_tx(self.engine) as conn:
            conn.execute(
                insert(_tokens).values(
                    token_hash=token_hash,
                    user_id=user_id,
                    name=name,
                    created_time=now,
                    expiry_time=expiry_time,
                    revoked=False,
                )
            )
            row = conn.execute(select(_tokens).where(_tokens.c.token_hash == token_hash)).one()
        return _token(row)

    def find_token(self, token_hash: str) -> tuple[Token, User] | None:
        query = (
            select(_tokens, _users.c.username, _users.c.password_hash, _users.c.is_admin)
            .add_columns(_users.c.version, _users.c.created_time.label("user_created_time"))
            .join(_users, _users.c.id == _tokens.c.user_id)
            .where(_tokens.c.token_hash == token_hash)
        )
        with read_conn(self.engine) as conn:
            row = conn.execute(query).first()
        if row is None:
            return None
        user = User(
            id=row.user_id,
            username=row.username,
            password_hash=row.password_hash,
            is_admin=bool(row.is_admin),
            version=row.version,
            created_time=row.user_created_time,
        )
        return _token(row), user

    def list_tokens(self, user_id: int) -> list[Token]:
        query = select(_tokens).where(_tokens.c.user_id == user_id).order_by(_tokens.c.id)
        with read_conn(self.engine) as conn:
            return [_token(r) for r in conn.execute(query)]

    def revoke_token(self, user_id: int, token_id: int) -> Token:
        where = (_tokens.c.id == token_id) & (_tokens.c.user_id == user_id)
        with write_tx(self.engine) as conn:
            if conn.execute(update(_tokens).where(where).values(revoked=True)).rowcount == 0:
                raise ResourceDoesNotExist(f"Token {token_id} not found.")
            self._bump(conn)
            return _token(conn.execute(select(_tokens).where(where)).one())

    # ------------------------------------------------------------ grants
    @staticmethod
    def _grant_where(user_id: int, resource_type: str, resource_id: str) -> Any:
        return (
            (_grants.c.user_id == user_id)
            & (_grants.c.resource_type == resource_type)
            & (_grants.c.resource_id == resource_id)
        )

    def get_grant(self, user_id: int, resource_type: str, resource_id: str) -> str | None:
        query = select(_grants.c.permission).where(
            self._grant_where(user_id, resource_type, resource_id)
        )
        with read_conn(self.engine) as conn:
            value = conn.execute(query).scalar()
        return None if value is None else str(value)

    def grants_of(self, user_id: int, resource_type: str) -> dict[str, str]:
        query = select(_grants.c.resource_id, _grants.c.permission).where(
            (_grants.c.user_id == user_id) & (_grants.c.resource_type == resource_type)
        )
        with read_conn(self.engine) as conn:
            return {r.resource_id: r.permission for r in conn.execute(query)}

    def list_grants(self, user_id: int) -> list[Grant]:
        query = select(_grants).where(_grants.c.user_id == user_id).order_by(_grants.c.id)
        with read_conn(self.engine) as conn:
            return [
                Grant(r.user_id, r.resource_type, r.resource_id, r.permission)
                for r in conn.execute(query)
            ]

    def create_grant(
        self, user_id: int, resource_type: str, resource_id: str, permission: str
    ) -> None:
        try:
            with write_tx(self.engine) as conn:
                conn.execute(
                    insert(_grants).values(
                        user_id=user_id,
                        resource_type=resource_type,
                        resource_id=resource_id,
                        permission=permission,
                    )
                )
                self._bump(conn)
        except IntegrityError:
            raise ResourceAlreadyExists(
                f"Permission on {resource_type} '{resource_id}' already exists for this user."
            ) from None

    def put_grant(
        self, user_id: int, resource_type: str, resource_id: str, permission: str
    ) -> None:
        where = self._grant_where(user_id, resource_type, resource_id)
        with write_tx(self.engine) as conn:
            self._bump(conn)
            if conn.execute(update(_grants).where(where).values(permission=permission)).rowcount:
                return
            conn.execute(
                insert(_grants).values(
                    user_id=user_id,
                    resource_type=resource_type,
                    resource_id=resource_id,
                    permission=permission,
                )
            )

    def update_grant(
        self, user_id: int, resource_type: str, resource_id: str, permission: str
    ) -> None:
        where = self._grant_where(user_id, resource_type, resource_id)
        with write_tx(self.engine) as conn:
            if conn.execute(update(_grants).where(where).values(permission=permission)).rowcount:
                self._bump(conn)
                return
        raise ResourceDoesNotExist(
            f"No permission on {resource_type} '{resource_id}' for this user."
        )

    def delete_grant(self, user_id: int, resource_type: str, resource_id: str) -> None:
        where = self._grant_where(user_id, resource_type, resource_id)
        with write_tx(self.engine) as conn:
            if conn.execute(delete(_grants).where(where)).rowcount:
                self._bump(conn)
                return
        raise ResourceDoesNotExist(
            f"No permission on {resource_type} '{resource_id}' for this user."
        )

    def rename_resource(self, resource_type: str, old_id: str, new_id: str) -> None:
        where = (_grants.c.resource_type == resource_type) & (_grants.c.resource_id == old_id)
        with write_tx(self.engine) as conn:
            conn.execute(update(_grants).where(where).values(resource_id=new_id))
            self._bump(conn)

    def delete_resource(self, resource_type: str, resource_id: str) -> None:
        where = (_grants.c.resource_type == resource_type) & (_grants.c.resource_id == resource_id)
        with write_tx(self.engine) as conn:
            conn.execute(delete(_grants).where(where))
            self._bump(conn)

    # ------------------------------------------------------------ audit, settings
    def add_audit(
        self,
        event: str,
        now: int,
        *,
        username: str | None = None,
        actor: str | None = None,
        address: str | None = None,
        detail: str | None = None,
    ) -> None:
        with write_tx(self.engine) as conn:
            conn.execute(
                insert(_audit).values(
                    timestamp=now,
                    event=event[:64],
                    username=None if username is None else username[:256],
                    actor=None if actor is None else actor[:256],
                    address=None if address is None else address[:64],
                    detail=detail,
                )
            )

    def list_audit(self, limit: int, before_id: int | None = None) -> list[AuditEvent]:
        query = select(_audit).order_by(_audit.c.id.desc()).limit(limit)
        if before_id is not None:
            query = query.where(_audit.c.id < before_id)
        with read_conn(self.engine) as conn:
            return [
                AuditEvent(r.id, r.timestamp, r.event, r.username, r.actor, r.address, r.detail)
                for r in conn.execute(query)
            ]

    def setting(self, key: str, default: str) -> str:
        query = select(_settings.c.value).where(_settings.c.key == key)
        with read_conn(self.engine) as conn:
            value = conn.execute(query).scalar()
        if value is not None:
            return str(value)
        try:
            with write_tx(self.engine) as conn:
                conn.execute(insert(_settings).values(key=key, value=default))
        except IntegrityError:
            pass  # another process stored it first: theirs wins
        with read_conn(self.engine) as conn:
            return str(conn.execute(query).scalar_one())

    # ------------------------------------------------------------ resource lookups
    def _experiment_of(self, table: Any, column: str, value: str) -> str | None:
        """The ``experiment_id`` of the row of ``table`` whose ``column`` is ``value``."""
        with read_conn(self.engine) as conn:
            found = conn.execute(
                select(table.c.experiment_id).where(table.c[column] == value)
            ).scalar()
        return None if found is None else str(found)

    def experiment_of_run(self, run_id: str) -> str | None:
        return self._experiment_of(schema.runs, "run_uuid", run_id)

    def grant_via_run(self, user_id: int, run_id: str) -> tuple[str | None, str | None]:
        runs = schema.runs
        on = (
            (_grants.c.user_id == user_id)
            & (_grants.c.resource_type == "experiment")
            & (_grants.c.resource_id == cast(runs.c.experiment_id, String))
        )
        query = (
            select(runs.c.experiment_id, _grants.c.permission)
            .select_from(runs.outerjoin(_grants, on))
            .where(runs.c.run_uuid == run_id)
        )
        with read_conn(self.engine) as conn:
            row = conn.execute(query).first()
        if row is None:
            return None, None
        return str(row.experiment_id), row.permission

    def experiment_of_logged_model(self, model_id: str) -> str | None:
        return self._experiment_of(schema.logged_models, "model_id", model_id)

    def experiment_by_name(self, name: str) -> str | None:
        return self._experiment_of(schema.experiments, "name", name)

    def experiment_of_trace(self, trace_id: str) -> str | None:
        return self._experiment_of(schema.trace_info, "trace_id", trace_id)
