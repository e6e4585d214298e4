"""Authentication and permission rules over an :class:`~modelyard.store.auth.AuthStore`.

* Passwords: at least :data:`MIN_PASSWORD_LENGTH` characters, hashed with scrypt (random salt,
  ``scrypt$n$r$p$salt$hash``), compared in constant time.
* Personal access tokens: ``myt_<random>``; only the sha256 of the secret is stored, so a token is
  shown once, when it is created. Optional expiry; revocation is one row update.
* Credential and permission checks are cached without weakening them. Every request reads the
  store's *generation* first (one tiny query: a counter bumped in the same transaction as any
  change that can withdraw access, see :meth:`AuthStore.generation`); an answer cached under the
  same generation is reused (basic auth, tokens, sessions, grants), so a changed password, a
  revoked token, a removed admin flag, a deleted user or a changed grant takes effect on the very
  next request of every worker and every server sharing the database. When the generation moved,
  a verified (username, password) pair still skips scrypt if the user row's ``version`` is the
  one it was verified against; tokens need no KDF (one indexed lookup of the sha256).
* Permissions are MLflow's: READ, USE, EDIT, MANAGE, NO_PERMISSIONS (serving endpoints:
  CAN_QUERY, CAN_MANAGE). Effective permission: admin -> MANAGE; a grant of the user on the
  resource; else the server's default permission. Runs use their experiment's, model versions
  their registered model's (the callers resolve the parent).
* Failed logins are limited per username and per client address (:class:`LoginLimiter`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from modelyard.errors import (
    InvalidParameterValue,
    PermissionDenied,
    RequestLimitExceeded,
    ResourceDoesNotExist,
)
from modelyard.store.auth.base import AuditEvent, AuthStore, Grant, Token, User
from modelyard.utils.time import now_ms

__all__ = [
    "ENDPOINT_PERMISSIONS",
    "MIN_PASSWORD_LENGTH",
    "PERMISSIONS",
    "RESOURCE_TYPES",
    "TOKEN_PREFIX",
    "AuthService",
    "LoginLimiter",
    "Permission",
    "hash_password",
    "hash_token",
    "verify_password",
]

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024
MAX_USERNAME_LENGTH = 256
TOKEN_PREFIX = "myt_"
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1


@dataclass(frozen=True)
class Permission:
    name: str
    can_read: bool
    can_use: bool
    can_update: bool
    can_delete: bool
    can_manage: bool

    def allows(self, need: str) -> bool:
        """``need`` is one of read, use, update, delete, manage."""
        return bool(getattr(self, f"can_{need}"))


PERMISSIONS: dict[str, Permission] = {
    "NO_PERMISSIONS": Permission("NO_PERMISSIONS", False, False, False, False, False),
    "READ": Permission("READ", True, False, False, False, False),
    "USE": Permission("USE", True, True, False, False, False),
    "EDIT": Permission("EDIT", True, True, True, False, False),
    "MANAGE": Permission("MANAGE", True, True, True, True, True),
}
#: Serving endpoints: CAN_QUERY lets a caller score, CAN_MANAGE also manage the endpoint.
ENDPOINT_PERMISSIONS: dict[str, Permission] = {
    "CAN_QUERY": Permission("CAN_QUERY", True, True, False, False, False),
    "CAN_MANAGE": Permission("CAN_MANAGE", True, True, True, True, True),
}
RESOURCE_TYPES = ("experiment", "registered_model", "endpoint")
_MANAGE = PERMISSIONS["MANAGE"]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, dklen=32
    )
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        if kind != "scrypt":
            return False
        expected = base64.b64decode(digest)
        got = hashlib.scrypt(
            password.encode("utf-8"),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
            maxmem=64 * 1024 * 1024,
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, expected)


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def permission_named(name: object, resource_type: str = "experiment") -> Permission:
    table = ENDPOINT_PERMISSIONS if resource_type == "endpoint" else PERMISSIONS
    if not isinstance(name, str) or name not in table:
        raise InvalidParameterValue(
            f"Invalid permission '{name}'. Valid permissions are: {tuple(table)}"
        )
    return table[name]


class LoginLimiter:
    """At most ``max_failures`` failed logins per key (``user:<name>``, ``addr:<ip>``) in a
    sliding window of ``window_s`` seconds; ``clock`` is injectable for tests."""

    def __init__(
        self,
        max_failures: int = 10,
        window_s: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_failures = max_failures
        self.window_s = window_s
        self.clock = clock
        self._failures: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> list[float]:
        stamps = [t for t in self._failures.get(key, ()) if now - t < self.window_s]
        if stamps:
            self._failures[key] = stamps
        else:
            self._failures.pop(key, None)
        return stamps

    def check(self, *keys: str) -> None:
        with self._lock:
            now = self.clock()
            for key in keys:
                if len(self._recent(key, now)) >= self.max_failures:
                    raise RequestLimitExceeded("Too many failed login attempts; try again later.")

    def failed(self, *keys: str) -> None:
        with self._lock:
            now = self.clock()
            if len(self._failures) > 100_000:  # bounded memory under a spray of names
                self._failures.clear()
            for key in keys:
                self._failures.setdefault(key, []).append(now)

    def succeeded(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                self._failures.pop(key, None)


class AuthService:
    """The auth rules; ``default_permission`` applies where a user has no grant."""

    def __init__(
        self,
        store: AuthStore,
        default_permission: str = "NO_PERMISSIONS",
        limiter: LoginLimiter | None = None,
    ) -> None:
        self.store = store
        self.default = permission_named(default_permission)
        self.limiter = limiter or LoginLimiter()
        self._cache_key = secrets.token_bytes(32)
        self._verified: dict[tuple[str, bytes], int] = {}
        # answers valid while the store's generation is the one they were computed under:
        # key -> (generation, answer, expiry_ms or None)
        self._answers: dict[tuple[object, ...], tuple[int, object, int | None]] = {}
        self._lock = threading.Lock()

    # ------------------------------------------------------------ the per-generation cache
    def generation(self) -> int | None:
        """Read once per request, before any other lookup (see the module docstring)."""
        return self.store.generation()

    def _cached(self, key: tuple[object, ...], generation: int | None) -> object | None:
        if generation is None:
            return None
        hit = self._answers.get(key)
        if hit is None or hit[0] != generation:
            return None
        if hit[2] is not None and hit[2] <= now_ms():
            return None
        return hit[1]

    def _remember(
        self,
        key: tuple[object, ...],
        generation: int | None,
        answer: object,
        expiry_ms: int | None = None,
    ) -> None:
        if generation is None:
            return
        if len(self._answers) > 50_000:  # bounded memory: start again
            self._answers.clear()
        self._answers[key] = (generation, answer, expiry_ms)

    # ------------------------------------------------------------ bootstrap
    def bootstrap(self, admin_username: str, admin_password: str | None) -> User | None:
        """Create the first admin when the user store is empty (refuses without a password)."""
        if self.store.count_users() > 0:
            return None
        if not admin_password:
            raise InvalidParameterValue(
                "Authentication is on and there is no user yet: set MLFLOW_AUTH_ADMIN_PASSWORD "
                "(or admin_password in the --auth-config file) for the first admin "
                f"'{admin_username}'. There is no default password."
            )
        user = self.create_user(admin_username, admin_password, is_admin=True, actor=None)
        return user

    # ------------------------------------------------------------ authentication
    def _digest(self, username: str, password: str) -> bytes:
        msg = username.encode("utf-8") + b"\x00" + password.encode("utf-8")
        return hmac.new(self._cache_key, msg, hashlib.sha256).digest()

    def authenticate_basic(
        self, username: str, password: str, address: str = "", generation: int | None = None
    ) -> User:
        """The user, or ``Unauthenticated``; ``RequestLimitExceeded`` after too many failures.
        ``generation``: the store's, read at the start of the request (enables the cache)."""
        keys = (f"user:{username}", f"addr:{address}")
        self.limiter.check(*keys)
        digest = self._digest(username, password)
        cached = self._cached(("basic", digest), generation)
        if isinstance(cached, User):
            return cached  # verified under this very generation: nothing changed since
        user = self.store.find_user(username) if len(username) <= MAX_USERNAME_LENGTH else None
        key = (username, digest)
        if user is not None and self._verified.get(key) == user.version:
            self._remember(("basic", digest), generation, user)
            return user  # verified before, and the user row is unchanged since (version)
        ok = user is not None and verify_password(
            password[:MAX_PASSWORD_LENGTH], user.password_hash
        )
        if not ok or user is None:
            self.limiter.failed(*keys)
            self.audit("login_failure", username=username, address=address)
            raise _unauthenticated("Invalid username or password.")
        with self._lock:
            if len(self._verified) > 10_000:
                self._verified.clear()
            self._verified[key] = user.version
        self._remember(("basic", digest), generation, user)
        self.limiter.succeeded(*keys)
        self.audit("login_success", username=username, address=address)
        return user

    def authenticate_token(
        self, secret: str, address: str = "", generation: int | None = None
    ) -> User:
        digest = hmac.new(self._cache_key, secret.encode("utf-8"), hashlib.sha256).digest()
        cached = self._cached(("token", digest), generation)  # unexpired, same generation
        if isinstance(cached, User):
            return cached
        found = (
            self.store.find_token(hash_token(secret)) if secret.startswith(TOKEN_PREFIX) else None
        )
        if found is None:
            self.limiter.check(f"addr:{address}")
            self.limiter.failed(f"addr:{address}")
            raise _unauthenticated("Invalid access token.")
        token, user = found
        if token.revoked:
            raise _unauthenticated("This access token was revoked.")
        if token.expiry_time is not None and token.expiry_time <= now_ms():
            raise _unauthenticated("This access token has expired.")
        self._remember(("token", digest), generation, user, token.expiry_time)
        return user

    def remember_session(self, cookie: str, generation: int | None, user: User) -> None:
        """Cache the user of a verified session cookie (its signature and expiry are checked by
        the caller on every request)."""
        self._remember(("session", cookie), generation, user)

    def cached_session(self, cookie: str, generation: int | None) -> User | None:
        cached = self._cached(("session", cookie), generation)
        return cached if isinstance(cached, User) else None

    # ------------------------------------------------------------ users
    def create_user(
        self, username: object, password: object, is_admin: bool = False, actor: str | None = None
    ) -> User:
        name = _check_username(username)
        secret = _check_password(password)
        user = self.store.create_user(name, hash_password(secret), is_admin, now_ms())
        self.audit("user_created", username=name, actor=actor)
        return user

    def get_user(self, username: object) -> User:
        user = self.store.find_user(_check_username(username))
        if user is None:
            raise ResourceDoesNotExist(f"User with username={username} not found")
        return user

    def list_users(self) -> list[User]:
        return self.store.list_users()

    def update_password(self, username: object, password: object, actor: str | None) -> User:
        user = self.store.update_user(
            _check_username(username), password_hash=hash_password(_check_password(password))
        )
        self.audit("password_changed", username=user.username, actor=actor)
        return user

    def check_password(self, user: User, password: object) -> bool:
        return isinstance(password, str) and verify_password(password, user.password_hash)

    def update_admin(self, username: object, is_admin: object, actor: str | None) -> User:
        if isinstance(is_admin, str) and is_admin.lower() in ("true", "false"):
            is_admin = is_admin.lower() == "true"
        if not isinstance(is_admin, bool):
            raise InvalidParameterValue(f"Invalid value {is_admin!r} for parameter 'is_admin'.")
        user = self.store.update_user(_check_username(username), is_admin=is_admin)
        self.audit("admin_changed", username=user.username, actor=actor, detail=str(is_admin))
        return user

    def delete_user(self, username: object, actor: str | None) -> None:
        name = _check_username(username)
        self.store.delete_user(name)
        self.audit("user_deleted", username=name, actor=actor)

    # ------------------------------------------------------------ tokens
    def create_token(
        self, user: User, name: object = None, expires_in_seconds: object = None
    ) -> tuple[str, Token]:
        if name is not None and (not isinstance(name, str) or len(name) > 256):
            raise InvalidParameterValue("Invalid value for parameter 'name' (a string of <= 256).")
        expiry = None
        if expires_in_seconds not in (None, ""):
            try:
                seconds = int(str(expires_in_seconds))
            except ValueError:
                raise InvalidParameterValue(
                    f"Invalid value {expires_in_seconds!r} for parameter 'expires_in_seconds'."
                ) from None
            if seconds <= 0 or seconds > 10 * 365 * 86400:
                raise InvalidParameterValue(
                    "Parameter 'expires_in_seconds' must be between 1 and 10 years."
                )
            expiry = now_ms() + seconds * 1000
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token = self.store.create_token(user.id, hash_token(secret), name, now_ms(), expiry)
        self.audit("token_created", username=user.username, detail=f"token_id={token.id}")
        return secret, token

    def list_tokens(self, user: User) -> list[Token]:
        return self.store.list_tokens(user.id)

    def revoke_token(self, user: User, token_id: object, actor: str | None) -> Token:
        try:
            tid = int(str(token_id))
        except ValueError:
            raise InvalidParameterValue(
                f"Invalid value {token_id!r} for parameter 'token_id'."
            ) from None
        token = self.store.revoke_token(user.id, tid)
        self.audit("token_revoked", username=user.username, actor=actor, detail=f"token_id={tid}")
        return token

    # ------------------------------------------------------------ permissions
    def permission(
        self,
        user: User,
        resource_type: str,
        resource_id: str | None,
        generation: int | None = None,
    ) -> Permission:
        if user.is_admin:
            return _MANAGE
        if resource_id is None:
            return PERMISSIONS["NO_PERMISSIONS"]
        key = ("grant", user.id, resource_type, resource_id)
        cached = self._cached(key, generation)
        if isinstance(cached, Permission):
            return cached
        name = self.store.get_grant(user.id, resource_type, resource_id)
        if name is None:
            permission = self._default_for(resource_type)
        else:
            permission = permission_named(name, resource_type)
        self._remember(key, generation, permission)
        return permission

    def run_permission(
        self, user: User, run_id: str, generation: int | None = None
    ) -> Permission | None:
        """The permission on a run (its experiment's), one lookup; None for an unknown run.
        A run never changes experiment, so under one generation the answer stays right."""
        if user.is_admin:
            return _MANAGE
        key = ("run", user.id, run_id)
        cached = self._cached(key, generation)
        if isinstance(cached, Permission):
            return cached
        experiment, grant = self.store.grant_via_run(user.id, run_id)
        if experiment is None:
            return None  # not cached: the run may be created later
        permission = self.default if grant is None else permission_named(grant)
        self._remember(key, generation, permission)
        return permission

    def _default_for(self, resource_type: str) -> Permission:
        if resource_type == "endpoint":  # the default READ never lets anyone score
            return PERMISSIONS["NO_PERMISSIONS"]
        return self.default

    def readable(self, user: User, resource_type: str) -> Callable[[str], bool]:
        """A predicate over resource ids, built from one query (for filtering search results)."""
        if user.is_admin:
            return lambda _id: True
        grants = self.store.grants_of(user.id, resource_type)
        default = self._default_for(resource_type).can_read

        def check(resource_id: str) -> bool:
            name = grants.get(str(resource_id))
            return default if name is None else permission_named(name, resource_type).can_read

        return check

    def grant_creator(self, user: User, resource_type: str, resource_id: str) -> None:
        if not user.is_admin:
            self.store.put_grant(
                user.id,
                resource_type,
                resource_id,
                "MANAGE" if resource_type != "endpoint" else "CAN_MANAGE",
            )

    def set_grant(
        self,
        actor: User,
        username: object,
        resource_type: object,
        resource_id: object,
        permission: object,
        mode: str,
    ) -> None:
        """``mode``: create (already there is an error), update (must exist) or put."""
        rtype = _check_resource_type(resource_type)
        rid = _check_resource_id(resource_id)
        perm = permission_named(permission, rtype)
        target = self.get_user(username)
        if target.id == actor.id and not actor.is_admin:
            raise PermissionDenied("You cannot change your own permissions.")
        if mode == "create":
            self.store.create_grant(target.id, rtype, rid, perm.name)
        elif mode == "update":
            self.store.update_grant(target.id, rtype, rid, perm.name)
        else:
            self.store.put_grant(target.id, rtype, rid, perm.name)
        self.audit(
            "permission_changed",
            username=target.username,
            actor=actor.username,
            detail=f"{rtype}:{rid}={perm.name}",
        )

    def delete_grant(
        self, actor: User, username: object, resource_type: object, resource_id: object
    ) -> None:
        rtype = _check_resource_type(resource_type)
        rid = _check_resource_id(resource_id)
        target = self.get_user(username)
        self.store.delete_grant(target.id, rtype, rid)
        self.audit(
            "permission_changed",
            username=target.username,
            actor=actor.username,
            detail=f"{rtype}:{rid}=revoked",
        )

    def grant_of(self, username: object, resource_type: object, resource_id: object) -> str:
        target = self.get_user(username)
        rtype = _check_resource_type(resource_type)
        name = self.store.get_grant(target.id, rtype, _check_resource_id(resource_id))
        if name is None:
            raise ResourceDoesNotExist(
                f"No permission for user {target.username} on {rtype} '{resource_id}'."
            )
        return name

    def grants(self, user: User) -> list[Grant]:
        return self.store.list_grants(user.id)

    # ------------------------------------------------------------ audit
    def audit(
        self,
        event: str,
        *,
        username: str | None = None,
        actor: str | None = None,
        address: str | None = None,
        detail: str | None = None,
    ) -> None:
        self.store.add_audit(
            event, now_ms(), username=username, actor=actor, address=address, detail=detail
        )

    def audit_log(self, limit: int = 100, before_id: int | None = None) -> list[AuditEvent]:
        return self.store.list_audit(max(1, min(limit, 1000)), before_id)


def _unauthenticated(message: str) -> Exception:
    from modelyard.errors import Unauthenticated

    return Unauthenticated(message)


def _check_username(username: object) -> str:
    if not isinstance(username, str) or not username.strip():
        raise InvalidParameterValue("Username cannot be empty.")
    if len(username) > MAX_USERNAME_LENGTH or any(c in username for c in ":\x00\r\n"):
        raise InvalidParameterValue(
            f"Invalid username: at most {MAX_USERNAME_LENGTH} characters, no ':' or control "
            "characters."
        )
    return username


def _check_password(password: object) -> str:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidParameterValue(
            f"Password must be at least {MIN_PASSWORD_LENGTH} characters long."
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidParameterValue(f"Password must be at most {MAX_PASSWORD_LENGTH} characters.")
    return password


def _check_resource_type(resource_type: object) -> str:
    if resource_type not in RESOURCE_TYPES:
        raise InvalidParameterValue(
            f"Invalid resource type '{resource_type}'. Valid resource types are: {RESOURCE_TYPES}"
        )
    return str(resource_type)


def _check_resource_id(resource_id: object) -> str:
    if isinstance(resource_id, int) and not isinstance(resource_id, bool):
        resource_id = str(resource_id)
    if not isinstance(resource_id, str) or not resource_id or len(resource_id) > 256:
        raise InvalidParameterValue("Invalid value for parameter 'resource_id'.")
    if resource_id == "*":
        raise InvalidParameterValue("Wildcard grants ('*') are not supported; name a resource.")
    return resource_id
