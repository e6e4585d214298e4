"""The one HTTP client stack of the package: the REST stores and the artifact proxy client.

:func:`get_session` returns one pooled :class:`HttpSession` per base URL and process (a forked
child gets its own). A session retries with exponential backoff on connection errors and on
408/429/500/502/503/504 (bounded: ``max_retries`` attempts after the first, each wait capped,
``Retry-After`` honoured; a file body is rewound before each attempt), authenticates from
``MLFLOW_TRACKING_TOKEN`` (bearer) or ``MLFLOW_TRACKING_USERNAME``/``MLFLOW_TRACKING_PASSWORD``
(basic) unless the call brings its own ``Authorization``, verifies TLS as
``MLFLOW_TRACKING_INSECURE_TLS`` / ``MLFLOW_TRACKING_SERVER_CERT_PATH`` /
``MLFLOW_TRACKING_CLIENT_CERT_PATH`` say, and turns error answers into the typed errors of
:mod:`modelyard.errors` through :func:`modelyard.wire.errors.error_from_response`.

This module is an edge of the package, so it reads those environment variables itself.
"""

from __future__ import annotations

import base64
import os
import random
import threading
import time
from collections.abc import Generator, Iterator, Mapping
from typing import IO, Any

import httpx
import orjson

from modelyard.errors import TemporarilyUnavailable
from modelyard.wire.errors import error_from_response

__all__ = ["HttpSession", "RETRY_STATUSES", "get_session", "raise_for_response", "tls_verify"]

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
CHUNK_SIZE = 1024 * 1024
_RETRY_EXCEPTIONS = (httpx.TransportError,)

_sessions: dict[tuple[int, str, str], HttpSession] = {}
_lock = threading.Lock()


def tls_verify() -> str | bool:
    """``verify`` for httpx: off with ``MLFLOW_TRACKING_INSECURE_TLS``, else the CA bundle of
    ``MLFLOW_TRACKING_SERVER_CERT_PATH``, else the system's."""
    if (os.environ.get("MLFLOW_TRACKING_INSECURE_TLS") or "").lower() in ("1", "true"):
        return False
    return os.environ.get("MLFLOW_TRACKING_SERVER_CERT_PATH") or True


def _env_auth() -> httpx.Auth | None:
    token = os.environ.get("MLFLOW_TRACKING_TOKEN")
    if token:
        return _HeaderAuth(f"Bearer {token}")
    user = os.environ.get("MLFLOW_TRACKING_USERNAME")
    password = os.environ.get("MLFLOW_TRACKING_PASSWORD")
    if user and password:
        raw = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
        return _HeaderAuth(f"Basic {raw}")
    return None


class _HeaderAuth(httpx.Auth):
    """Sends the environment's credentials unless the call brings its own ``Authorization``."""

    def __init__(self, header: str) -> None:
        self._header = header

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers.setdefault("Authorization", self._header)
        yield request


def raise_for_response(
    response: httpx.Response, what: str | None = None, *, not_found: str = "ENDPOINT_NOT_FOUND"
) -> None:
    """Raise the typed error an error response stands for (no-op for 2xx/3xx)."""
    if response.status_code < 400:
        return
    try:
        content = response.read()
    except httpx.HTTPError:  # a broken stream: the status is all there is
        content = b""
    if what is None:
        what = f"{response.request.method} {response.request.url}"
    raise error_from_response(response.status_code, content, what, not_found=not_found)


def _file_chunks(stream: IO[bytes]) -> Iterator[bytes]:
    while chunk := stream.read(CHUNK_SIZE):
        yield chunk


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
        verify: str | bool | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.max_retries = max_retries
        self.backoff_factor = backoff_factor
        self.backoff_max = backoff_max
        client_cert = os.environ.get("MLFLOW_TRACKING_CLIENT_CERT_PATH") or None
        self.client = httpx.Client(
            timeout=httpx.Timeout(timeout, connect=10.0),
            auth=_env_auth(),
            verify=tls_verify() if verify is None else verify,
            cert=client_cert,
            limits=httpx.Limits(max_connections=64, max_keepalive_connections=32),
            headers={"User-Agent": "modelyard"},
        )

    def url(self, path: str) -> str:
        return self.base_url + (path if path.startswith("/") else "/" + path)

    def _sleep(
        self, attempt: int, response: httpx.Response | None, backoff_factor: float | None = None
    ) -> None:
        factor = self.backoff_factor if backoff_factor is None else max(0.0, backoff_factor)
        delay = min(self.backoff_max, factor * (2**attempt))
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
        body: IO[bytes] | None = None,
        stream: bool = False,
        retry: bool = True,
        what: str | None = None,
        not_found: str = "ENDPOINT_NOT_FOUND",
        max_retries: int | None = None,
        backoff_factor: float | None = None,
    ) -> httpx.Response:
        """Send with retries; error statuses raise typed errors. ``path`` is relative to the base
        URL, or a full URL on the same server. ``body`` is a seekable file sent in chunks (rewound
        before a retry). With ``stream=True`` the caller reads and closes the response
        (``iter_bytes`` / ``close``). ``what`` names the call in error messages; ``not_found`` is
        the error code of a bare 404."""
        hdrs = dict(headers or {})
        if json is not None:
            content = orjson.dumps(json)
            hdrs.setdefault("Content-Type", "application/json")
        url = path if path.startswith(("http://", "https://")) else self.url(path)
        query = _query(params)
        start = body.tell() if body is not None else 0
        retries = self.max_retries if max_retries is None else max(0, max_retries)
        attempts = retries + 1 if retry else 1
        for attempt in range(attempts):
            last = attempt == attempts - 1
            if body is not None:
                body.seek(start)
                content = _file_chunks(body)
            try:
                request = self.client.build_request(
                    method, url, params=query, content=content, headers=hdrs
                )
                response = self.client.send(request, stream=stream)
            except _RETRY_EXCEPTIONS as exc:
                if last:
                    raise TemporarilyUnavailable(
                        f"{what or method + ' ' + url} failed: could not reach {self.base_url} "
                        f"after {attempt + 1} attempts ({type(exc).__name__}: {exc})"
                    ) from exc
                self._sleep(attempt, None, backoff_factor)
                continue
            if response.status_code in RETRY_STATUSES and not last:
                response.close()
                self._sleep(attempt, response, backoff_factor)
                continue
            if response.status_code >= 400:
                try:
                    raise_for_response(response, what, not_found=not_found)
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
    """The shared session of ``base_url`` in this process (created on first use; a change of
    the TLS settings in the environment gives a new one)."""
    key = (os.getpid(), base_url.rstrip("/"), str(tls_verify()))
    session = _sessions.get(key)
    if session is None:
        with _lock:
            session = _sessions.get(key)
            if session is None:
                session = _sessions[key] = HttpSession(base_url)
    return session
