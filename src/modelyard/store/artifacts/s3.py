"""Artifacts in S3 or any S3-compatible store (``s3://bucket/prefix``).

``boto3`` is imported inside functions only, so importing this module costs nothing. The
endpoint comes from ``MODELYARD_S3_ENDPOINT_URL`` (else ``MLFLOW_S3_ENDPOINT_URL``, else AWS);
``MODELYARD_S3_IGNORE_TLS`` / ``MLFLOW_S3_IGNORE_TLS`` turn off certificate checks. Credentials
and region follow boto3's normal chain. One client per (endpoint, TLS) pair is shared by all
repositories; boto3 clients are thread-safe.

Object keys are ``<prefix>/<relative path>``. Directories are key prefixes: S3 has no empty
directories, and zero-byte "folder marker" objects (keys ending in ``/``) are ignored. Large
files go through boto3's transfer manager, which switches to multipart uploads above
:data:`MULTIPART_THRESHOLD`.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO
from urllib.parse import urlsplit

from modelyard.entities import FileInfo
from modelyard.errors import InvalidParameterValue, ResourceDoesNotExist
from modelyard.store.artifacts._localfs import (
    TMP_PREFIX,
    iter_local_files,
    new_download_dir,
)
from modelyard.store.artifacts.base import ArtifactRepository
from modelyard.store.artifacts.paths import join_relative, safe_relative_path

if TYPE_CHECKING:  # pragma: no cover
    from botocore.client import BaseClient

__all__ = ["MULTIPART_CHUNK_SIZE", "MULTIPART_THRESHOLD", "S3ArtifactRepository", "parse_s3_uri"]

MULTIPART_THRESHOLD = 8 * 1024 * 1024
MULTIPART_CHUNK_SIZE = 8 * 1024 * 1024
_DELETE_BATCH = 1000

_clients: dict[tuple[int, str | None, bool], Any] = {}
_clients_lock = threading.Lock()


def _env(*names: str) -> str | None:
    for name in names:
        value = os.environ.get(name)
        if value:
            return value
    return None


def _s3_client(endpoint_url: str | None, verify: bool) -> BaseClient:
    key = (os.getpid(), endpoint_url, verify)  # never share a client across a fork
    with _clients_lock:
        client = _clients.get(key)
        if client is None:
            import boto3
            from botocore.config import Config

            config = Config(retries={"max_attempts": 5, "mode": "standard"})
            client = boto3.session.Session().client(
                "s3", endpoint_url=endpoint_url, verify=verify, config=config
            )
            _clients[key] = client
        return client


def _transfer_config() -> Any:
    from boto3.s3.transfer import TransferConfig

    return TransferConfig(
        multipart_threshold=MULTIPART_THRESHOLD, multipart_chunksize=MULTIPART_CHUNK_SIZE
    )


def parse_s3_uri(artifact_uri: str) -> tuple[str, str]:
    """``(bucket, prefix)`` of an ``s3://bucket/prefix`` URI; the prefix is normalized."""
    parts = urlsplit(artifact_uri)
    if parts.scheme.lower() != "s3" or not parts.netloc:
        raise InvalidParameterValue(
            f"Invalid S3 artifact URI {artifact_uri!r}: expected s3://<bucket>/<prefix>"
        )
    if parts.query or parts.fragment:
        raise InvalidParameterValue(
            f"Invalid S3 artifact URI {artifact_uri!r}: no query or fragment allowed"
        )
    prefix = safe_relative_path(parts.path.lstrip("/"), "artifact_uri")
    return parts.netloc, prefix


class _CountingReader:
    """Wraps a stream and counts the bytes boto3 reads from it."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size)
        self.count += len(data)
        return data


class S3ArtifactRepository(ArtifactRepository):
    """An artifact root under an S3 bucket prefix."""

    #: Keys per listing request (S3 caps it at 1000); lower it to exercise pagination.
    page_size: int = 1000

    def __init__(self, artifact_uri: str) -> None:
        super().__init__(artifact_uri)
        self.bucket, self.prefix = parse_s3_uri(artifact_uri)
        self.endpoint_url = _env("MODELYARD_S3_ENDPOINT_URL", "MLFLOW_S3_ENDPOINT_URL")
        ignore_tls = (_env("MODELYARD_S3_IGNORE_TLS", "MLFLOW_S3_IGNORE_TLS") or "").lower()
        self.verify_tls = ignore_tls not in ("1", "true", "yes", "on")

    @property
    def client(self) -> BaseClient:
        return _s3_client(self.endpoint_url, self.verify_tls)

    # -- helpers -------------------------------------------------------------------------

    def _key(self, rel: str) -> str:
        return join_relative(self.prefix, rel)

    def _dir_prefix(self, rel: str) -> str:
        key = self._key(rel)
        return f"{key}/" if key else ""

    def _iter_keys(self, dir_prefix: str, markers: bool = False) -> Iterator[tuple[str, int]]:
        """Every object under ``dir_prefix`` (recursive) as ``(key, size)``; folder markers
        (keys ending in ``/``) only when ``markers`` is true."""
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(
            Bucket=self.bucket,
            Prefix=dir_prefix,
            PaginationConfig={"PageSize": self.page_size},
        ):
            for obj in page.get("Contents", ()):
                if markers or not obj["Key"].endswith("/"):
                    yield obj["Key"], int(obj["Size"])

    def _is_file(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        if not key:
            return False
        try:
            self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True

    def _upload_fileobj(self, stream: Any, rel: str) -> None:
        self.client.upload_fileobj(stream, self.bucket, self._key(rel), Config=_transfer_config())

    def _download_key(self, key: str, dest: Path) -> None:
        import tempfile

        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=TMP_PREFIX, dir=dest.parent)
        os.close(fd)
        try:
            self.client.download_file(self.bucket, key, tmp, Config=_transfer_config())
            os.replace(tmp, dest)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    # -- writes --------------------------------------------------------------------------

    def log_artifact(self, local_file: str, artifact_path: str | None = None) -> None:
        src = Path(local_file)
        if not src.is_file():
            raise InvalidParameterValue(f"Invalid local_file {local_file!r}: not a file")
        rel_dir = safe_relative_path(artifact_path, "artifact_path")
        self.client.upload_file(
            str(src),
            self.bucket,
            self._key(join_relative(rel_dir, src.name)),
            Config=_transfer_config(),
        )

    def log_artifacts(self, local_dir: str, artifact_path: str | None = None) -> None:
        src = Path(local_dir)
        if not src.is_dir():
            raise InvalidParameterValue(f"Invalid local_dir {local_dir!r}: not a directory")
        rel_dir = safe_relative_path(artifact_path, "artifact_path")
        for full, rel in iter_local_files(src):
            self.client.upload_file(
                str(full),
                self.bucket,
                self._key(join_relative(rel_dir, rel)),
                Config=_transfer_config(),
            )

    def put_stream(self, artifact_file: str, stream: BinaryIO) -> int:
        rel = safe_relative_path(artifact_file, "artifact_file")
        if not rel:
            raise InvalidParameterValue("Invalid path for 'artifact_file': a file name is required")
        counter = _CountingReader(stream)
        self._upload_fileobj(counter, rel)
        return counter.count

    # -- reads ---------------------------------------------------------------------------

    def list_artifacts(self, path: str | None = None) -> list[FileInfo]:
        rel = safe_relative_path(path, "path")
        dir_prefix = self._dir_prefix(rel)
        infos: list[FileInfo] = []
        paginator = self.client.get_paginator("list_objects_v2")
        pages = paginator.paginate(
            Bucket=self.bucket,
            Prefix=dir_prefix,
            Delimiter="/",
            PaginationConfig={"PageSize": self.page_size},
        )
        for page in pages:
            for common in page.get("CommonPrefixes", ()):
                name = common["Prefix"][len(dir_prefix) :].rstrip("/")
                if name:
                    infos.append(FileInfo(join_relative(rel, name), True, None))
            for obj in page.get("Contents", ()):
                name = obj["Key"][len(dir_prefix) :]
                if name and "/" not in name:
                    infos.append(FileInfo(join_relative(rel, name), False, int(obj["Size"])))
        return sorted(infos, key=lambda info: info.path)

    def download_artifacts(self, artifact_path: str, dst_path: str | None = None) -> str:
        rel = safe_relative_path(artifact_path, "artifact_path")
        key = self._key(rel)
        if rel and self._is_file(key):
            dst = new_download_dir(dst_path)
            self._download_key(key, dst / rel)
            return str(dst / rel)
        dir_prefix = self._dir_prefix(rel)
        keys = list(self._iter_keys(dir_prefix))
        if not keys and rel:
            raise ResourceDoesNotExist(f"Artifact {rel!r} does not exist in {self.artifact_uri}")
        dst = new_download_dir(dst_path)
        local = dst / rel if rel else dst
        local.mkdir(parents=True, exist_ok=True)
        for sub_key, _size in keys:
            sub = safe_relative_path(sub_key[len(dir_prefix) :], "key")
            self._download_key(sub_key, local / sub)
        return str(local)

    def open_artifact(self, artifact_file: str) -> BinaryIO:
        from botocore.exceptions import ClientError

        rel = safe_relative_path(artifact_file, "artifact_file")
        if not rel:
            raise ResourceDoesNotExist(f"Artifact '' is not a file in {self.artifact_uri}")
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=self._key(rel))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                raise ResourceDoesNotExist(
                    f"Artifact {rel!r} does not exist in {self.artifact_uri}"
                ) from None
            raise
        return response["Body"]

    # -- delete --------------------------------------------------------------------------

    def delete_artifacts(self, artifact_path: str | None = None) -> None:
        rel = safe_relative_path(artifact_path, "artifact_path")
        keys = [key for key, _ in self._iter_keys(self._dir_prefix(rel), markers=True)]
        if rel and self._is_file(self._key(rel)):
            keys.append(self._key(rel))
        for start in range(0, len(keys), _DELETE_BATCH):
            batch = keys[start : start + _DELETE_BATCH]
            self.client.delete_objects(
                Bucket=self.bucket,
                Delete={"Objects": [{"Key": k} for k in batch], "Quiet": True},
            )
