"""The contract every :class:`~modelyard.store.artifacts.base.ArtifactRepository` passes.

Use it by subclassing in a test module and providing a ``repo`` fixture that yields an empty
repository::

    class TestLocal(ArtifactRepositoryContract):
        @pytest.fixture
        def repo(self, tmp_path):
            return LocalArtifactRepository((tmp_path / "root").as_uri())

The tests use real files (``tmp_path``) and compare real bytes. Behaviour that only some
backends can have (empty directories, symlinks) is tested beside each backend, not here.
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest

from modelyard.entities import FileInfo
from modelyard.errors import InvalidParameterValue, PermissionDenied, ResourceDoesNotExist
from modelyard.store.artifacts.base import ArtifactRepository

__all__ = ["HOSTILE_PATHS", "ArtifactRepositoryContract", "GeneratedStream"]

#: Paths every repository must refuse, on every operation.
HOSTILE_PATHS: tuple[str, ...] = (
    "../escape.txt",
    "a/../../escape.txt",
    "/etc/passwd",
    "..",
    "a\\..\\b",
    "%2e%2e/escape.txt",
    "%252e%252e/escape.txt",
    "a%2f..%2fb",
    "x\x00y",
    "C:evil.txt",
    "~/evil.txt",
)

BINARY = bytes(range(256)) * 41 + b"\x00\r\n\xff end"


class GeneratedStream(io.RawIOBase):
    """A non-seekable stream of ``size`` deterministic bytes, produced on the fly."""

    def __init__(self, size: int, seed: int = 7) -> None:
        self._left = size
        self._block = bytes((seed + i) % 251 for i in range(65536))
        self.digest = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = min(len(buffer), len(self._block), self._left)
        if n <= 0:
            return 0
        chunk = self._block[:n]
        buffer[:n] = chunk
        self.digest.update(chunk)
        self._left -= n
        return n


def _write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def _read(repo: ArtifactRepository, path: str) -> bytes:
    with repo.open_artifact(path) as f:
        return f.read()


class ArtifactRepositoryContract:
    """Behaviour shared by all artifact repositories. Subclasses provide ``repo``."""

    @pytest.fixture
    def repo(self) -> ArtifactRepository:  # pragma: no cover - overridden
        raise NotImplementedError("provide a 'repo' fixture yielding an empty repository")

    @pytest.fixture
    def tree(self, tmp_path: Path) -> Path:
        """A local tree with binary files, nesting and a name with spaces and non-ASCII."""
        src = tmp_path / "src-tree"
        _write(src / "top.bin", BINARY)
        _write(src / "sub" / "a.txt", b"alpha\n")
        _write(src / "sub" / "deeper" / "b.bin", BINARY[::-1])
        _write(src / "sub" / "with space é.txt", b"unicode name")
        return src

    # -- round trips ---------------------------------------------------------------------

    def test_empty_repository_lists_nothing(self, repo: ArtifactRepository) -> None:
        assert repo.list_artifacts() == []
        assert repo.list_artifacts(None) == []
        assert repo.list_artifacts("") == []

    def test_log_artifact_at_root_round_trips_bytes(self, repo, tmp_path: Path) -> None:
        local = _write(tmp_path / "model.bin", BINARY)
        repo.log_artifact(str(local))
        assert repo.list_artifacts() == [FileInfo("model.bin", False, len(BINARY))]
        assert _read(repo, "model.bin") == BINARY

    def test_log_artifact_into_nested_dir(self, repo, tmp_path: Path) -> None:
        local = _write(tmp_path / "f.txt", b"hello")
        repo.log_artifact(str(local), "a/b")
        assert repo.list_artifacts() == [FileInfo("a", True, None)]
        assert repo.list_artifacts("a") == [FileInfo("a/b", True, None)]
        assert repo.list_artifacts("a/b") == [FileInfo("a/b/f.txt", False, 5)]
        assert _read(repo, "a/b/f.txt") == b"hello"

    def test_log_artifacts_tree_and_list_semantics(self, repo, tree: Path) -> None:
        repo.log_artifacts(str(tree), "run")
        assert repo.list_artifacts("run") == [
            FileInfo("run/sub", True, None),
            FileInfo("run/top.bin", False, len(BINARY)),
        ]
        assert repo.list_artifacts("run/sub") == [
            FileInfo("run/sub/a.txt", False, 6),
            FileInfo("run/sub/deeper", True, None),
            FileInfo("run/sub/with space é.txt", False, len(b"unicode name")),
        ]
        assert _read(repo, "run/sub/deeper/b.bin") == BINARY[::-1]
        assert _read(repo, "run/sub/with space é.txt") == b"unicode name"

    def test_list_normalizes_trailing_and_dot_segments(self, repo, tree: Path) -> None:
        repo.log_artifacts(str(tree))
        expected = repo.list_artifacts("sub")
        assert repo.list_artifacts("sub/") == expected
        assert repo.list_artifacts("./sub") == expected

    def test_list_missing_dir_is_empty(self, repo, tree: Path) -> None:
        repo.log_artifacts(str(tree))
        assert repo.list_artifacts("nope") == []
        assert repo.list_artifacts("sub/nope/deeper") == []

    def test_list_of_a_file_is_empty(self, repo, tree: Path) -> None:
        repo.log_artifacts(str(tree))
        assert repo.list_artifacts("top.bin") == []

    def test_put_stream_returns_size_and_creates_parents(self, repo) -> None:
        n = repo.put_stream("x/y/z.bin", io.BytesIO(BINARY))
        assert n == len(BINARY)
        assert _read(repo, "x/y/z.bin") == BINARY
        assert repo.list_artifacts("x/y") == [FileInfo("x/y/z.bin", False, len(BINARY))]

    def test_put_stream_5_mib_non_seekable(self, repo) -> None:
        size = 5 * 1024 * 1024
        stream = GeneratedStream(size)
        assert repo.put_stream("big/blob.bin", stream) == size
        assert repo.list_artifacts("big") == [FileInfo("big/blob.bin", False, size)]
        got = hashlib.sha256()
        with repo.open_artifact("big/blob.bin") as f:
            while chunk := f.read(1 << 20):
                got.update(chunk)
        assert got.hexdigest() == stream.digest.hexdigest()

    def test_empty_file_round_trip(self, repo) -> None:
        assert repo.put_stream("empty.txt", io.BytesIO(b"")) == 0
        assert repo.list_artifacts() == [FileInfo("empty.txt", False, 0)]
        assert _read(repo, "empty.txt") == b""

    def test_overwrite_replaces_content(self, repo, tmp_path: Path) -> None:
        repo.put_stream("d/f.txt", io.BytesIO(b"first version, longer"))
        repo.log_artifact(str(_write(tmp_path / "f.txt", b"second")), "d")
        assert _read(repo, "d/f.txt") == b"second"
        assert repo.list_artifacts("d") == [FileInfo("d/f.txt", False, 6)]

    # -- downloads -----------------------------------------------------------------------

    def test_download_file_to_given_dir(self, repo, tree: Path, tmp_path: Path) -> None:
        repo.log_artifacts(str(tree))
        dst = tmp_path / "dl"
        dst.mkdir()
        local = Path(repo.download_artifacts("sub/deeper/b.bin", str(dst)))
        assert local == dst / "sub" / "deeper" / "b.bin"
        assert local.read_bytes() == BINARY[::-1]

    def test_download_file_default_dst_is_new_temp_dir(self, repo, tree: Path) -> None:
        repo.log_artifacts(str(tree))
        first = Path(repo.download_artifacts("top.bin"))
        second = Path(repo.download_artifacts("top.bin"))
        assert first.read_bytes() == BINARY
        assert first.name == "top.bin"
        assert first != second

    def test_download_directory_tree(self, repo, tree: Path, tmp_path: Path) -> None:
        repo.log_artifacts(str(tree), "run")
        local = Path(repo.download_artifacts("run/sub", str(tmp_path / "dl")))
        assert local == tmp_path / "dl" / "run" / "sub"
        files = sorted(p.relative_to(local).as_posix() for p in local.rglob("*") if p.is_file())
        assert files == ["a.txt", "deeper/b.bin", "with space é.txt"]
        assert (local / "deeper" / "b.bin").read_bytes() == BINARY[::-1]

    def test_download_root(self, repo, tree: Path, tmp_path: Path) -> None:
        repo.log_artifacts(str(tree))
        local = Path(repo.download_artifacts("", str(tmp_path / "all")))
        assert local == tmp_path / "all"
        assert (local / "top.bin").read_bytes() == BINARY
        assert (local / "sub" / "a.txt").read_bytes() == b"alpha\n"

    def test_download_missing_raises(self, repo, tmp_path: Path) -> None:
        with pytest.raises(ResourceDoesNotExist):
            repo.download_artifacts("missing.txt", str(tmp_path))

    def test_open_missing_raises(self, repo) -> None:
        with pytest.raises(ResourceDoesNotExist):
            repo.open_artifact("missing.txt")

    # -- deletes -------------------------------------------------------------------------

    def test_delete_file(self, repo, tree: Path) -> None:
        repo.log_artifacts(str(tree))
        repo.delete_artifacts("sub/a.txt")
        names = [f.path for f in repo.list_artifacts("sub")]
        assert names == ["sub/deeper", "sub/with space é.txt"]
        with pytest.raises(ResourceDoesNotExist):
            repo.open_artifact("sub/a.txt")

    def test_delete_directory(self, repo, tree: Path) -> None:
        repo.log_artifacts(str(tree))
        repo.delete_artifacts("sub")
        assert repo.list_artifacts() == [FileInfo("top.bin", False, len(BINARY))]
        assert repo.list_artifacts("sub") == []

    def test_delete_everything(self, repo, tree: Path) -> None:
        repo.log_artifacts(str(tree))
        repo.delete_artifacts()
        assert repo.list_artifacts() == []

    def test_delete_missing_is_a_no_op(self, repo) -> None:
        repo.delete_artifacts("never/was")
        assert repo.list_artifacts() == []

    def test_delete_does_not_touch_prefix_siblings(self, repo) -> None:
        repo.put_stream("dir/x.txt", io.BytesIO(b"1"))
        repo.put_stream("dir2/y.txt", io.BytesIO(b"2"))
        repo.put_stream("dir.txt", io.BytesIO(b"3"))
        repo.delete_artifacts("dir")
        assert [f.path for f in repo.list_artifacts()] == ["dir.txt", "dir2"]

    # -- hostile paths -------------------------------------------------------------------

    @pytest.mark.parametrize("bad", HOSTILE_PATHS)
    def test_hostile_paths_refused_everywhere(self, repo, bad: str, tmp_path: Path) -> None:
        local = _write(tmp_path / "f.txt", b"x")
        refused = (InvalidParameterValue, PermissionDenied)
        with pytest.raises(refused):
            repo.list_artifacts(bad)
        with pytest.raises(refused):
            repo.open_artifact(bad)
        with pytest.raises(refused):
            repo.download_artifacts(bad, str(tmp_path / "dl"))
        with pytest.raises(refused):
            repo.delete_artifacts(bad)
        with pytest.raises(refused):
            repo.put_stream(bad, io.BytesIO(b"x"))
        with pytest.raises(refused):
            repo.log_artifact(str(local), bad)
        with pytest.raises(refused):
            repo.log_artifacts(str(tmp_path), bad)
        assert not (tmp_path.parent / "escape.txt").exists()

    def test_error_names_the_field(self, repo) -> None:
        with pytest.raises(InvalidParameterValue, match="artifact_file"):
            repo.put_stream("../x", io.BytesIO(b"x"))

    def test_log_artifact_of_missing_local_file(self, repo, tmp_path: Path) -> None:
        with pytest.raises(InvalidParameterValue, match="local_file"):
            repo.log_artifact(str(tmp_path / "nope.txt"))
