"""Client of MLflow's artifact proxy (``/api/2.0/mlflow-artifacts/artifacts``).

Accepted URIs (see :func:`parse_proxy_uri`)::

    mlflow-artifacts:/<root>                    server = the tracking URI
    mlflow-artifacts://host:port/<root>         server = that host (scheme and path prefix
                                                come from the tracking URI when it is http(s))
    http(s)://host[:port][/prefix]/api/2.0/mlflow-artifacts/artifacts/<root>

Wire protocol: list = ``GET …/artifacts?path=<root/rel>`` answering basenames (turned here into
paths relative to this repository's root), download = ``GET …/artifacts/<root/rel>`` (streamed),
upload = ``PUT`` with the raw body, delete = ``DELETE``. Every upload is sent with a
``Content-Length``: a stream that cannot seek is first spooled to a temporary file, which also
makes it safe to retry.

Transport, retries, TLS and credentials are the package's one HTTP stack
(:mod:`modelyard.store._http`); ``user:password@`` in the URL takes precedence over the
environment's credentials.
"""

from __future__ import annotations

import base64
import io
import mimetypes
import os
import posixpath
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO
from urllib.parse import quote, unquote, urlsplit

from modelyard.entities import FileInfo
from modelyard.errors import InvalidParameterValue, ModelyardError, ResourceDoesNotExist
from modelyard.settings import env_tracking_uri
from modelyard.store._http import get_session
from modelyard.store.artifacts._localfs import (
    CHUNK_SIZE,
    TMP_PREFIX,
    iter_local_files,
    new_download_dir,
)
from modelyard.store.artifacts.base import ArtifactRepository
from modelyard.store.artifacts.paths import join_relative, safe_relative_path
from modelyard.wire.paths import ARTIFACTS_PROXY_ROOT as PROXY_ROOT

if TYPE_CHECKING:  # pragma: no cover
    import httpx

__all__ = [
    "MlflowArtifactsRepository",
    "ProxyLocation",
    "parse_proxy_uri",
]

_SPOOL_IN_MEMORY = 8 * 1024 * 1024


@dataclass(frozen=True)
class ProxyLocation:
    """Where a proxy URI points: the server's base URL and the root path on the proxy."""

    base_url: str  # scheme://host[:port][/prefix], no trailing slash
    root: str  # relative path under the proxy root ("" = the whole artifact store)
    username: str | None = None
    password: str | None = None

    @property
    def artifacts_url(self) -> str:
        return self.base_url + PROXY_ROOT


def _split_userinfo(netloc: str) -> tuple[str, str | None, str | None]:
    if "@" not in netloc:
        return netloc, None, None
    userinfo, _, host = netloc.rpartition("@")
    user, _, password = userinfo.partition(":")
    return host, unquote(user), unquote(password) if password else None


def _check_host(netloc: str, uri: str) -> None:
    """``mlflow-artifacts://5000/x`` names a port but no host: refuse it."""
    split = urlsplit(f"//{netloc}")
    try:
        float(split.hostname or "")
    except ValueError:
        return
    if split.port is None:
        raise InvalidParameterValue(
            f"Invalid artifact URI {uri!r}: {netloc!r} looks like a port with no host"
        )


def parse_proxy_uri(artifact_uri: str, tracking_uri: str | None = None) -> ProxyLocation:
    """Resolve an artifact-proxy URI to a server base URL and a root path.

    ``tracking_uri`` (default: the environment's tracking URI) supplies the server for
    ``mlflow-artifacts:/…`` URIs without a host, and the scheme and path prefix for those with
    one.
    """
    parts = urlsplit(artifact_uri)
    scheme = parts.scheme.lower()
    if scheme in ("http", "https"):
        index = parts.path.find(PROXY_ROOT)
        rest = parts.path[index + len(PROXY_ROOT) :] if index >= 0 else None
        if rest is None or (rest and not rest.startswith("/")) or not parts.netloc:
            raise InvalidParameterValue(
                f"Invalid artifact URI {artifact_uri!r}: an http(s) artifact URI must point "
                f"into {PROXY_ROOT}"
            )
        host, user, password = _split_userinfo(parts.netloc)
        base = f"{scheme}://{host}{parts.path[:index].rstrip('/')}"
        root = safe_relative_path(unquote(rest.lstrip("/")), "artifact_uri")
        return ProxyLocation(base, root, user, password)
    if scheme != "mlflow-artifacts":
        raise InvalidParameterValue(
            f"Invalid artifact URI {artifact_uri!r}: expected mlflow-artifacts: or an http(s) "
            "artifact-proxy URL"
        )
    if parts.query or parts.fragment:
        raise InvalidParameterValue(
            f"Invalid artifact URI {artifact_uri!r}: no query or fragment allowed"
        )
    root = safe_relative_path(parts.path.lstrip("/"), "artifact_uri")
    tracking = tracking_uri if tracking_uri is not None else env_tracking_uri()
    track = urlsplit(tracking or "")
    track_is_http = track.scheme.lower() in ("http", "https") and bool(track.netloc)
    if parts.netloc:
        _check_host(parts.netloc, artifact_uri)
        host, user, password = _split_userinfo(parts.netloc)
        t_scheme = track.scheme.lower() if track_is_http else "http"
        prefix = track.path.rstrip("/") if track_is_http else ""
        return ProxyLocation(f"{t_scheme}://{host}{prefix}", root, user, password)
    if not track_is_http:
        raise InvalidParameterValue(
            f"Cannot resolve artifact URI {artifact_uri!r}: it names no server, and the "
            f"tracking URI {_redact(tracking)!r} is not an http(s) URL. Set the tracking URI "
            "(MLFLOW_TRACKING_URI) to the modelyard/MLflow server."
        )
    host, user, password = _split_userinfo(track.netloc)
    base = f"{track.scheme.lower()}://{host}{track.path.rstrip('/')}"
    return ProxyLocation(base, root, user, password)


def _redact(uri: str | None) -> str:
    if not uri:
        return ""
    parts = urlsplit(uri)
    host = parts.netloc.rpartition("@")[2]
    return f"{parts.scheme}://{host}{parts.path}" if parts.scheme else uri


def _userinfo_auth(location: ProxyLocation) -> dict[str, str]:
    """An ``Authorization`` header for credentials written into the URI (else the session's
    credentials from the environment apply)."""
    if location.username is None:
        return {}
    raw = f"{location.username}:{location.password or ''}".encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode("ascii")}


class _ResponseReader(io.RawIOBase):
    """A readable binary stream over a streaming ``httpx.Response``; closing it closes the
    response."""

    def __init__(self, response: httpx.Response) -> None:
        self._response = response
        self._chunks = response.iter_bytes(CHUNK_SIZE)
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._pending = chunk
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n

    def close(self) -> None:
        if not self.closed:
            self._response.close()
        super().close()


class MlflowArtifactsRepository(ArtifactRepository):
    """Artifacts behind a modelyard or MLflow server's artifact proxy."""

    def __init__(
        self,
        artifact_uri: str,
        tracking_uri: str | None = None,
        *,
        max_retries: int = 5,
        backoff_factor: float = 0.5,
    ) -> None:
        super().__init__(artifact_uri)
        self.location = parse_proxy_uri(artifact_uri, tracking_uri)
        self.max_retries = max(0, max_retries)
        self.backoff_factor = max(0.0, backoff_factor)

    @property
    def base_url(self) -> str:
        return self.location.base_url

    @property
    def root(self) -> str:
        return self.location.root

    # -- transport -----------------------------------------------------------------------

    def _url(self, rel: str) -> str:
        full = join_relative(self.root, rel)
        return f"{self.location.artifacts_url}/{quote(full, safe='/')}"

    def _send(
        self,
        method: str,
        url: str,
        what: str,
        *,
        params: dict[str, str] | None = None,
        body: BinaryIO | None = None,
        headers: dict[str, str] | None = None,
        stream: bool = False,
    ) -> httpx.Response:
        """One request with bounded retries; returns a 2xx response or raises a typed error
        (a bare 404 is a missing artifact)."""
        return get_session(self.base_url).request(
            method,
            url,
            params=params,
            body=body,
            headers={**_userinfo_auth(self.location), **(headers or {})},
            stream=stream,
            what=what,
            not_found="RESOURCE_DOES_NOT_EXIST",
            max_retries=self.max_retries,
            backoff_factor=self.backoff_factor,
        )

    def _put_file(self, rel: str, body: BinaryIO, size: int) -> None:
        content_type = mimetypes.guess_type(posixpath.basename(rel))[0]
        headers = {
            "Content-Type": content_type or "application/octet-stream",
            "Content-Length": str(size),
        }
        self._send("PUT", self._url(rel), f"Upload of {rel!r}", body=body, headers=headers).close()

    # -- writes --------------------------------------------------------------------------

    def log_artifact(self, local_file: str, artifact_path: str | None = None) -> None:
        src = Path(local_file)
        if not src.is_file():
            raise InvalidParameterValue(f"Invalid local_file {local_file!r}: not a file")
        rel_dir = safe_relative_path(artifact_path, "artifact_path")
        with open(src, "rb") as f:
            self._put_file(join_relative(rel_dir, src.name), f, src.stat().st_size)

    def log_artifacts(self, local_dir: str, artifact_path: str | None = None) -> None:
        src = Path(local_dir)
        if not src.is_dir():
            raise InvalidParameterValue(f"Invalid local_dir {local_dir!r}: not a directory")
        rel_dir = safe_relative_path(artifact_path, "artifact_path")
        for full, rel in iter_local_files(src):
            with open(full, "rb") as f:
                self._put_file(join_relative(rel_dir, rel), f, full.stat().st_size)

    def put_stream(self, artifact_file: str, stream: BinaryIO) -> int:
        rel = safe_relative_path(artifact_file, "artifact_file")
        if not rel:
            raise InvalidParameterValue("Invalid path for 'artifact_file': a file name is required")
        seekable = False
        try:
            seekable = stream.seekable()
        except (AttributeError, OSError):
            seekable = False
        if seekable:
            start = stream.tell()
            size = stream.seek(0, os.SEEK_END) - start
            stream.seek(start)
            self._put_file(rel, stream, size)
            return size
        with tempfile.SpooledTemporaryFile(_SPOOL_IN_MEMORY, prefix=TMP_PREFIX) as spool:
            shutil.copyfileobj(stream, spool, CHUNK_SIZE)
            size = spool.tell()
            spool.seek(0)
            self._put_file(rel, spool, size)  # type: ignore[arg-type]
        return size

    # -- reads ---------------------------------------------------------------------------

    def list_artifacts(self, path: str | None = None) -> list[FileInfo]:
        rel = safe_relative_path(path, "path")
        full = join_relative(self.root, rel)
        params = {"path": full} if full else None
        response = self._send("GET", self.location.artifacts_url, f"Listing {rel!r}", params=params)
        try:
            payload = response.json() if response.content else {}
        except ValueError as exc:
            raise ModelyardError(f"Listing {rel!r}: the server answered non-JSON") from exc
        infos: list[FileInfo] = []
        for entry in payload.get("files", []) if isinstance(payload, dict) else []:
            name = safe_relative_path(str(entry.get("path", "")), "files.path")
            if not name or "/" in name:
                raise ModelyardError(f"Listing {rel!r}: the server sent a bad name {name!r}")
            size = entry.get("file_size")
            is_dir = bool(entry.get("is_dir", False))
            # proto3 JSON omits zeros: a file without "file_size" is empty.
            file_size = None if is_dir else int(size or 0)
            infos.append(FileInfo(join_relative(rel, name), is_dir, file_size))
        # A listing of a file may come back as that single file: that means "not a directory".
        if (
            len(infos) == 1
            and not infos[0].is_dir
            and infos[0].path == join_relative(rel, posixpath.basename(rel))
        ):
            return []
        return sorted(infos, key=lambda info: info.path)

    def _download_file(self, rel: str, dest: Path) -> None:
        response = self._send("GET", self._url(rel), f"Download of {rel!r}", stream=True)
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=TMP_PREFIX, dir=dest.parent)
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in response.iter_bytes(CHUNK_SIZE):
                    out.write(chunk)
            os.replace(tmp, dest)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        finally:
            response.close()

    def _download_tree(self, rel: str, local: Path) -> None:
        local.mkdir(parents=True, exist_ok=True)
        for info in self.list_artifacts(rel):
            name = posixpath.basename(info.path)
            if info.is_dir:
                self._download_tree(info.path, local / name)
            else:
                self._download_file(info.path, local / name)

    def download_artifacts(self, artifact_path: str, dst_path: str | None = None) -> str:
        rel = safe_relative_path(artifact_path, "artifact_path")
        children = self.list_artifacts(rel)
        dst = new_download_dir(dst_path)
        local = dst / rel if rel else dst
        try:
            if children or not rel:
                self._download_tree(rel, local)
            else:
                self._download_file(rel, local)
        except BaseException:
            if dst_path is None:  # do not leave an empty temp dir behind
                shutil.rmtree(dst, ignore_errors=True)
            raise
        return str(local)

    def open_artifact(self, artifact_file: str) -> BinaryIO:
        rel = safe_relative_path(artifact_file, "artifact_file")
        if not rel and not self.root:
            raise ResourceDoesNotExist(f"Artifact '' is not a file in {self.artifact_uri}")
        response = self._send("GET", self._url(rel), f"Download of {rel!r}", stream=True)
        return io.BufferedReader(_ResponseReader(response), CHUNK_SIZE)

    # -- delete --------------------------------------------------------------------------

    def delete_artifacts(self, artifact_path: str | None = None) -> None:
        rel = safe_relative_path(artifact_path, "artifact_path")
        if not join_relative(self.root, rel):
            # The proxy has no route for its own root: delete each top-level entry.
            for info in self.list_artifacts(""):
                self.delete_artifacts(info.path)
            return
        try:
            self._send("DELETE", self._url(rel), f"Delete of {rel!r}").close()
        except ResourceDoesNotExist:
            return
