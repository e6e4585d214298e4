"""``modelyard server`` as a real process: one worker and ``--workers 2`` (app factory)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

LAUNCH = "from modelyard.cli.server import server_command; server_command()"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(url: str, proc: subprocess.Popen, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(proc.stderr.read() if proc.stderr else "server exited")
        try:
            if httpx.get(url + "/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise AssertionError("server did not come up")


@pytest.mark.parametrize("workers", [1, 2])
def test_server_command(tmp_path: Path, workers: int) -> None:
    port = _free_port()
    args = [
        sys.executable, "-c", LAUNCH,
        "--port", str(port),
        "--backend-store-uri", f"sqlite:///{tmp_path / 'cli.db'}",
        "--artifacts-destination", str(tmp_path / "artifacts"),
        "--workers", str(workers),
        "--allowed-hosts", "mlflow.internal",
    ]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODELYARD_")}
    proc = subprocess.Popen(args, cwd=tmp_path, env=env, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait(url, proc)
        r = httpx.post(f"{url}/api/2.0/mlflow/experiments/create", json={"name": "cli"}, timeout=60)
        assert r.status_code == 200, r.text
        exp_id = r.json()["experiment_id"]
        for _ in range(4):  # every worker answers from the same store
            r = httpx.get(
                f"{url}/api/2.0/mlflow/experiments/get",
                params={"experiment_id": exp_id},
                timeout=60,
            )
            assert r.json()["experiment"]["name"] == "cli"
        r = httpx.put(
            f"{url}/api/2.0/mlflow-artifacts/artifacts/{exp_id}/x/a.txt", content=b"hi", timeout=60
        )
        assert r.status_code == 200
        assert (tmp_path / "artifacts" / exp_id / "x" / "a.txt").read_bytes() == b"hi"
        assert (
            httpx.get(f"{url}/health", headers={"host": "mlflow.internal"}, timeout=60).status_code
            == 200
        )
        assert (
            httpx.get(f"{url}/health", headers={"host": "evil.example"}, timeout=60).status_code
            == 403
        )
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stderr is not None:
            proc.stderr.close()
