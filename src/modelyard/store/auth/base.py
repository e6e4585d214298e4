"""The auth store interface: users, personal access tokens, grants, audit events, secrets.

The store keeps data; the rules (password policy, who may grant what, effective permissions)
live in :mod:`modelyard.services.auth`. Passwords and tokens reach the store already hashed.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

__all__ = ["AuditEvent", "AuthStore", "Grant", "Token", "User"]


@dataclass(frozen=True)
class User:
    id: int
    username: str
    password_hash: str
    is_admin: bool
    version: int
    created_time: int = 0


@dataclass(frozen=True)
class Token:
    id: int
    user_id: int
    name: str | None
    created_time: int
    expiry_time: int | None
    revoked: bool
    last_used_time: int | None = None


@dataclass(frozen=True)
class Grant:
    user_id: int
    resource_type: str
    resource_id: str
    permission: str


@dataclass(frozen=True)
class AuditEvent:
    id: int
    timestamp: int
    event: str
    username: str | None
    actor: str | None
    address: str | None
    detail: str | None


class AuthStore(ABC):
    # ------------------------------------------------------------ users
    @abstractmethod
    def create_user(self, username: str, password_hash: str, is_admin: bool, now: int) -> User:
        """Raises ``ResourceAlreadyExists`` when the name is taken."""

    @abstractmethod
    def find_user(self, username: str) -> User | None: ...

    @abstractmethod
    def find_user_by_id(self, user_id: int) -> User | None: ...

    @abstractmethod
    def list_users(self) -> list[User]: ...

    @abstractmethod
    def count_users(self) -> int: ...

    @abstractmethod
    def update_user(
        self, username: str, *, password_hash: str | None = None, is_admin: bool | None = None
    ) -> User:
        """Change a user and bump its ``version``; ``ResourceDoesNotExist`` when unknown."""

    @abstractmethod
    def delete_user(self, username: str) -> None:
        """Delete a user with its tokens and grants; ``ResourceDoesNotExist`` when unknown."""

    # ------------------------------------------------------------ tokens
    @abstractmethod
    def create_token(
        self, user_id: int, token_hash: str, name: str | None, now: int, expiry_time: int | None
    ) -> Token: ...

    @abstractmethod
    def find_token(self, token_hash: str) -> tuple[Token, User] | None:
        """The token with this hash and its user (revoked and expired tokens included)."""

    @abstractmethod
    def list_tokens(self, user_id: int) -> list[Token]: ...

    @abstractmethod
    def revoke_token(self, user_id: int, token_id: int) -> Token:
        """``ResourceDoesNotExist`` unless the user owns a token with this id."""

    # ------------------------------------------------------------ grants
    @abstractmethod
    def get_grant(self, user_id: int, resource_type: str, resource_id: str) -> str | None: ...

    @abstractmethod
    def grants_of(self, user_id: int, resource_type: str) -> dict[str, str]:
        """resource id -> permission for every grant of the user on a resource type."""

    @abstractmethod
    def list_grants(self, user_id: int) -> list[Grant]: ...

    @abstractmethod
    def create_grant(
        self, user_id: int, resource_type: str, resource_id: str, permission: str
    ) -> None:
        """``ResourceAlreadyExists`` when the user already has a grant on the resource."""

    @abstractmethod
    def put_grant(
        self, user_id: int, resource_type: str, resource_id: str, permission: str
    ) -> None:
        """Create or replace a grant."""

    @abstractmethod
    def update_grant(
        self, user_id: int, resource_type: str, resource_id: str, permission: str
    ) -> None:
        """``ResourceDoesNotExist`` when there is no grant to update."""

    @abstractmethod
    def delete_grant(self, user_id: int, resource_type: str, resource_id: str) -> None:
        """``ResourceDoesNotExist`` when there is no grant to delete."""

    @abstractmethod
    def rename_resource(self, resource_type: str, old_id: str, new_id: str) -> None: ...

    @abstractmethod
    def delete_resource(self, resource_type: str, resource_id: str) -> None: ...

    # ------------------------------------------------------------ audit, settings
    @abstractmethod
    def add_audit(
        self,
        event: str,
        now: int,
        *,
        username: str | None = None,
        actor: str | None = None,
        address: str | None = None,
        detail: str | None = None,
    ) -> None: ...

    @abstractmethod
    def list_audit(self, limit: int, before_id: int | None = None) -> list[AuditEvent]:
        """Newest first; ``before_id`` pages backwards."""

    @abstractmethod
    def generation(self) -> int | None:
        """A counter bumped, in the same transaction, by every change that can withdraw access
        (a user updated or deleted, a token revoked, a grant created, changed, moved or removed);
        read on every request, so it must be cheap. None when it cannot be read (no caching)."""

    @abstractmethod
    def setting(self, key: str, default: str) -> str:
        """The stored value of ``key``; stores ``default`` first when absent (first one wins)."""

    # ------------------------------------------------------------ resource lookups
    @abstractmethod
    def experiment_of_run(self, run_id: str) -> str | None: ...

    @abstractmethod
    def grant_via_run(self, user_id: int, run_id: str) -> tuple[str | None, str | None]:
        """(experiment id of the run, the user's grant on it) in one lookup; (None, None) for an
        unknown run."""

    @abstractmethod
    def experiment_of_logged_model(self, model_id: str) -> str | None: ...

    @abstractmethod
    def experiment_by_name(self, name: str) -> str | None: ...

    @abstractmethod
    def experiment_of_trace(self, trace_id: str) -> str | None:
        """The experiment id of an MLflow 3 trace record; None for an unknown trace."""
