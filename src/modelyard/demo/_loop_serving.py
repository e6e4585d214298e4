"""MLOps demo steps on a serving endpoint: a local endpoint server (``modelyard endpoints
serve`` in a child process the demo starts and stops), traffic with known labels, and the A/B
analysis of its inference table."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from modelyard.demo._deploy import free_port, wait_until_serving

__all__ = ["EndpointServer", "Traffic", "send_traffic", "serve", "wait_for_rows"]


@dataclass
class EndpointServer:
    name: str
    base: str
    home: str

    @property
    def invocations(self) -> str:
        return f"{self.base}/serving-endpoints/{self.name}/invocations"

    def served_versions(self) -> list[str]:
        """The versions the worker routes live traffic to now (its ``/status``)."""
        import httpx

        body = httpx.get(f"{self.base}/serving-endpoints/{self.name}/status", timeout=10).json()
        answered = body.get("answered_by") or {}
        models = answered.get("served_models") or []
        return sorted(
            str(m.get("model_version"))
            for m in models
            if not m.get("shadow") and m.get("model_version") is not None
        )

    def wait_for_versions(self, wanted: list[str], timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while self.served_versions() != sorted(wanted):
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"endpoint {self.name!r} serves {self.served_versions()}, not {wanted}"
                )
            time.sleep(0.2)


@contextmanager
def serve(name: str, home: str, tracking_uri: str, log_path: str) -> Iterator[EndpointServer]:
    """``modelyard endpoints serve NAME`` on a free port of 127.0.0.1 (no token: the demo's
    own local endpoint), stopped again when the block ends."""

    port = free_port()
    env = dict(os.environ, MLFLOW_TRACKING_URI=tracking_uri)
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "modelyard.cli.main",
                "endpoints",
                "serve",
                name,
                "--port",
                str(port),
                "--serving-home",
                home,
                "--poll-interval",
                "0.5",
                "--disable-auth",
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(proc, base, lambda: Path(log_path).read_text(errors="replace")[-2000:])
        yield EndpointServer(name, base, home)
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


@dataclass
class Traffic:
    """What was sent: record ids (the monitors' ``<request_id>:<i>``), their labels, and the
    number of requests answered by each version."""

    record_ids: list[str] = field(default_factory=list)
    labels: list[int] = field(default_factory=list)
    by_version: dict[str, int] = field(default_factory=dict)
    requests: int = 0

    def label_frame(self) -> Any:
        import pandas as pd

        return pd.DataFrame({"request_id": self.record_ids, "label": self.labels})


def send_traffic(
    server: EndpointServer, frame: Any, features: list[str], batch: int = 20
) -> Traffic:
    """POST ``frame`` in requests of ``batch`` records; keeps the labels of column ``churn``."""
    import httpx

    out = Traffic()
    with httpx.Client(timeout=60) as http:
        for start in range(0, len(frame), batch):
            chunk = frame.iloc[start : start + batch]
            response = http.post(
                server.invocations,
                json={"dataframe_split": chunk[features].to_dict(orient="split", index=False)},
            )
            response.raise_for_status()
            request_id = response.headers["X-Request-Id"]
            version = response.headers.get("X-Modelyard-Model-Version", "?")
            out.by_version[version] = out.by_version.get(version, 0) + 1
            out.requests += 1
            if len(chunk) == 1:
                out.record_ids.append(request_id)
            else:
                out.record_ids += [f"{request_id}:{i}" for i in range(len(chunk))]
            out.labels += [int(v) for v in chunk["churn"]]
    return out


def wait_for_rows(name: str, home: str, wanted: int, timeout: float = 120.0) -> Any:
    """The inference log is written off the request path: wait (bounded) for ``wanted`` rows."""
    from modelyard.serving import endpoints

    deadline = time.monotonic() + timeout
    while True:
        try:
            table = endpoints.read_inference_table(name, home=home)
        except FileNotFoundError:
            table = []
        if len(table) >= wanted:
            return table
        if time.monotonic() > deadline:
            raise RuntimeError(f"the inference table of {name!r} has {len(table)} of {wanted} rows")
        time.sleep(0.3)
