"""The tracking server's web UI: a static single-page app (plain HTML, CSS and ES modules).

``GET /`` serves ``static/index.html``; ``GET /static-files/<path>`` serves the files under
``static/`` (never outside it, vendored libraries under ``static/vendor/``); ``GET /favicon.ico``
serves the SVG icon. The page talks only to the ``/ajax-api/2.0/mlflow/*`` JSON API
and the artifact routes, with URLs relative to the page, so it also works under a static prefix.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path

from starlette.responses import FileResponse, RedirectResponse, Response

from modelyard.errors import ResourceDoesNotExist
from modelyard.server.routing import Call, Endpoint

__all__ = ["ENDPOINTS", "STATIC_DIR"]

STATIC_DIR = Path(__file__).resolve().parent / "static"

_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
}
_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-cache",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; "
        "script-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'"
    ),
}


def _static_file(rel: str) -> Path:
    """The file ``rel`` under :data:`STATIC_DIR`, refusing anything that resolves outside it."""
    if "\x00" in rel or "\\" in rel:
        raise ResourceDoesNotExist(f"No UI file {rel!r}.")
    path = (STATIC_DIR / rel.lstrip("/")).resolve()
    if not path.is_relative_to(STATIC_DIR) or not path.is_file():
        raise ResourceDoesNotExist(f"No UI file {rel!r}.")
    return path


def _file(path: Path) -> Response:
    media_type = _TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0]
    return FileResponse(path, media_type=media_type or "application/octet-stream", headers=_HEADERS)


async def index(call: Call) -> Response:
    path = call.request.url.path
    if not path.endswith("/"):  # /<static-prefix> -> /<static-prefix>/ so relative URLs resolve
        return RedirectResponse(path + "/", status_code=308)
    return _file(STATIC_DIR / "index.html")


async def favicon(call: Call) -> Response:
    return _file(STATIC_DIR / "favicon.svg")


async def static_file(call: Call) -> Response:
    return _file(_static_file(call.path_params["path"]))


ENDPOINTS: list[Endpoint] = [
    Endpoint("GET", "/", index, absolute=True),
    Endpoint("GET", "/static-files/{path:path}", static_file, absolute=True, body="query"),
    Endpoint("GET", "/favicon.ico", favicon, absolute=True, body="query"),
]
