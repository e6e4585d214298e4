"""``modelyard.utils.uris``: store URIs that another process, in another folder, can open."""

from __future__ import annotations

from pathlib import Path

import pytest

from modelyard.utils.uris import absolute_sqlite_uri, absolute_tracking_uri


def test_relative_sqlite_becomes_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    expected = f"sqlite:///{tmp_path.resolve() / 'm.db'}"
    assert absolute_sqlite_uri("sqlite:///m.db") == expected
    assert absolute_tracking_uri("sqlite:///m.db") == expected
    for unchanged in ("sqlite:////abs/m.db", "sqlite:///:memory:", "postgresql://h/db"):
        assert absolute_sqlite_uri(unchanged) == unchanged
        assert absolute_tracking_uri(unchanged) == unchanged


def test_a_bare_path_is_a_sqlite_file_only_for_tracking(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert absolute_tracking_uri("store.db") == f"sqlite:///{tmp_path.resolve() / 'store.db'}"
    assert absolute_sqlite_uri("store.db") == "store.db"
