"""The REAL mlflow 3.17.2 client against a live ``modelyard server`` (SQLite): tracking."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from compat_checks import check_tracking_flow
from compat_support import ServerProcess, run_mlflow_script

pytestmark = pytest.mark.compat


def test_tracking_flow_sqlite(sqlite_server: ServerProcess, tmp_path: Path) -> None:
    prefix = uuid.uuid4().hex[:10]
    out = run_mlflow_script("tracking_flow.py", sqlite_server.url, tmp_path, {"prefix": prefix})
    check_tracking_flow(out, prefix)
