"""Small filesystem helpers shared by the artifact repositories (atomic writes, tree walks)."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

__all__ = [
    "CHUNK_SIZE",
    "TMP_PREFIX",
    "atomic_write_stream",
    "copy_file_atomic",
    "iter_local_files",
    "new_download_dir",
    "remove_tree_or_file",
]

CHUNK_SIZE = 1024 * 1024
#: Prefix of in-flight temporary files; listings hide them.
TMP_PREFIX = ".modelyard-tmp-"


def atomic_write_stream(dest: Path, stream: BinaryIO, chunk_size: int = CHUNK_SIZE) -> int:
    """Write ``stream`` to ``dest`` through a temp file in the same directory, then rename.

    Readers see either the old file or the complete new one, never a partial write.
    Returns the number of bytes written.
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=TMP_PREFIX, dir=dest.parent)
    written = 0
    try:
        with os.fdopen(fd, "wb") as out:
            while True:
                chunk = stream.read(chunk_size)
                if not chunk:
                    break
                out.write(chunk)
                written += len(chunk)
        os.replace(tmp_name, dest)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return written


def copy_file_atomic(src: Path, dest: Path) -> int:
    with open(src, "rb") as f:
        return atomic_write_stream(dest, f)


def iter_local_files(local_dir: Path) -> Iterator[tuple[Path, str]]:
    """Every regular file under ``local_dir`` as ``(absolute path, relative POSIX path)``,
    in a stable order."""
    for root, dirs, files in os.walk(local_dir):
        dirs.sort()
        base = Path(root)
        for name in sorted(files):
            full = base / name
            yield full, full.relative_to(local_dir).as_posix()


def new_download_dir(dst_path: str | None) -> Path:
    """The destination directory of a download: ``dst_path`` (created if missing) or a new
    temporary directory."""
    if dst_path is None:
        return Path(tempfile.mkdtemp(prefix="modelyard-artifacts-"))
    dst = Path(dst_path).resolve()
    dst.mkdir(parents=True, exist_ok=True)
    return dst


def remove_tree_or_file(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink(missing_ok=True)
    elif path.is_dir():
        shutil.rmtree(path)
