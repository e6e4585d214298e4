"""The same real-client tracking and registry flows, with the server on PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from compat_checks import check_registry_flow, check_tracking_flow
from compat_support import ServerProcess, mlflow_python, run_mlflow_script

pytestmark = [pytest.mark.compat, pytest.mark.postgres]


@pytest.fixture(scope="module")
def pg_server(
    make_pg_database: Callable[[], str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    mlflow_python()
    base = tmp_path_factory.mktemp("compat-pg")
    (base / "artifacts").mkdir()
    with ServerProcess(
        make_pg_database(), base / "artifacts", log_path=base / "server.log"
    ) as server:
        yield server


def test_tracking_flow_postgres(pg_server: ServerProcess, tmp_path: Path) -> None:
    prefix = uuid.uuid4().hex[:10]
    out = run_mlflow_script("tracking_flow.py", pg_server.url, tmp_path, {"prefix": prefix})
    check_tracking_flow(out, prefix)


def test_registry_flow_postgres(pg_server: ServerProcess, tmp_path: Path) -> None:
    prefix = uuid.uuid4().hex[:10]
    out = run_mlflow_script("registry_flow.py", pg_server.url, tmp_path, {"prefix": prefix})
    check_registry_flow(out, prefix)
