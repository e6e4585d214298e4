"""The REAL mlflow 3.17.2 client's tracing against a live ``modelyard server`` (SQLite and
PostgreSQL): ``@mlflow.trace`` with nested spans, ``mlflow.start_span``, the ``MlflowClient``
trace and span calls, ``get_trace``, ``search_traces`` (filters, pages, runs), trace tags and
deletes."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from compat_support import ServerProcess, mlflow_python, run_mlflow_script
from trace_checks import check_traces_flow

pytestmark = pytest.mark.compat


def test_traces_flow_sqlite(sqlite_server: ServerProcess, tmp_path: Path) -> None:
    prefix = uuid.uuid4().hex[:10]
    out = run_mlflow_script("traces_flow.py", sqlite_server.url, tmp_path, {"prefix": prefix})
    check_traces_flow(out)


@pytest.fixture(scope="module")
def pg_server(
    make_pg_database: Callable[[], str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    mlflow_python()
    base = tmp_path_factory.mktemp("compat-pg-traces")
    (base / "artifacts").mkdir()
    with ServerProcess(
        make_pg_database(), base / "artifacts", log_path=base / "server.log"
    ) as server:
        yield server


@pytest.mark.postgres
def test_traces_flow_postgres(pg_server: ServerProcess, tmp_path: Path) -> None:
    prefix = uuid.uuid4().hex[:10]
    out = run_mlflow_script("traces_flow.py", pg_server.url, tmp_path, {"prefix": prefix})
    check_traces_flow(out)
