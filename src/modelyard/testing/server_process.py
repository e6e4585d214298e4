"""A real ``modelyard server`` in a subprocess, for tests of users and plugin authors.

The server is started with the command users run (``modelyard server ...``) in its own process
group on a free 127.0.0.1 port; :meth:`ServerProcess.stop` terminates that group and
:meth:`ServerProcess.kill` sends it SIGKILL (crash tests).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

__all__ = ["ServerProcess", "free_port"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerProcess:
    """``modelyard server`` in a subprocess; use as a context manager (yields itself)."""

    def __init__(
        self,
        backend_store_uri: str,
        artifacts_destination: Path | str,
        *,
        workers: int = 1,
        port: int | None = None,
        log_path: Path | None = None,
        extra_args: tuple[str, ...] = (),
        env: dict[str, str] | None = None,
    ) -> None:
        self.backend_store_uri = backend_store_uri
        self.artifacts_destination = str(artifacts_destination)
        self.workers = workers
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.extra_args = tuple(extra_args)
        self.extra_env = dict(env or {})
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 180.0) -> ServerProcess:
        cmd = [
            sys.executable,
            "-c",
            "from modelyard.cli.main import main; main()",
            "server",
            "--port",
            str(self.port),
            "--backend-store-uri",
            self.backend_store_uri,
            "--artifacts-destination",
            self.artifacts_destination,
            "--workers",
            str(self.workers),
            *self.extra_args,
        ]
        env = {k: v for k, v in os.environ.items() if not k.startswith("MODELYARD_SERVER")}
        env.update(self.extra_env)
        if self.log_path:
            with open(self.log_path, "ab") as log:
                self.proc = subprocess.Popen(
                    cmd, stdout=log, stderr=log, env=env, start_new_session=True
                )
        else:
            self.proc = subprocess.Popen(
                cmd,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env=env,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"modelyard server exited with {self.proc.returncode}")
            try:
                if httpx.get(self.url + "/health", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("modelyard server did not answer /health in time")

    def _signal(self, sig: int) -> None:
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                pass

    def kill(self) -> None:
        """SIGKILL the whole server (all workers), no chance to flush anything."""
        self._signal(signal.SIGKILL)
        if self.proc is not None:
            self.proc.wait(timeout=10)
            self.proc = None

    def stop(self) -> None:
        if self.proc is None:
            return
        self._signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self._signal(signal.SIGKILL)
            self.proc.wait(timeout=10)
        self.proc = None

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
