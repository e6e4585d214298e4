"""Server processes for the server benchmarks: start ``mlflow server`` / ``modelyard server`` /
FastTrackML's ``fml server`` on a free 127.0.0.1 port, wait for the first answer, sample the
memory of the whole process tree, stop.

RSS and PSS are read from ``/proc`` (Linux), summed over the server process and all its
descendants (uvicorn workers, job runners, ...). PSS (``smaps_rollup``) charges shared pages
to each process in proportion, so a forked worker is not counted twice.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import httpx

TS = 1_700_000_000_000
"""The timestamp of every benchmark write (ms)."""


def run_body(run_id: str, i: int) -> dict[str, Any]:
    """The log-batch body of run ``i`` of the runs workload: 10 metrics, 10 params, 5 tags."""
    return {
        "run_id": run_id,
        "metrics": [
            {
                "key": f"m{j}",
                "value": ((i * 7919 + j * 104729) % 1000) / 1000,
                "timestamp": TS,
                "step": 0,
            }
            for j in range(10)
        ],
        "params": [{"key": f"p{j}", "value": "a" if (i + j) % 2 == 0 else "b"} for j in range(10)],
        "tags": [{"key": f"t{j}", "value": f"v{i % 5}"} for j in range(5)],
    }


ROOT = Path(__file__).resolve().parents[2]
MLFLOW_BIN = Path(
    os.environ.get("MODELYARD_MLFLOW_PYTHON", ROOT / ".venv-mlflow/bin/python")
).parent
MODELYARD_BIN = ROOT / ".venv" / "bin"
FASTTRACKML_BIN = Path(
    os.environ.get("FASTTRACKML_BIN", Path(__file__).resolve().parent / ".venv-fml/bin/fml")
)


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


def _tree_kb(pid: int, path: str, field: str) -> float:
    tree = _children()
    todo, total = [pid], 0
    while todo:
        p = todo.pop()
        todo.extend(tree.get(p, []))
        try:
            for line in Path(f"/proc/{p}/{path}").read_text().splitlines():
                if line.startswith(field):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def tree_rss_mb(pid: int) -> float:
    return _tree_kb(pid, "status", "VmRSS:")


def tree_pss_mb(pid: int) -> float:
    return _tree_kb(pid, "smaps_rollup", "Pss:")


class BenchServer:
    """One server under test. ``kind`` is ``mlflow``, ``modelyard`` or ``fasttrackml``;
    ``db_uri`` defaults to a SQLite file ``store.db`` in ``workdir``."""

    def __init__(
        self, kind: str, workdir: Path, workers: int | None = None, db_uri: str | None = None
    ) -> None:
        self.kind = kind
        self.workdir = workdir
        self.workers = workers
        self.db_uri = db_uri or f"sqlite:///{workdir / 'store.db'}"
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None
        self.peak_rss_mb = 0.0
        self.peak_pss_mb = 0.0
        #: seconds from the process start to its first answer of an API call
        self.startup_s = 0.0
        self.label = kind if workers is None else f"{kind} w{workers}"
        self._stop_sampling = threading.Event()

    def command(self) -> list[str]:
        db = self.db_uri
        dest = self.workdir / "artifacts"
        dest.mkdir(parents=True, exist_ok=True)
        if self.kind == "fasttrackml":
            # FastTrackML spells a SQLite file sqlite://<path> and PostgreSQL postgres://
            fml_db = db.replace("postgresql://", "postgres://", 1)
            if fml_db.startswith("sqlite:///"):
                fml_db = "sqlite://" + fml_db[len("sqlite:///") :]
            return [
                str(FASTTRACKML_BIN),
                "server",
                "--log-level",
                "warning",
                "--listen-address",
                f"127.0.0.1:{self.port}",
                "--database-uri",
                fml_db,
                "--default-artifact-root",
                str(dest),
            ]
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
        started = time.perf_counter()
        deadline = time.monotonic() + timeout
        # the first answer to a real API call (not /health): the store must be open
        probe = self.url + "/api/2.0/mlflow/experiments/search?max_results=1"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                tail = (self.workdir / "server.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"{self.kind} server exited:\n{tail}")
            try:
                if httpx.get(probe, timeout=5).status_code == 200:
                    self.startup_s = time.perf_counter() - started
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.005)
        else:
            self.stop()
            raise RuntimeError(f"{self.kind} server did not start")
        threading.Thread(target=self._sample, daemon=True).start()
        return self

    def _sample(self) -> None:
        while not self._stop_sampling.is_set() and self.proc is not None:
            self.peak_rss_mb = max(self.peak_rss_mb, tree_rss_mb(self.proc.pid))
            self.peak_pss_mb = max(self.peak_pss_mb, tree_pss_mb(self.proc.pid))
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
