"""The folders a REST call may make the server read (monitored tables, AutoML data)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from modelyard.server.config import ServerConfig
from modelyard.server.local_files import allowed_folders, is_inside, local_path


def test_allowed_folders_and_containment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    a, b, dest, extra = (tmp_path / n for n in ("a", "b", "dest", "extra"))
    monkeypatch.setenv("MY_ROOTS", os.pathsep.join([str(a), str(b)]))
    config = ServerConfig(
        backend_store_uri=f"sqlite:///{tmp_path / 's.db'}", artifacts_destination=dest.as_uri()
    )
    roots = allowed_folders(config, "MY_ROOTS", [extra])
    assert roots == [a.resolve(), b.resolve(), extra.resolve(), dest.resolve()]
    assert is_inside(local_path(str(a / "t.parquet")), roots)
    assert is_inside(local_path((dest / "x" / "y.csv").as_uri()), roots)
    assert not is_inside(local_path(str(a / ".." / "elsewhere.csv")), roots)  # no climbing out
    assert not is_inside(local_path("/etc/passwd"), roots)
    assert local_path("x.csv", relative_to=extra) == (extra / "x.csv").resolve()
    s3 = ServerConfig(
        backend_store_uri=f"sqlite:///{tmp_path / 's.db'}", artifacts_destination="s3://b/p"
    )
    assert allowed_folders(s3, "UNSET_ROOTS_VAR") == []  # a remote destination is no local folder


def test_child_process_tracking_url() -> None:
    config = ServerConfig(
        backend_store_uri="sqlite:///x.db", host="0.0.0.0", port=5005, static_prefix="/ml"
    )
    assert (
        config.proxies_artifacts
    )  # serve_artifacts: new experiments store under mlflow-artifacts:
    assert config.local_url() == "http://127.0.0.1:5005/ml"
    assert config.local_url("127.0.0.1", 40123) == "http://127.0.0.1:40123/ml"
    direct = ServerConfig(backend_store_uri="sqlite:///x.db", serve_artifacts=False)
    assert not direct.proxies_artifacts
