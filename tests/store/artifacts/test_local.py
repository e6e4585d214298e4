"""LocalArtifactRepository: the shared contract plus what only a filesystem has."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from modelyard.entities import FileInfo
from modelyard.errors import InvalidParameterValue, PermissionDenied
from modelyard.store.artifacts.local import LocalArtifactRepository, local_path_from_uri
from modelyard.testing.artifact_contract import ArtifactRepositoryContract


class TestLocalContract(ArtifactRepositoryContract):
    @pytest.fixture
    def repo(self, tmp_path: Path) -> LocalArtifactRepository:
        return LocalArtifactRepository((tmp_path / "root").as_uri())


@pytest.fixture
def root(tmp_path: Path) -> Path:
    r = tmp_path / "root"
    r.mkdir()
    return r


def test_uri_forms(tmp_path: Path) -> None:
    target = tmp_path / "a b"
    assert local_path_from_uri(target.as_uri()) == target
    assert local_path_from_uri(f"file:{target}") == target
    assert local_path_from_uri(f"file://localhost{target}") == target
    assert local_path_from_uri(str(target)) == target


def test_relative_plain_path_is_made_absolute(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert LocalArtifactRepository("arts").root == tmp_path / "arts"


@pytest.mark.parametrize("uri", ["file://remotehost/x", "", "file:///x?y=1"])
def test_bad_uris(uri: str) -> None:
    with pytest.raises(InvalidParameterValue):
        local_path_from_uri(uri)


def test_symlink_escaping_root_is_refused(root: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_bytes(b"secret")
    (root / "link").symlink_to(outside, target_is_directory=True)
    (root / "filelink").symlink_to(outside / "secret.txt")
    (root / "ok.txt").write_bytes(b"ok")
    repo = LocalArtifactRepository(root.as_uri())

    assert repo.list_artifacts() == [FileInfo("ok.txt", False, 2)]
    for op in (
        lambda: repo.open_artifact("link/secret.txt"),
        lambda: repo.open_artifact("filelink"),
        lambda: repo.list_artifacts("link"),
        lambda: repo.put_stream("link/new.txt", io.BytesIO(b"x")),
        lambda: repo.download_artifacts("link", str(tmp_path / "dl")),
    ):
        with pytest.raises(PermissionDenied):
            op()
    assert not (outside / "new.txt").exists()
    # A full download skips the escaping links instead of following them.
    local = Path(repo.download_artifacts("", str(tmp_path / "all")))
    assert sorted(p.name for p in local.iterdir()) == ["ok.txt"]
    # Deleting a link removes the link, never the target.
    repo.delete_artifacts("link")
    repo.delete_artifacts("filelink")
    assert (outside / "secret.txt").read_bytes() == b"secret"
    assert not os.path.lexists(root / "link")


def test_symlink_inside_root_is_followed(root: Path) -> None:
    (root / "real").mkdir()
    (root / "real" / "f.txt").write_bytes(b"data")
    (root / "alias").symlink_to(root / "real", target_is_directory=True)
    repo = LocalArtifactRepository(root.as_uri())
    with repo.open_artifact("alias/f.txt") as f:
        assert f.read() == b"data"


def test_atomic_write_leaves_no_temp_files_on_failure(root: Path) -> None:
    class Boom(io.RawIOBase):
        def readable(self) -> bool:
            return True

        def readinto(self, buffer) -> int:
            raise OSError("disk on fire")

    repo = LocalArtifactRepository(root.as_uri())
    repo.put_stream("d/f.txt", io.BytesIO(b"old"))
    with pytest.raises(OSError, match="disk on fire"):
        repo.put_stream("d/f.txt", Boom())
    assert sorted(p.name for p in (root / "d").iterdir()) == ["f.txt"]
    assert (root / "d" / "f.txt").read_bytes() == b"old"


def test_listing_shows_empty_dirs_and_hides_temp_files(root: Path) -> None:
    (root / "empty").mkdir()
    (root / ".modelyard-tmp-abc").write_bytes(b"partial")
    repo = LocalArtifactRepository(root.as_uri())
    assert repo.list_artifacts() == [FileInfo("empty", True, None)]


def test_writing_over_a_directory_or_under_a_file_is_refused(root: Path) -> None:
    repo = LocalArtifactRepository(root.as_uri())
    repo.put_stream("d/f.txt", io.BytesIO(b"x"))
    with pytest.raises(InvalidParameterValue, match="directory"):
        repo.put_stream("d", io.BytesIO(b"x"))
    with pytest.raises(InvalidParameterValue, match="parent"):
        repo.put_stream("d/f.txt/g.txt", io.BytesIO(b"x"))
    with pytest.raises(InvalidParameterValue, match="file name"):
        repo.put_stream("", io.BytesIO(b"x"))
