"""One scoring call, shared by ``models serve`` and serving endpoints: read the body (with a size
limit), parse it, run it through the micro-batcher, and turn the outcome into a response."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from modelyard.errors import ModelyardError
from modelyard.server.errors import PayloadTooLarge
from modelyard.server.routing import read_body
from modelyard.serving._batcher import MicroBatcher
from modelyard.serving._protocol import (
    ScoringInput,
    UnsupportedMediaType,
    dumps_error,
    dumps_predictions,
    parse_request,
)
from modelyard.wire.errors import http_status

__all__ = [
    "Outcome",
    "error_response",
    "json_exception_handlers",
    "score",
    "score_asgi",
    "score_body",
]

_log = logging.getLogger("modelyard.serving")
JSON = "application/json"


@dataclass(slots=True)
class Outcome:
    """What a scoring call produced: the HTTP answer plus what the inference log records."""

    status: int
    body: bytes
    media_type: str
    scoring_input: ScoringInput | None = None
    predictions: Any = None

    def response(self, headers: dict[str, str] | None = None) -> Response:
        return Response(self.body, self.status, headers=headers, media_type=self.media_type)


def error_response(status: int, error_code: str, message: str, **extra: Any) -> Response:
    return Response(dumps_error(error_code, message, **extra), status, media_type=JSON)


def json_exception_handlers(
    not_found_message: Callable[[str], str] | None = None,
) -> dict[Any, Callable[..., Awaitable[Response]]]:
    """Starlette ``exception_handlers`` that answer unknown paths (404), wrong methods (405) and
    unexpected server errors (500) with MLflow's JSON error shape, never a traceback.

    ``not_found_message(path)`` may return a more helpful message for a path, or ``""``."""

    async def http_error(request: Request, exc: Exception) -> Response:
        status = getattr(exc, "status_code", 500)
        path = request.url.path
        method = request.method
        if status == 404:
            message = (not_found_message(path) if not_found_message else "") or (
                f"No route for {method} {path}."
            )
            return error_response(404, "ENDPOINT_NOT_FOUND", message)
        if status == 405:
            return error_response(
                405, "ENDPOINT_NOT_FOUND", f"Method {method} is not allowed for {path}."
            )
        detail = getattr(exc, "detail", "") or "The request failed."
        return error_response(status, "BAD_REQUEST" if status < 500 else "INTERNAL_ERROR", detail)

    async def server_error(request: Request, exc: Exception) -> Response:
        request_id = uuid.uuid4().hex
        _log.error(
            "request %s %s %s failed", request_id, request.method, request.url.path, exc_info=exc
        )
        return error_response(
            500,
            "INTERNAL_ERROR",
            f"Internal server error (request id {request_id}; details are in the server log).",
        )

    from starlette.exceptions import HTTPException

    return {HTTPException: http_error, Exception: server_error}


def _error(exc: ModelyardError, request_id: str = "") -> Outcome:
    """The JSON answer of a refused or failed call. A model's own traceback (kept on the error
    by the predictor) goes to the server log with the request id, never to the caller."""
    stack = getattr(exc, "stack_trace", None)
    if stack:
        _log.warning("request %s: scoring failed: %s\n%s", request_id, exc.message, stack)
    return Outcome(http_status(exc), dumps_error(exc.error_code, exc.message), JSON)


def _too_large(max_body_bytes: int) -> Outcome:
    return Outcome(
        413,
        dumps_error(
            "REQUEST_LIMIT_EXCEEDED",
            f"The request body is larger than the limit of {max_body_bytes} bytes "
            "(set --max-body-bytes / MODELYARD_SERVING_MAX_BODY_BYTES to change it).",
        ),
        JSON,
    )


async def score(
    request: Request,
    batcher: MicroBatcher,
    *,
    max_body_bytes: int,
    timeout_s: float | None,
    request_id: str = "",
) -> Outcome:
    try:
        body = await read_body(request, max_body_bytes)
    except PayloadTooLarge:
        return _too_large(max_body_bytes)
    # Starlette's own body cache, also for a streamed (chunked) body: the inference log and the
    # shadow copies read the request from it after scoring
    request._body = body
    return await score_body(
        body, request.headers.get("content-type"), batcher, timeout_s, request_id
    )


async def score_asgi(
    scope: Scope,
    receive: Receive,
    send: Send,
    batcher: MicroBatcher,
    *,
    max_body_bytes: int,
    timeout_s: float | None,
) -> Outcome:
    """The hot path of ``models serve``: raw ASGI, no Request/Response objects. The answer
    carries ``X-Request-Id`` (the id server-side logs of a failed call name)."""
    request_id = uuid.uuid4().hex
    content_type = None
    declared = None
    for key, value in scope["headers"]:
        if key == b"content-type":
            content_type = value.decode("latin-1")
        elif key == b"content-length":
            declared = value
    if declared is not None and declared.isdigit() and int(declared) > max_body_bytes:
        outcome = _too_large(max_body_bytes)
    else:
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                raise ConnectionAbortedError("client disconnected")
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > max_body_bytes:
                break
            chunks.append(chunk)
            more = message.get("more_body", False)
        if size > max_body_bytes:
            outcome = _too_large(max_body_bytes)
        else:
            body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
            outcome = await score_body(body, content_type, batcher, timeout_s, request_id)
    ctype = b"application/json" if outcome.media_type == JSON else b"text/plain; charset=utf-8"
    await send(
        {
            "type": "http.response.start",
            "status": outcome.status,
            "headers": [
                (b"content-type", ctype),
                (b"content-length", str(len(outcome.body)).encode()),
                (b"x-request-id", request_id.encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": outcome.body})
    return outcome


async def score_body(
    body: bytes,
    content_type: str | None,
    batcher: MicroBatcher,
    timeout_s: float | None,
    request_id: str = "",
) -> Outcome:
    try:
        inp = parse_request(body, content_type, batcher.predictor.input_types)
    except UnsupportedMediaType as exc:
        return Outcome(415, exc.message.encode(), "text/plain")
    except ModelyardError as exc:
        return _error(exc, request_id)
    try:
        if timeout_s:
            async with asyncio.timeout(timeout_s):
                predictions = await batcher.submit(inp)
        else:
            predictions = await batcher.submit(inp)
    except TimeoutError:
        return Outcome(
            504,
            dumps_error(
                "DEADLINE_EXCEEDED", f"Timeout: the request took longer than {timeout_s} s."
            ),
            JSON,
            inp,
        )
    except ModelyardError as exc:
        out = _error(exc, request_id)
        out.scoring_input = inp
        return out
    except Exception as exc:  # pragma: no cover - Predictor wraps model errors
        _log.error("request %s: prediction failed", request_id, exc_info=exc)
        message = f"The prediction failed (request id {request_id}; see the server log)."
        return Outcome(500, dumps_error("INTERNAL_ERROR", message), JSON, inp)
    try:
        payload = dumps_predictions(predictions)
    except Exception as exc:
        return Outcome(
            500,
            dumps_error("INTERNAL_ERROR", f"Could not serialize the predictions: {exc}"),
            JSON,
            inp,
        )
    return Outcome(200, payload, JSON, inp, predictions)
