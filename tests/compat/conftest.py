"""Fixtures of the compatibility tests: one live ``modelyard server`` per module (SQLite store,
local artifact destination); every test uses unique experiment and model names."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from compat_support import ServerProcess, mlflow_python


@pytest.fixture(scope="module")
def sqlite_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    mlflow_python()
    base = tmp_path_factory.mktemp("compat-server")
    (base / "artifacts").mkdir()
    with ServerProcess(
        f"sqlite:///{base / 'store.db'}", base / "artifacts", log_path=base / "server.log"
    ) as server:
        yield server
