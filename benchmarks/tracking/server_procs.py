"""Server processes for ``bench_server.py``: start ``mlflow server`` / ``modelyard server`` on a
free 127.0.0.1 port, wait for ``/health``, sample the RSS of the whole process tree, stop.

RSS is read from ``/proc`` (Linux), summed over the server process and all its descendants
(uvicorn workers, job runners, ...).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
MLFLOW_BIN = Path(
    os.environ.get("MODELYARD_MLFLOW_PYTHON", ROOT / ".venv-mlflow/bin/python")
).parent
MODELYARD_BIN = ROOT / ".venv" / "bin"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(ppid, []).append(int(entry))
    return tree


def tree_rss_mb(pid: int) -> float:
    tree = _children()
    todo, total = [pid], 0
    while todo:
        p = todo.pop()
        todo.extend(tree.get(p, []))
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


class BenchServer:
    """One server under test. ``kind`` is ``mlflow`` or ``modelyard``."""

    def __init__(self, kind: str, workdir: Path, workers: int | None = None) -> None:
        self.kind = kind
        self.workdir = workdir
        self.workers = workers
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None
        self.peak_rss_mb = 0.0
        self.label = kind if workers is None else f"{kind} w{workers}"
        self._stop_sampling = threading.Event()

    def command(self) -> list[str]:
        db = f"sqlite:///{self.workdir / 'store.db'}"
        dest = self.workdir / "artifacts"
        dest.mkdir(parents=True, exist_ok=True)
        common = ["--backend-store-uri", db, "--artifacts-destination", str(dest)]
        common += ["--host", "127.0.0.1", "--port", str(self.port)]
        if self.workers:
            common += ["--workers", str(self.workers)]
        if self.kind == "mlflow":
            return [str(MLFLOW_BIN / "mlflow"), "server", "--serve-artifacts", *common]
        return [str(MODELYARD_BIN / "modelyard"), "server", *common]

    def start(self, timeout: float = 120) -> BenchServer:
        env = dict(os.environ, MLFLOW_DISABLE_TELEMETRY="true", DO_NOT_TRACK="true")
        env = {k: v for k, v in env.items() if k not in ("MLFLOW_TRACKING_URI",)}
        log = open(self.workdir / "server.log", "wb")
        self.proc = subprocess.Popen(
            self.command(),
            stdout=log,
            stderr=log,
            env=env,
            cwd=self.workdir,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.kind} server exited; see {self.workdir / 'server.log'}")
            try:
                if httpx.get(self.url + "/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        else:
            self.stop()
            raise RuntimeError(f"{self.kind} server did not start")
        threading.Thread(target=self._sample, daemon=True).start()
        return self

    def _sample(self) -> None:
        while not self._stop_sampling.is_set() and self.proc is not None:
            self.peak_rss_mb = max(self.peak_rss_mb, tree_rss_mb(self.proc.pid))
            self._stop_sampling.wait(0.25)

    def stop(self) -> None:
        self._stop_sampling.set()
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        except ProcessLookupError:
            pass
        self.proc = None
