"""``modelyard server --auth`` as the command users run: no default password, and with two
workers a password change or a revoked token takes effect at once on both."""

from __future__ import annotations

from pathlib import Path

import httpx
from click.testing import CliRunner

from modelyard.cli.server import server_command
from modelyard.testing.server_process import ServerProcess

API = "/api/2.0/mlflow"


def test_refuses_to_start_without_an_admin_password(tmp_path: Path) -> None:
    args = ["--auth", "--backend-store-uri", f"sqlite:///{tmp_path / 'db.sqlite'}"]
    result = CliRunner().invoke(server_command, args, env={"MLFLOW_AUTH_ADMIN_PASSWORD": ""})
    assert result.exit_code == 1
    assert "MLFLOW_AUTH_ADMIN_PASSWORD" in result.output
    assert "no default password" in result.output


def test_two_workers_see_changes_at_once(tmp_path: Path) -> None:
    (tmp_path / "artifacts").mkdir()
    server = ServerProcess(
        f"sqlite:///{tmp_path / 'db.sqlite'}",
        tmp_path / "artifacts",
        workers=2,
        extra_args=("--auth", "--auth-admin-username", "root"),
        env={"MLFLOW_AUTH_ADMIN_PASSWORD": "root-password-1"},
        log_path=tmp_path / "server.log",
    )
    admin = ("root", "root-password-1")
    with server, httpx.Client(base_url=server.url, timeout=30) as c:
        body = {"username": "alice", "password": "alice-password-1"}
        assert c.post(f"{API}/users/create", json=body, auth=admin).status_code == 200
        alice = ("alice", "alice-password-1")
        # new connections spread over both workers; every one now has the password cached
        for _ in range(12):
            with httpx.Client(base_url=server.url, timeout=30) as fresh:
                assert fresh.get(f"{API}/users/current", auth=alice).status_code == 200
        token = c.post(f"{API}/users/tokens/create", json={}, auth=alice).json()
        bearer = {"Authorization": f"Bearer {token['token']}"}
        change = {"username": "alice", "password": "alice-password-2"}
        assert c.patch(f"{API}/users/update-password", json=change, auth=admin).status_code == 200
        revoke = {"token_id": token["token_info"]["id"]}
        new_alice = ("alice", "alice-password-2")
        assert c.post(f"{API}/users/tokens/revoke", json=revoke, auth=new_alice).status_code == 200
        for _ in range(4):  # below the failed-login limit (10 per user and address)
            with httpx.Client(base_url=server.url, timeout=30) as fresh:
                assert fresh.get(f"{API}/users/current", auth=alice).status_code == 401
                assert fresh.get(f"{API}/users/current", headers=bearer).status_code == 401
                assert fresh.get(f"{API}/users/current", auth=new_alice).status_code == 200
