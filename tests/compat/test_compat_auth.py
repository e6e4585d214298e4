"""The real mlflow client's auth client and tracking calls (basic auth and a personal access
token) against ``modelyard server --auth``, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from compat_support import ServerProcess, mlflow_python, run_mlflow_script

pytestmark = [pytest.mark.compat]

ADMIN_PASSWORD = "admin-password-for-tests"


def _server(uri: str, base: Path) -> ServerProcess:
    (base / "artifacts").mkdir()
    return ServerProcess(
        uri,
        base / "artifacts",
        log_path=base / "server.log",
        extra_args=("--app-name", "basic-auth"),
        env={"MLFLOW_AUTH_ADMIN_PASSWORD": ADMIN_PASSWORD},
    )


@pytest.fixture(scope="module")
def auth_sqlite_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    mlflow_python()
    base = tmp_path_factory.mktemp("compat-auth")
    with _server(f"sqlite:///{base / 'store.db'}", base) as server:
        yield server


@pytest.fixture(scope="module")
def auth_pg_server(
    make_pg_database: Callable[[], str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    mlflow_python()
    base = tmp_path_factory.mktemp("compat-auth-pg")
    with _server(make_pg_database(), base) as server:
        yield server


def check_auth_flow(out: dict, prefix: str) -> None:
    assert out["created"] == [f"alice-{prefix}", False]
    assert out["get_user"] == f"alice-{prefix}"
    assert out["alice_on_shared"] == "READ"
    assert out["duplicate_grant"] == "RESOURCE_ALREADY_EXISTS"
    assert out["bad_permission"] == "INVALID_PARAMETER_VALUE"
    assert out["run_metric"] == 0.25
    assert out["artifacts"] == ["conf.json"]
    assert out["read_shared"] == f"admin-shared-{prefix}"
    assert out["write_shared"] == "PERMISSION_DENIED"
    assert out["read_private"] == "PERMISSION_DENIED"
    # the search shows alice her own experiment and the shared one, never the private one
    assert out["search_names"] == [f"admin-shared-{prefix}", f"alice-{prefix}"]
    assert out["create_user_as_alice"] == "PERMISSION_DENIED"
    assert out["self_manage"] == "PERMISSION_DENIED"
    assert out["token_run_metric"] == 0.2
    assert out["token_private"] == "PERMISSION_DENIED"
    assert out["revoked_token"] == "UNAUTHENTICATED"
    assert out["bob_runs_in_alice_exp"] == 3
    assert out["bob_delete_alice_exp"] == "PERMISSION_DENIED"
    assert out["wrong_password"] == "UNAUTHENTICATED"
    assert out["bob_admin"] is True
    assert out["old_password"] == "UNAUTHENTICATED"
    assert out["bob_reads_private"] == f"admin-private-{prefix}"
    assert out["deleted"] == "RESOURCE_DOES_NOT_EXIST"


def test_auth_flow_sqlite(auth_sqlite_server: ServerProcess, tmp_path: Path) -> None:
    prefix = uuid.uuid4().hex[:10]
    args = {"prefix": prefix, "admin_password": ADMIN_PASSWORD}
    out = run_mlflow_script("auth_flow.py", auth_sqlite_server.url, tmp_path, args)
    check_auth_flow(out, prefix)


@pytest.mark.postgres
def test_auth_flow_postgres(auth_pg_server: ServerProcess, tmp_path: Path) -> None:
    prefix = uuid.uuid4().hex[:10]
    args = {"prefix": prefix, "admin_password": ADMIN_PASSWORD}
    out = run_mlflow_script("auth_flow.py", auth_pg_server.url, tmp_path, args)
    check_auth_flow(out, prefix)


def test_auth_traces_sqlite(auth_sqlite_server: ServerProcess, tmp_path: Path) -> None:
    prefix = uuid.uuid4().hex[:8]
    args = {"prefix": prefix, "admin_password": ADMIN_PASSWORD}
    out = run_mlflow_script("auth_traces_flow.py", auth_sqlite_server.url, tmp_path, args)
    assert out["own_spans"] == ["answer", "lookup"]
    assert len(out["own_search"]) == 1
    assert out["own_tag"] is None
    assert out["read_shared"] == ["answer"]
    assert out["read_private"] == "PERMISSION_DENIED"
    assert out["search_mixed"] == "PERMISSION_DENIED"
    assert out["tag_shared"] == "PERMISSION_DENIED"
    assert out["delete_shared"] == "PERMISSION_DENIED"
    assert out["delete_own"] == 1
    assert "k" not in out["shared_tags"]
    assert out["private_ok"] is True
