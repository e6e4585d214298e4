"""get_artifact_repository picks backends by scheme, lazily; artifact_uri_join keeps URI forms."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from modelyard.errors import InvalidParameterValue
from modelyard.store.artifacts.base import ArtifactRepository
from modelyard.store.artifacts.local import LocalArtifactRepository
from modelyard.store.artifacts.registry import (
    artifact_uri_join,
    get_artifact_repository,
    register_artifact_repository,
)


def test_local_forms(tmp_path: Path) -> None:
    for uri in (tmp_path.as_uri(), f"file:{tmp_path}", str(tmp_path)):
        repo = get_artifact_repository(uri)
        assert isinstance(repo, LocalArtifactRepository)
        assert repo.root == tmp_path


def test_s3_and_proxy_schemes() -> None:
    from modelyard.store.artifacts.http import MlflowArtifactsRepository
    from modelyard.store.artifacts.s3 import S3ArtifactRepository

    assert isinstance(get_artifact_repository("s3://bucket/p"), S3ArtifactRepository)
    proxy = get_artifact_repository("mlflow-artifacts:/1/abc", tracking_uri="http://h:5000")
    assert isinstance(proxy, MlflowArtifactsRepository)
    assert proxy.base_url == "http://h:5000"
    http = get_artifact_repository("https://h/api/2.0/mlflow-artifacts/artifacts/1/abc")
    assert isinstance(http, MlflowArtifactsRepository)


@pytest.mark.parametrize("uri", ["gopher://x/y", "http://host/some/other/path", "ftp2://x", ""])
def test_unknown_scheme_names_the_uri(uri: str) -> None:
    with pytest.raises(InvalidParameterValue) as info:
        get_artifact_repository(uri)
    assert repr(uri) in str(info.value)


def test_registered_scheme(tmp_path: Path) -> None:
    class Memo(LocalArtifactRepository):
        def __init__(self, artifact_uri: str) -> None:
            super().__init__(str(tmp_path / artifact_uri.split("://", 1)[1]))

    register_artifact_repository("memo-test", Memo)
    repo = get_artifact_repository("memo-test://abc")
    assert isinstance(repo, Memo)
    assert isinstance(repo, ArtifactRepository)
    assert repo.root == tmp_path / "abc"


def test_registry_import_stays_light() -> None:
    code = (
        "import sys, modelyard.store.artifacts.registry as r, tempfile;"
        "r.get_artifact_repository(tempfile.gettempdir());"
        "print(sorted(m for m in ('boto3','httpx','botocore') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("base", "expected"),
    [
        ("file:///a/b", "file:///a/b/c/d"),
        ("file:/a/b/", "file:/a/b/c/d"),
        ("/a/b", "/a/b/c/d"),
        ("s3://bucket", "s3://bucket/c/d"),
        ("s3://bucket/pre/", "s3://bucket/pre/c/d"),
        ("mlflow-artifacts:/1/run", "mlflow-artifacts:/1/run/c/d"),
        ("mlflow-artifacts://h:5000/1", "mlflow-artifacts://h:5000/1/c/d"),
        (
            "http://h/api/2.0/mlflow-artifacts/artifacts/x?a=1",
            "http://h/api/2.0/mlflow-artifacts/artifacts/x/c/d?a=1",
        ),
        ("", "c/d"),
    ],
)
def test_artifact_uri_join(base: str, expected: str) -> None:
    assert artifact_uri_join(base, "c", "d") == expected
    assert artifact_uri_join(base, "c/", "./d") == expected


def test_artifact_uri_join_without_parts_and_hostile_parts() -> None:
    assert artifact_uri_join("s3://b/p") == "s3://b/p"
    assert artifact_uri_join("s3://b/p", "", None or "") == "s3://b/p"
    with pytest.raises(InvalidParameterValue):
        artifact_uri_join("s3://b/p", "../q")


def test_entry_point_plugin_is_found_on_first_miss(tmp_path: Path) -> None:
    """A real installed-distribution entry point (a dist-info dir on sys.path)."""
    (tmp_path / "memplug.py").write_text(
        "from modelyard.store.artifacts.local import LocalArtifactRepository\n"
        "class Repo(LocalArtifactRepository):\n"
        "    def __init__(self, artifact_uri, tracking_uri=None):\n"
        "        super().__init__(artifact_uri.split('://', 1)[1])\n"
        "        self.tracking_uri = tracking_uri\n"
    )
    dist = tmp_path / "memplug-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: memplug\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(
        "[modelyard.artifact_repository]\nmemplug = memplug:Repo\n"
    )
    code = (
        "from modelyard.store.artifacts import get_artifact_repository as g;"
        f"r = g('memplug://{tmp_path}/x', tracking_uri='http://t');"
        "print(type(r).__name__, r.root.name, r.tracking_uri)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    assert out.stdout.split() == ["Repo", "x", "http://t"]


def test_package_exports_resolve_lazily() -> None:
    code = (
        "import sys, modelyard.store.artifacts as a;"
        "assert 'boto3' not in sys.modules and 'httpx' not in sys.modules;"
        "print(a.get_artifact_repository.__name__, a.LocalArtifactRepository.__name__)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["get_artifact_repository", "LocalArtifactRepository"]
