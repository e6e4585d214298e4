"""The one place that turns errors into HTTP responses.

Every error body is JSON ``{"error_code": ..., "message": ...}``. The status comes from
:func:`modelyard.wire.errors.http_status` (the package's one code-to-status mapping); the two
transport errors defined here carry their own status (a body that is too large is 413, a wrong
method is 405). An
``OverflowError`` (a number in the request too large for the backend) is a 400. Anything
unexpected is logged and answered with 500 ``INTERNAL_ERROR``.
"""

from __future__ import annotations

import logging

from starlette.responses import Response

from modelyard.errors import EndpointNotFound, ModelyardError, RequestLimitExceeded
from modelyard.wire import dumps
from modelyard.wire.errors import HTTP_STATUS_BY_CODE, error_body, http_status

__all__ = [
    "MethodNotAllowed",
    "PayloadTooLarge",
    "error_response",
    "json_response",
]

_log = logging.getLogger("modelyard.server")


class PayloadTooLarge(RequestLimitExceeded):
    """A request body over the configured limit (413, so clients do not retry)."""

    http_status = 413


class MethodNotAllowed(EndpointNotFound):
    http_status = 405


def json_response(
    payload: object, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return Response(
        dumps(payload), status_code=status, media_type="application/json", headers=headers
    )


def error_response(exc: BaseException) -> Response:
    if isinstance(exc, ModelyardError):
        return json_response(error_body(exc), status=http_status(exc))
    if isinstance(exc, OverflowError):  # a number from the request that no backend can hold
        return json_response(
            {"error_code": "INVALID_PARAMETER_VALUE", "message": f"Value out of range: {exc}"},
            status=HTTP_STATUS_BY_CODE["INVALID_PARAMETER_VALUE"],
        )
    _log.exception("unhandled error while serving a request", exc_info=exc)
    return json_response(
        {"error_code": "INTERNAL_ERROR", "message": f"Internal server error: {type(exc).__name__}"},
        status=500,
    )
