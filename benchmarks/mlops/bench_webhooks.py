"""Webhook delivery: ``modelyard server`` vs ``mlflow server`` 3.17.2, side by side.

Run once, by hand, from the repository root:

    .venv/bin/python benchmarks/mlops/bench_webhooks.py [--events 1000]

Each server runs on its own SQLite database with MLflow's development switches
(``MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS=true``, ``MLFLOW_WEBHOOK_ALLOWED_SCHEMES=http,https``) and
one webhook on ``registered_model.created`` pointing at a receiver in this process. Part 1,
latency: ``--events`` registered models are created one after another over REST; the latency of
an event is the time from the end of the request that caused it to the receiver getting it
(p50, p99, max; the number received). Part 2, ``kill -9``: the same again, with the server killed
by SIGKILL after half of the events and restarted on the same database; the other half is sent
to the new process; the report counts the distinct events that ever reached the receiver.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
MLFLOW_BIN = os.path.join(ROOT, ".venv-mlflow", "bin", "mlflow")
ENV = {
    "MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS": "true",
    "MLFLOW_WEBHOOK_ALLOWED_SCHEMES": "http,https",
    "MODELYARD_JOBS_SCHEDULER": "0",
    # a delivery in flight when a server is killed is sent again once its lease (the request
    # timeout + 2 s in modelyard) has passed; 5 s keeps that wait short for both tools
    "MLFLOW_WEBHOOK_REQUEST_TIMEOUT": "5",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Receiver:
    def __init__(self) -> None:
        self.got: dict[str, float] = {}  # model name -> first arrival (perf_counter)
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                now = time.perf_counter()
                name = json.loads(body).get("data", {}).get("name", "")
                with outer.lock:
                    outer.got.setdefault(name, now)
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.port = free_port()
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.port}/hook"


def start_server(tool: str, folder: str, port: int) -> subprocess.Popen:
    env = dict(os.environ, **ENV)
    db = f"sqlite:///{folder}/{tool}.db"
    art = os.path.join(folder, f"{tool}-artifacts")
    os.makedirs(art, exist_ok=True)
    if tool == "mlflow":
        cmd = [
            MLFLOW_BIN,
            "server",
            "--backend-store-uri",
            db,
            "--artifacts-destination",
            art,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
        ]
    else:
        cmd = [
            sys.executable,
            "-c",
            "from modelyard.cli.main import main; main()",
            "server",
            "--backend-store-uri",
            db,
            "--artifacts-destination",
            art,
            "--port",
            str(port),
        ]
    log = open(os.path.join(folder, f"{tool}-{port}.log"), "ab")
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=log, start_new_session=True)
    for _ in range(1200):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            raise SystemExit(f"{tool} server exited; see {log.name}")
        time.sleep(0.1)
    raise SystemExit(f"{tool} server did not start")


def kill(proc: subprocess.Popen, sig: int = signal.SIGKILL) -> None:
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        pass
    proc.wait(30)


def fire(base: str, names: list[str], sent: dict[str, float]) -> None:
    with httpx.Client(base_url=base, timeout=30) as http:
        for name in names:
            r = http.post("/api/2.0/mlflow/registered-models/create", json={"name": name})
            r.raise_for_status()
            sent[name] = time.perf_counter()


def wait_received(receiver: Receiver, names: list[str], idle_s: float = 20.0) -> None:
    """Until every name arrived, or nothing new arrived for ``idle_s``."""
    last, last_change = -1, time.perf_counter()
    while True:
        with receiver.lock:
            count = sum(1 for n in names if n in receiver.got)
        if count == len(names):
            return
        if count != last:
            last, last_change = count, time.perf_counter()
        elif time.perf_counter() - last_change > idle_s:
            return
        time.sleep(0.05)


def run(tool: str, n: int, folder: str) -> dict:
    receiver = Receiver()
    port = free_port()
    proc = start_server(tool, folder, port)
    base = f"http://127.0.0.1:{port}"
    r = httpx.post(
        f"{base}/api/2.0/mlflow/webhooks",
        timeout=30,
        json={
            "name": "bench",
            "url": receiver.url,
            "events": [{"entity": "REGISTERED_MODEL", "action": "CREATED"}],
        },
    )
    r.raise_for_status()
    time.sleep(1.0)  # MLflow caches the webhook list per event: let no event miss it
    sent: dict[str, float] = {}
    names = [f"{tool}-lat-{i}" for i in range(n)]
    start = time.perf_counter()
    fire(base, names, sent)
    wait_received(receiver, names)
    elapsed = time.perf_counter() - start
    lat = sorted(max(0.0, receiver.got[k] - sent[k]) for k in names if k in receiver.got)
    out = {
        "received": len(lat),
        "p50_ms": 1000 * statistics.median(lat) if lat else None,
        "p99_ms": 1000 * lat[int(0.99 * (len(lat) - 1))] if lat else None,
        "max_ms": 1000 * lat[-1] if lat else None,
        "events_per_s": n / elapsed,
    }
    # part 2: kill -9 after half of the events, restart, send the rest
    names2 = [f"{tool}-kill-{i}" for i in range(n)]
    fire(base, names2[: n // 2], sent)
    kill(proc)
    proc = start_server(tool, folder, port)
    fire(base, names2[n // 2 :], sent)
    wait_received(receiver, names2)
    kill(proc, signal.SIGTERM)
    receiver.server.shutdown()
    out["kill9_received"] = sum(1 for k in names2 if k in receiver.got)
    out["kill9_lost"] = n - out["kill9_received"]
    return out


def _fmt(key: str, value: object) -> str:
    if value is None:
        return "-"
    if key.endswith(("ms", "_s")):
        return f"{float(value):.1f}"  # type: ignore[arg-type]
    return str(value)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--tools", default="mlflow,modelyard")
    args = parser.parse_args()
    tools = args.tools.split(",")
    with tempfile.TemporaryDirectory(prefix="bench-webhooks-") as folder:
        results = {tool: run(tool, args.events, folder) for tool in tools}
    for tool in ("mlflow", "modelyard"):
        results.setdefault(tool, dict.fromkeys(results[tools[0]]))
    print(f"webhook delivery, {args.events} registered_model.created events per part")
    print(f"{'':<22} {'mlflow 3.17.2':>14} {'modelyard':>12}")
    for key in (
        "received",
        "p50_ms",
        "p99_ms",
        "max_ms",
        "events_per_s",
        "kill9_received",
        "kill9_lost",
    ):
        a, b = results["mlflow"][key], results["modelyard"][key]
        print(f"{key:<22} {_fmt(key, a):>14} {_fmt(key, b):>12}")
    print("JSON " + json.dumps(results))


if __name__ == "__main__":
    main()
