"""Shared fixtures: database URIs for the SQL backends, the real mlflow client's interpreter,
a local Spark session.

PostgreSQL runs at 127.0.0.1:5432 (trust auth). Each test session creates its own database
(``modelyard_t_<hex>``) and drops it at the end. Outside CI an unreachable server skips the
PostgreSQL tests; in CI (``CI=true``) it fails them, so a missing service can never hide.
The ``mlflow_python`` fixture follows the same rule (see :mod:`modelyard.testing.mlflow_client`).
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from modelyard.testing.mlflow_client import mlflow_python as _locate_mlflow_python

PG_ADMIN_URI = os.environ.get(
    "MODELYARD_TEST_PG_URI", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _pg_admin_engine():
    from sqlalchemy import create_engine

    return create_engine(PG_ADMIN_URI, isolation_level="AUTOCOMMIT")


@pytest.fixture(scope="session")
def pg_database_uri() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for this test session."""
    name = f"modelyard_t_{uuid.uuid4().hex[:12]}"
    try:
        admin = _pg_admin_engine()
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except Exception as exc:  # pragma: no cover - depends on the machine
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"PostgreSQL at 127.0.0.1:5432 is required in CI: {exc}")
        pytest.skip(f"PostgreSQL not reachable: {exc}")
    base = PG_ADMIN_URI.rsplit("/", 1)[0]
    yield f"{base}/{name}"
    from modelyard.store.sql.engine import dispose_all

    dispose_all()
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture(scope="session")
def mlflow_python() -> Path:
    """The interpreter of the real mlflow 3.17.2 client (skip, or fail in CI, when absent)."""
    return _locate_mlflow_python()


@pytest.fixture
def sqlite_uri(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'store.db'}"


@pytest.fixture
def artifact_root(tmp_path) -> str:
    root = tmp_path / "artifacts"
    root.mkdir()
    return root.as_uri()


@pytest.fixture(scope="session")
def make_pg_database() -> Iterator:
    """Factory for extra fresh PostgreSQL databases (each dropped at session end)."""
    created: list[str] = []
    admin = None

    def _make() -> str:
        nonlocal admin
        name = f"modelyard_t_{uuid.uuid4().hex[:12]}"
        try:
            admin = admin or _pg_admin_engine()
            with admin.connect() as conn:
                conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        except Exception as exc:  # pragma: no cover - depends on the machine
            if os.environ.get("CI", "").lower() == "true":
                pytest.fail(f"PostgreSQL at 127.0.0.1:5432 is required in CI: {exc}")
            pytest.skip(f"PostgreSQL not reachable: {exc}")
        created.append(name)
        return f"{PG_ADMIN_URI.rsplit('/', 1)[0]}/{name}"

    yield _make
    if admin is not None:
        from modelyard.store.sql.engine import dispose_all

        dispose_all()
        with admin.connect() as conn:
            for name in created:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture(scope="module")
def spark(request: pytest.FixtureRequest) -> Iterator:
    """A local[2] SparkSession for one test module (stopped after it)."""
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName(f"modelyard-test-{request.module.__name__}")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.memory", "1g")
        .getOrCreate()
    )
    yield session
    session.stop()
