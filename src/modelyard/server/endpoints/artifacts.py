"""The artifact proxy (``/api/2.0/mlflow-artifacts/artifacts[/<path>]``, compat spec §3.5, §6).

Paths are relative to ``artifacts_destination`` and pass :func:`safe_relative_path` before any
repository sees them (the repositories check again, and the local one resolves symlinks inside
the root). Uploads and downloads stream: a PUT body is handed to the repository's
``put_stream`` chunk by chunk from a worker thread, never held in memory as a whole.
"""

from __future__ import annotations

import io
import mimetypes
import os
from collections.abc import AsyncIterator, Iterator
from typing import Any, BinaryIO
from urllib.parse import quote

import anyio
import anyio.from_thread
import anyio.to_thread
from starlette.concurrency import iterate_in_threadpool
from starlette.responses import FileResponse, Response, StreamingResponse

from modelyard.errors import InvalidParameterValue, ResourceDoesNotExist
from modelyard.server.errors import PayloadTooLarge
from modelyard.server.routing import Call, Endpoint, read_body
from modelyard.store.artifacts.base import ArtifactRepository
from modelyard.store.artifacts.paths import safe_relative_path
from modelyard.wire.paths import ARTIFACTS_PROXY_PATH

__all__ = ["ENDPOINTS", "file_response"]

CHUNK_SIZE = 1024 * 1024


def _path(call: Call) -> str:
    rel = safe_relative_path(call.path_params.get("path", ""))
    if not rel:
        raise InvalidParameterValue("Invalid path: an artifact file path is required.")
    return rel


def list_artifacts(call: Call) -> dict[str, Any]:
    rel = safe_relative_path(call.args.str("path") or "")
    files = call.ctx.artifacts.list_artifacts(rel or None)
    out = []
    for f in sorted(files, key=lambda f: f.path):
        entry: dict[str, Any] = {"path": f.path.rsplit("/", 1)[-1], "is_dir": f.is_dir}
        if not f.is_dir and f.file_size is not None:
            entry["file_size"] = f.file_size
        out.append(entry)
    return {"files": out} if out else {}


def _download_headers(rel: str) -> dict[str, str]:
    name = rel.rsplit("/", 1)[-1]
    ascii_name = name.encode("ascii", "replace").decode().replace('"', "_").replace("?", "_")
    return {
        "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}",
        "X-Content-Type-Options": "nosniff",
    }


def _media_type(rel: str) -> str:
    guessed, _ = mimetypes.guess_type(rel.rsplit("/", 1)[-1])
    return guessed or "application/octet-stream"


def _open(repo: ArtifactRepository, rel: str) -> BinaryIO:
    try:
        return repo.open_artifact(rel)
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        raise ResourceDoesNotExist(f"Artifact '{rel}' does not exist.") from None


def _chunks(stream: BinaryIO) -> Iterator[bytes]:
    try:
        while chunk := stream.read(CHUNK_SIZE):
            yield chunk
    finally:
        stream.close()


async def file_response(repo: ArtifactRepository, rel: str) -> Response:
    """Stream one file of ``repo`` as an attachment (404 JSON when it does not exist)."""
    stream = await anyio.to_thread.run_sync(_open, repo, rel)
    headers = _download_headers(rel)
    media_type = _media_type(rel)
    local_name = getattr(stream, "name", None)
    if (
        isinstance(stream, io.BufferedReader)
        and isinstance(local_name, str)
        and os.path.isfile(local_name)
    ):
        stream.close()  # a local file: let Starlette send it (Range support, no Python loop)
        return FileResponse(local_name, media_type=media_type, headers=headers)
    return StreamingResponse(
        iterate_in_threadpool(_chunks(stream)), media_type=media_type, headers=headers
    )


async def download_artifact(call: Call) -> Response:
    rel = _path(call)
    return await file_response(call.ctx.artifacts, rel)


async def get_run_artifact(call: Call) -> Response:
    """UI route ``GET /get-artifact?run_id&path``: one file of a run, by run-relative path."""
    rel = safe_relative_path(call.args.req_str("path"))
    if not rel:
        raise InvalidParameterValue("Invalid path: an artifact file path is required.")
    run_id = call.args.run_id()
    assert run_id is not None
    run = await anyio.to_thread.run_sync(call.tracking.get_run, run_id)
    repo = await anyio.to_thread.run_sync(call.ctx.repository_for, run.info.artifact_uri)
    return await file_response(repo, rel)


async def get_logged_model_artifact(call: Call) -> Response:
    """UI route ``GET /logged-models/{model_id}/artifacts/files?artifact_file_path=...``."""
    rel = safe_relative_path(call.args.req_str("artifact_file_path"))
    if not rel:
        raise InvalidParameterValue("Invalid path: an artifact file path is required.")
    model = await anyio.to_thread.run_sync(
        call.tracking.get_logged_model, call.path_params["model_id"]
    )
    repo = await anyio.to_thread.run_sync(call.ctx.repository_for, model.artifact_location)
    return await file_response(repo, rel)


class _RequestReader(io.RawIOBase):
    """A blocking, file-like view of an ASGI request body for a worker thread."""

    def __init__(self, chunks: AsyncIterator[bytes], limit: int) -> None:
        self._chunks = chunks
        self._buffer = b""
        self._done = False
        self._limit = limit
        self.total = 0

    def readable(self) -> bool:
        return True

    async def _next(self) -> bytes:
        try:
            return await self._chunks.__anext__()
        except StopAsyncIteration:
            return b""

    def read(self, size: int = -1) -> bytes:
        while not self._done and (size < 0 or len(self._buffer) < size):
            chunk = anyio.from_thread.run(self._next)
            if not chunk:
                self._done = True
                break
            self.total += len(chunk)
            if self.total > self._limit:
                raise PayloadTooLarge(
                    f"Artifact upload is larger than the limit of {self._limit} bytes."
                )
            self._buffer += chunk
        if size < 0:
            data, self._buffer = self._buffer, b""
        else:
            data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data

    def readinto(self, b: Any) -> int:
        data = self.read(len(b))
        b[: len(data)] = data
        return len(data)


async def upload_artifact(call: Call) -> dict[str, Any]:
    rel = _path(call)
    repo = call.ctx.artifacts
    limit = call.ctx.config.max_artifact_bytes
    declared = call.request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"Artifact upload is larger than the limit of {limit} bytes.")
    reader: BinaryIO = _RequestReader(call.request.stream().__aiter__(), limit)  # type: ignore[assignment]
    await anyio.to_thread.run_sync(repo.put_stream, rel, reader)
    return {}


async def upload_run_artifact(call: Call) -> dict[str, Any]:
    """UI route ``POST /ajax-api/2.0/mlflow/upload-artifact?run_uuid=&path=``: the body becomes
    one file of the run's artifacts, with the proxy's path and size checks."""
    a = call.args
    run_id = a.str("run_uuid") or a.str("run_id")
    if not run_id:
        raise InvalidParameterValue("Request must specify run_uuid.")
    path = a.str("path")
    if not path:
        raise InvalidParameterValue("Request must specify path.")
    rel = safe_relative_path(path)
    if not rel:
        raise InvalidParameterValue("Invalid path: an artifact file path is required.")
    data = await read_body(call.request, call.ctx.config.max_artifact_bytes)
    if not data:
        raise InvalidParameterValue("Request must specify data.")
    run = await anyio.to_thread.run_sync(call.tracking.get_run, run_id)
    repo = await anyio.to_thread.run_sync(call.ctx.repository_for, run.info.artifact_uri)
    await anyio.to_thread.run_sync(repo.put_stream, rel, io.BytesIO(data))
    return {}


def delete_artifact(call: Call) -> dict[str, Any]:
    rel = _path(call)
    call.ctx.artifacts.delete_artifacts(rel)
    return {}


_A = ARTIFACTS_PROXY_PATH
ENDPOINTS: list[Endpoint] = [
    Endpoint("GET", _A, list_artifacts),
    Endpoint("GET", f"{_A}/{{path:path}}", download_artifact, body="query"),
    Endpoint("PUT", f"{_A}/{{path:path}}", upload_artifact, body="stream"),
    Endpoint("DELETE", f"{_A}/{{path:path}}", delete_artifact, body="stream"),
    Endpoint("GET", "/get-artifact", get_run_artifact, absolute=True),
    Endpoint("POST", "/mlflow/upload-artifact", upload_run_artifact, body="query"),
    Endpoint("GET", "/mlflow/logged-models/{model_id}/artifacts/files", get_logged_model_artifact),
]
