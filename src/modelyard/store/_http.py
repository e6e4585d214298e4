"""Shared HTTP plumbing for the REST stores and the artifact proxy client.

:func:`get_session` returns one pooled :class:`HttpSession` per base URL and process. A session
retries with exponential backoff on connection errors and on 429/500/502/503/504 (bounded:
``max_retries`` attempts after the first, each wait capped), authenticates from
``MLFLOW_TRACKING_TOKEN`` (bearer) or ``MLFLOW_TRACKING_USERNAME``/``MLFLOW_TRACKING_PASSWORD``
(basic), and turns error answers into the typed errors of :mod:`modelyard.errors` using the
``error_code`` of the JSON body (or one derived from the status when the body is not JSON).

This module is an edge of the package, so it reads those environment variables itself.
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections.abc import Mapping
from typing import Any

import httpx
import orjson

from modelyard.errors import ModelyardError, error_from_code

__all__ = ["HttpSession", "RETRY_STATUSES", "get_session", "raise_for_response"]

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_CODE_BY_STATUS = {
    400: "BAD_REQUEST",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "ENDPOINT_NOT_FOUND",
    405: "ENDPOINT_NOT_FOUND",
    409: "RESOURCE_CONFLICT",
    413: "REQUEST_LIMIT_EXCEEDED",
    429: "REQUEST_LIMIT_EXCEEDED",
    501: "NOT_IMPLEMENTED",
    503: "TEMPORARILY_UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
_RETRY_EXCEPTIONS = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.RemoteProtocolError,
    httpx.ReadError,
)

_sessions: dict[tuple[int, str], HttpSession] = {}
_lock = threading.Lock()


def _env_auth() -> httpx.Auth | None:
    token = os.environ.get("MLFLOW_TRACKING_TOKEN")
    if token:
        return _BearerAuth(token)
    user = os.environ.get("MLFLOW_TRACKING_USERNAME")
    password = os.environ.get("MLFLOW_TRACKING_PASSWORD")
    if user and password:
        return httpx.BasicAuth(user, password)
    return None


class _BearerAuth(httpx.Auth):
    def __init__(self, token: str) -> None:
        self._header = f"Bearer {token}"

    def auth_flow(self, request: httpx.Request):
        request.headers["Authorization"] = self._header
        yield request


def raise_for_response(response: httpx.Response) -> None:
    """Raise the typed error an error response stands for (no-op for 2xx/3xx)."""
    if response.status_code < 400:
        return
    if not response.is_stream_consumed:
        response.read()
    code, message = None, None
    try:
        body = orjson.loads(response.content)
        if isinstance(body, dict):
            code, message = body.get("error_code"), body.get("message")
    except orjson.JSONDecodeError:
        pass
    if not code:
        code = _CODE_BY_STATUS.get(response.status_code, "INTERNAL_ERROR")
    if not message:
        text = response.text.strip()
        message = (
            f"HTTP {response.status_code} from {response.request.method} {response.request.url}"
            + (f": {text[:500]}" if text else "")
        )
    raise error_from_code(str(code), str(message))


def _query(
    params: Mapping[str, Any] | None,
) -> list[tuple[str, str | int | float | bool | None]] | None:
    if not params:
        return None
    items: list[tuple[str, str | int | float | bool | None]] = []
    for key, value in params.items():
        values = value if isinstance(value, (list, tuple)) else [value]
        for v in values:
            if v is None:
                continue
            items.append((key, ("true" if v else "false") if isinstance(v, bool) else str(v)))
    return items


class HttpSession:
    """A pooled client for one base URL (``http://host:port`` plus an optional prefix)."""

    def __init__(
        self,
        base_url: str,
        timeout: float = 120.0,
        max_retries: int = 4,
        backoff_factor: float = 0.25,
        backoff_max: float = 8.0,
        verify: bool | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.max_retries = max_retries
        self.backoff_factor = backoff_factor
        self.backoff_max = backoff_max
        if verify is None:
            verify = os.environ.get("MLFLOW_TRACKING_INSECURE_TLS", "").lower() not in ("1", "true")
        self.client = httpx.Client(
            timeout=timeout,
            auth=_env_auth(),
            verify=verify,
            limits=httpx.Limits(max_connections=64, max_keepalive_connections=32),
            headers={"User-Agent": "modelyard"},
        )

    def url(self, path: str) -> str:
        return self.base_url + (path if path.startswith("/") else "/" + path)

    def _sleep(self, attempt: int, response: httpx.Response | None) -> None:
        delay = min(self.backoff_max, self.backoff_factor * (2**attempt))
        if response is not None:
            retry_after = response.headers.get("retry-after")
            if retry_after and retry_after.isdigit():
                delay = min(self.backoff_max, float(retry_after))
        time.sleep(delay * (0.75 + random.random() / 2))

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        content: Any = None,
        headers: Mapping[str, str] | None = None,
        stream: bool = False,
        retry: bool = True,
    ) -> httpx.Response:
        """Send with retries; error statuses raise typed errors. With ``stream=True`` the caller
        reads and closes the response (``iter_bytes`` / ``close``)."""
        hdrs = dict(headers or {})
        if json is not None:
            content = orjson.dumps(json)
            hdrs.setdefault("Content-Type", "application/json")
        url = self.url(path)
        query = _query(params)
        attempts = self.max_retries + 1 if retry else 1
        for attempt in range(attempts):
            last = attempt == attempts - 1
            try:
                request = self.client.build_request(
                    method, url, params=query, content=content, headers=hdrs
                )
                response = self.client.send(request, stream=stream)
            except _RETRY_EXCEPTIONS as exc:
                if last:
                    raise ModelyardError(
                        f"Could not reach {url}: {exc}", "TEMPORARILY_UNAVAILABLE"
                    ) from exc
                self._sleep(attempt, None)
                continue
            if response.status_code in RETRY_STATUSES and not last:
                response.close()
                self._sleep(attempt, response)
                continue
            if response.status_code >= 400:
                try:
                    raise_for_response(response)
                finally:
                    response.close()
            return response
        raise AssertionError("unreachable")  # pragma: no cover

    def call(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """One JSON RPC: a JSON body for POST/PATCH/DELETE, query parameters for GET."""
        if method == "GET":
            response = self.request(method, path, params=params or body)
        else:
            response = self.request(
                method, path, params=params, json=body if body is not None else {}
            )
        if not response.content:
            return {}
        data = orjson.loads(response.content)
        return data if isinstance(data, dict) else {}

    def close(self) -> None:
        self.client.close()


def get_session(base_url: str) -> HttpSession:
    """The shared session of ``base_url`` in this process (created on first use)."""
    key = (os.getpid(), base_url.rstrip("/"))
    session = _sessions.get(key)
    if session is None:
        with _lock:
            session = _sessions.get(key)
            if session is None:
                session = _sessions[key] = HttpSession(base_url)
    return session
