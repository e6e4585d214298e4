"""MLflow's error wire format, and the one mapping between error codes and HTTP statuses.

A server answers an error with ``{"error_code": ..., "message": ...}`` and the status that
:func:`http_status` gives; a client turns such an answer back into the typed error of
:mod:`modelyard.errors` with :func:`error_from_response`. Both the tracking server and the serving
endpoints answer through here, and every HTTP client of the package reads answers through here.
"""

from __future__ import annotations

from typing import Any

import orjson

from modelyard.errors import ModelyardError, error_from_code

__all__ = [
    "HTTP_STATUS_BY_CODE",
    "code_for_status",
    "error_body",
    "error_from_response",
    "http_status",
]

#: HTTP status for each MLflow error code (MLflow 3.17.2 mapping, see the compat spec §1.7).
#: Deliberate difference: INVALID_STATE is answered with 400 here, because a 5xx makes the
#: MLflow client retry for minutes before failing.
HTTP_STATUS_BY_CODE: dict[str, int] = {
    "INVALID_PARAMETER_VALUE": 400,
    "BAD_REQUEST": 400,
    "RESOURCE_ALREADY_EXISTS": 400,
    "INVALID_STATE": 400,
    "MALFORMED_REQUEST": 400,
    "UNAUTHENTICATED": 401,
    "CUSTOMER_UNAUTHORIZED": 401,
    "PERMISSION_DENIED": 403,
    "RESOURCE_DOES_NOT_EXIST": 404,
    "NOT_FOUND": 404,
    "ENDPOINT_NOT_FOUND": 404,
    "ALREADY_EXISTS": 409,
    "RESOURCE_CONFLICT": 409,
    "ABORTED": 409,
    "REQUEST_LIMIT_EXCEEDED": 429,
    "RESOURCE_EXHAUSTED": 429,
    "CANCELLED": 499,
    "INTERNAL_ERROR": 500,
    "DATA_LOSS": 500,
    "NOT_IMPLEMENTED": 501,
    "TEMPORARILY_UNAVAILABLE": 503,
    "DEADLINE_EXCEEDED": 504,
}

#: The code a client assumes for an error answer whose body carries none (a proxy's HTML page).
_CODE_BY_STATUS: dict[int, str] = {
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


def http_status(exc: ModelyardError) -> int:
    """The status to answer ``exc`` with. A transport error may carry its own ``http_status``
    (413 for an oversized body, 405 for a wrong method)."""
    explicit = getattr(exc, "http_status", None)
    if isinstance(explicit, int):
        return explicit
    return HTTP_STATUS_BY_CODE.get(exc.error_code, 500)


def error_body(exc: ModelyardError) -> dict[str, str]:
    """The JSON object of an error answer."""
    return {"error_code": exc.error_code, "message": exc.message}


def code_for_status(status: int, *, not_found: str = "ENDPOINT_NOT_FOUND") -> str:
    """The error code of an error answer that carries none. ``not_found`` is what a bare 404
    means to the caller (an unknown route for an RPC, a missing file for an artifact)."""
    if status == 404:
        return not_found
    return _CODE_BY_STATUS.get(status, "INTERNAL_ERROR")


def error_from_response(
    status: int, content: bytes, what: str, *, not_found: str = "ENDPOINT_NOT_FOUND"
) -> ModelyardError:
    """The typed error an error answer stands for: the body's ``error_code`` and ``message``
    when it is MLflow's JSON error, else one derived from the status (``what`` names the call
    in the message)."""
    code: Any = None
    message: Any = None
    try:
        body = orjson.loads(content) if content else None
    except orjson.JSONDecodeError:
        body = None
    if isinstance(body, dict):
        code, message = body.get("error_code"), body.get("message")
    if not isinstance(code, str) or not code:
        code = code_for_status(status, not_found=not_found)
    if not isinstance(message, str) or not message:
        text = content[:500].decode("utf-8", "replace").strip()
        message = f"{what} failed: HTTP {status}" + (f": {text}" if text else "")
    return error_from_code(code, message)
