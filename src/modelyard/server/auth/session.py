"""Signed session cookies for the web UI, and their CSRF tokens.

A cookie is ``<user_id>.<user_version>.<expiry_ms>.<hmac>``: it names the user and the version
of the user row it was issued for, so a changed password or a deleted user ends every session at
once. The CSRF token of a session is an HMAC of the cookie; a cookie-authenticated state-changing
request must send it in the ``X-CSRF-Token`` header (a cross-site form cannot read it).
"""

from __future__ import annotations

import hashlib
import hmac
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from modelyard.store.auth.base import AuthStore, User

__all__ = [
    "COOKIE_NAME",
    "CSRF_HEADER",
    "cookie_value",
    "csrf_token",
    "parse_session",
    "session_user",
    "sign_session",
]

COOKIE_NAME = "modelyard_session"
CSRF_HEADER = "x-csrf-token"
SESSION_SECONDS = 12 * 3600


def _mac(key: bytes, message: str) -> str:
    return hmac.new(key, message.encode("ascii"), hashlib.sha256).hexdigest()


def sign_session(key: bytes, user_id: int, version: int, expiry_ms: int) -> str:
    body = f"{user_id}.{version}.{expiry_ms}"
    return f"{body}.{_mac(key, body)}"


def parse_session(key: bytes, value: str, now_ms: int) -> tuple[int, int] | None:
    """(user_id, version) of a valid, unexpired cookie; None otherwise."""
    parts = value.split(".")
    if len(parts) != 4 or not all(p.isdigit() for p in parts[:3]):
        return None
    body = ".".join(parts[:3])
    if not hmac.compare_digest(_mac(key, body), parts[3]):
        return None
    if int(parts[2]) <= now_ms:
        return None
    return int(parts[0]), int(parts[1])


def csrf_token(key: bytes, cookie: str) -> str:
    return _mac(key, "csrf:" + cookie)[:40]


def session_user(store: AuthStore, key: bytes, value: str, now_ms: int) -> User | None:
    """The user of a valid session cookie whose user row is unchanged since it was issued."""
    parsed = parse_session(key, value, now_ms)
    if parsed is None:
        return None
    user = store.find_user_by_id(parsed[0])
    if user is None or user.version != parsed[1]:
        return None
    return user


def cookie_value(header: str, name: str = COOKIE_NAME) -> str:
    """The value of cookie ``name`` in a ``Cookie`` header ('' when absent)."""
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value.strip()
    return ""
