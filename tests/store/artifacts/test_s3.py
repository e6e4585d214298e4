"""S3ArtifactRepository against a real S3-compatible server process (moto standalone)."""

from __future__ import annotations

import io
import uuid
from pathlib import Path

import pytest

from modelyard.entities import FileInfo
from modelyard.errors import InvalidParameterValue
from modelyard.store.artifacts.s3 import (
    MULTIPART_THRESHOLD,
    S3ArtifactRepository,
    parse_s3_uri,
)
from modelyard.testing.artifact_contract import ArtifactRepositoryContract, GeneratedStream


@pytest.fixture
def s3_uri(s3_bucket: str) -> str:
    return f"s3://{s3_bucket}/runs/{uuid.uuid4().hex}/artifacts"


class TestS3Contract(ArtifactRepositoryContract):
    @pytest.fixture
    def repo(self, s3_uri: str) -> S3ArtifactRepository:
        return S3ArtifactRepository(s3_uri)


class TestS3BucketRootContract(ArtifactRepositoryContract):
    """The same contract with no key prefix: the repository is the whole bucket."""

    @pytest.fixture
    def repo(self, s3_endpoint: str) -> S3ArtifactRepository:
        import boto3

        bucket = f"root-{uuid.uuid4().hex[:12]}"
        boto3.client("s3", endpoint_url=s3_endpoint).create_bucket(Bucket=bucket)
        return S3ArtifactRepository(f"s3://{bucket}")


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("s3://b", ("b", "")),
        ("s3://b/", ("b", "")),
        ("s3://b/x/y/", ("b", "x/y")),
        ("S3://b//x", ("b", "x")),
    ],
)
def test_parse_s3_uri(uri: str, expected: tuple[str, str]) -> None:
    assert parse_s3_uri(uri) == expected


@pytest.mark.parametrize("uri", ["s3://", "s3:///x", "s3://b/../x", "s3://b/x?q=1", "gs://b/x"])
def test_parse_s3_uri_rejects(uri: str) -> None:
    with pytest.raises(InvalidParameterValue):
        parse_s3_uri(uri)


def test_keys_live_under_the_prefix(s3_uri: str, s3_endpoint: str) -> None:
    import boto3

    repo = S3ArtifactRepository(s3_uri)
    repo.put_stream("d/f.txt", io.BytesIO(b"abc"))
    raw = boto3.client("s3", endpoint_url=s3_endpoint)
    keys = [
        o["Key"] for o in raw.list_objects_v2(Bucket=repo.bucket, Prefix=repo.prefix)["Contents"]
    ]
    assert keys == [f"{repo.prefix}/d/f.txt"]


def test_multipart_upload_of_large_file(s3_uri: str, s3_endpoint: str, tmp_path: Path) -> None:
    import boto3

    size = MULTIPART_THRESHOLD + 3 * 1024 * 1024
    stream = GeneratedStream(size)
    local = tmp_path / "big.bin"
    local.write_bytes(stream.read())
    repo = S3ArtifactRepository(s3_uri)
    repo.log_artifact(str(local), "m")
    head = boto3.client("s3", endpoint_url=s3_endpoint).head_object(
        Bucket=repo.bucket, Key=f"{repo.prefix}/m/big.bin"
    )
    assert head["ContentLength"] == size
    assert "-" in head["ETag"]  # multipart ETags carry the part count
    assert repo.put_stream("m/streamed.bin", GeneratedStream(size)) == size
    downloaded = Path(repo.download_artifacts("m", str(tmp_path / "dl")))
    assert (downloaded / "big.bin").read_bytes() == local.read_bytes()
    assert (downloaded / "streamed.bin").stat().st_size == size


def test_listing_paginates(s3_uri: str, tmp_path: Path) -> None:
    repo = S3ArtifactRepository(s3_uri)
    repo.page_size = 3
    for i in range(10):
        repo.put_stream(f"many/f{i:02d}.txt", io.BytesIO(b"x" * i))
        repo.put_stream(f"many/d{i:02d}/g.txt", io.BytesIO(b"y"))
    listed = repo.list_artifacts("many")
    assert [f.path for f in listed] == sorted(
        [f"many/d{i:02d}" for i in range(10)] + [f"many/f{i:02d}.txt" for i in range(10)]
    )
    assert listed[-1] == FileInfo("many/f09.txt", False, 9)
    local = Path(repo.download_artifacts("many", str(tmp_path)))
    assert len([p for p in local.rglob("*") if p.is_file()]) == 20
    repo.delete_artifacts("many")
    assert repo.list_artifacts("many") == []


def test_folder_markers_are_ignored(s3_uri: str, s3_endpoint: str) -> None:
    import boto3

    repo = S3ArtifactRepository(s3_uri)
    raw = boto3.client("s3", endpoint_url=s3_endpoint)
    raw.put_object(Bucket=repo.bucket, Key=f"{repo.prefix}/folder/", Body=b"")
    raw.put_object(Bucket=repo.bucket, Key=f"{repo.prefix}/folder/f.txt", Body=b"1")
    assert repo.list_artifacts() == [FileInfo("folder", True, None)]
    assert repo.list_artifacts("folder") == [FileInfo("folder/f.txt", False, 1)]
    repo.delete_artifacts("folder")
    assert raw.list_objects_v2(Bucket=repo.bucket, Prefix=repo.prefix).get("KeyCount") == 0
