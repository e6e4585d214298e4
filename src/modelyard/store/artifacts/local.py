"""Artifacts in a local directory (``file:///abs``, ``file:/abs`` or a plain path).

Every relative path goes through :func:`~modelyard.store.artifacts.paths.safe_relative_path`
and then :func:`~modelyard.store.artifacts.paths.resolve_inside`, so neither a hostile string
nor a symlink planted inside the root can reach files outside it. Writes are atomic: a temp
file in the destination directory is renamed over the target. Listings and directory
downloads skip symlinks that lead outside the root; opening one raises PermissionDenied.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit
from urllib.request import url2pathname

from modelyard.entities import FileInfo
from modelyard.errors import InvalidParameterValue, ModelyardError, ResourceDoesNotExist
from modelyard.store.artifacts._localfs import (
    TMP_PREFIX,
    atomic_write_stream,
    copy_file_atomic,
    iter_local_files,
    new_download_dir,
    remove_tree_or_file,
)
from modelyard.store.artifacts.base import ArtifactRepository
from modelyard.store.artifacts.paths import join_relative, resolve_inside, safe_relative_path

__all__ = ["LocalArtifactRepository", "local_path_from_uri"]


def local_path_from_uri(artifact_uri: str) -> Path:
    """The absolute directory named by a ``file:`` URI or a plain path."""
    if not artifact_uri:
        raise InvalidParameterValue("Invalid artifact URI '': it must not be empty")
    if artifact_uri.startswith("file:"):
        parts = urlsplit(artifact_uri)
        if parts.netloc not in ("", "localhost"):
            raise InvalidParameterValue(
                f"Invalid artifact URI {artifact_uri!r}: file URIs must not name a remote host"
            )
        if parts.query or parts.fragment:
            raise InvalidParameterValue(
                f"Invalid artifact URI {artifact_uri!r}: file URIs take no query or fragment"
            )
        raw = url2pathname(parts.path)
    else:
        raw = artifact_uri
    if "\x00" in raw:
        raise InvalidParameterValue(f"Invalid artifact URI {artifact_uri!r}: NUL byte")
    return Path(os.path.abspath(raw))


class LocalArtifactRepository(ArtifactRepository):
    """An artifact root on the local filesystem. The directory is created on first write."""

    def __init__(self, artifact_uri: str) -> None:
        super().__init__(artifact_uri)
        self.root = local_path_from_uri(artifact_uri)

    # -- helpers -------------------------------------------------------------------------

    def _resolve(self, path: str | None, field: str) -> tuple[str, Path]:
        rel = safe_relative_path(path, field)
        return rel, resolve_inside(self.root, rel)

    def _inside(self, path: Path) -> bool:
        try:
            path.resolve().relative_to(self.root.resolve())
        except ValueError:
            return False
        return True

    def _write(self, rel: str, field: str, stream: BinaryIO) -> int:
        if not rel:
            raise InvalidParameterValue(f"Invalid path for '{field}': a file name is required")
        dest = resolve_inside(self.root, rel)
        if dest.is_dir():
            raise InvalidParameterValue(
                f"Invalid path {rel!r} for '{field}': it is an existing directory"
            )
        try:
            return atomic_write_stream(dest, stream)
        except (NotADirectoryError, FileExistsError) as exc:
            raise InvalidParameterValue(
                f"Invalid path {rel!r} for '{field}': a parent of it is a file"
            ) from exc

    # -- writes --------------------------------------------------------------------------

    def log_artifact(self, local_file: str, artifact_path: str | None = None) -> None:
        src = Path(local_file)
        if not src.is_file():
            raise InvalidParameterValue(f"Invalid local_file {local_file!r}: not a file")
        rel_dir = safe_relative_path(artifact_path, "artifact_path")
        with open(src, "rb") as f:
            self._write(join_relative(rel_dir, src.name), "artifact_path", f)

    def log_artifacts(self, local_dir: str, artifact_path: str | None = None) -> None:
        src = Path(local_dir)
        if not src.is_dir():
            raise InvalidParameterValue(f"Invalid local_dir {local_dir!r}: not a directory")
        rel_dir = safe_relative_path(artifact_path, "artifact_path")
        if rel_dir:
            resolve_inside(self.root, rel_dir).mkdir(parents=True, exist_ok=True)
        for full, rel in iter_local_files(src):
            with open(full, "rb") as f:
                self._write(join_relative(rel_dir, rel), "artifact_path", f)

    def put_stream(self, artifact_file: str, stream: BinaryIO) -> int:
        rel = safe_relative_path(artifact_file, "artifact_file")
        return self._write(rel, "artifact_file", stream)

    # -- reads ---------------------------------------------------------------------------

    def list_artifacts(self, path: str | None = None) -> list[FileInfo]:
        rel, target = self._resolve(path, "path")
        if not target.is_dir():
            return []
        infos: list[FileInfo] = []
        with os.scandir(target) as entries:
            for entry in entries:
                if entry.name.startswith(TMP_PREFIX):
                    continue
                entry_path = Path(entry.path)
                if entry.is_symlink() and not self._inside(entry_path):
                    continue
                child = join_relative(rel, entry.name)
                if entry.is_dir():
                    infos.append(FileInfo(child, True, None))
                elif entry.is_file():
                    infos.append(FileInfo(child, False, entry.stat().st_size))
        return sorted(infos, key=lambda info: info.path)

    def download_artifacts(self, artifact_path: str, dst_path: str | None = None) -> str:
        rel, src = self._resolve(artifact_path, "artifact_path")
        if not src.exists():
            raise ResourceDoesNotExist(f"Artifact {rel!r} does not exist in {self.artifact_uri}")
        dst = new_download_dir(dst_path)
        local = dst / rel if rel else dst
        if src.is_file():
            copy_file_atomic(src, local)
            return str(local)
        local.mkdir(parents=True, exist_ok=True)
        for full, sub in iter_local_files(src):
            if Path(full).name.startswith(TMP_PREFIX) or not self._inside(full):
                continue
            copy_file_atomic(full, local / sub)
        return str(local)

    def open_artifact(self, artifact_file: str) -> BinaryIO:
        rel, src = self._resolve(artifact_file, "artifact_file")
        if not src.is_file():
            raise ResourceDoesNotExist(f"Artifact {rel!r} does not exist in {self.artifact_uri}")
        return open(src, "rb")

    # -- delete --------------------------------------------------------------------------

    def delete_artifacts(self, artifact_path: str | None = None) -> None:
        rel = safe_relative_path(artifact_path, "artifact_path")
        if not rel:
            if self.root.is_dir():
                for child in self.root.iterdir():
                    remove_tree_or_file(child)
            return
        parent_rel, _, name = rel.rpartition("/")
        parent = resolve_inside(self.root, parent_rel)
        # The last component is not resolved: deleting a symlink removes the link only.
        target = parent / name
        try:
            remove_tree_or_file(target)
        except OSError as exc:  # pragma: no cover - permissions, races
            raise ModelyardError(f"Could not delete artifact {rel!r}: {exc}") from exc
