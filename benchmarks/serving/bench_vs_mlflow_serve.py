"""Benchmark: ``modelyard models serve`` vs ``mlflow models serve`` (3.17.2), same model.

One logistic-regression pipeline (4 numeric features) is saved once in the MLflow model format
and served by both servers with the same number of workers (``--workers``, default: CPU count,
MLflow's own default). Load comes from ``wrk`` (a Lua script sets the POST body):

* single-row requests at concurrency 1, 8 and 64;
* 100-row and 10,000-row requests at concurrency 8.

Reported per scenario and server: req/s, rows/s, p50 and p99 latency, non-2xx count, and the
resident memory of the whole server process tree after the run; then ratios modelyard/MLflow.
A second part compares batch inference on ``--batch-rows`` rows (parquet in, parquet out):
``modelyard.batch.predict`` vs the MLflow way (``mlflow.pyfunc.load_model`` + pandas).

Usage::

    .venv/bin/python benchmarks/serving/bench_vs_mlflow_serve.py [--duration 10] [--workers 2]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
MLFLOW_BIN = ROOT / ".venv-mlflow" / "bin"
MODELYARD_BIN = ROOT / ".venv" / "bin"
FEATURES = ["age", "tenure", "monthly_charges", "total_charges"]
SCENARIOS = [  # (name, rows per request, connections, keep-alive)
    ("1 row, c=1", 1, 1, True),
    ("1 row, c=8", 1, 8, True),
    ("1 row, c=64", 1, 64, True),
    ("100 rows, c=8", 100, 8, True),
    ("10k rows, c=8", 10_000, 8, True),
    # MLflow's server answers keep-alive clients ~40 ms late (a delayed-ACK stall: every
    # keep-alive client, httpx included, sees a 48 ms floor). A new connection per request
    # avoids the stall, so this row compares against MLflow at its best.
    ("1 row, c=8, no keep-alive", 1, 8, False),
]


def make_frame(n: int, seed: int = 0) -> Any:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "age": rng.uniform(18, 80, n).round(1),
            "tenure": rng.integers(0, 72, n).astype(float),
            "monthly_charges": rng.uniform(20, 120, n).round(2),
            "total_charges": rng.uniform(0, 8000, n).round(2),
        }
    )


def save_model(path: Path) -> None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    import modelyard.sklearn
    from modelyard.models.signature import infer_signature

    X = make_frame(5000)
    y = ((X["monthly_charges"] > 70) & (X["tenure"] < 30)).astype(int)
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
    modelyard.sklearn.save_model(model, str(path), signature=infer_signature(X, model.predict(X)))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(cmd: list[str], port: int, log: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            cmd, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **env}
        )
    import httpx

    body = {"dataframe_records": make_frame(1).to_dict("records")}
    deadline = time.time() + 240
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{cmd[0]} exited:\n{log.read_text()[-3000:]}")
        try:
            r = httpx.post(f"http://127.0.0.1:{port}/invocations", json=body, timeout=5)
            if r.status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    proc.kill()
    raise TimeoutError(f"{cmd} did not start:\n{log.read_text()[-3000:]}")


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()


def rss_mb(pid: int) -> float:
    import psutil

    root = psutil.Process(pid)
    procs = [root, *root.children(recursive=True)]
    return sum(p.memory_info().rss for p in procs if p.is_running()) / 2**20


def lua_script(path: Path, body_file: Path, keep_alive: bool = True) -> None:
    close = "" if keep_alive else 'wrk.headers["Connection"] = "close"\n'
    path.write_text(
        f"""
local f = io.open("{body_file}", "rb")
wrk.body = f:read("*all")
f:close()
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
{close}"""
    )


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _ms(text: str) -> float:
    m = re.match(r"([\d.]+)(us|ms|s|m)", text)
    if not m:
        return float("nan")
    return float(m.group(1)) * _UNITS[m.group(2)]


def run_wrk(url: str, script: Path, connections: int, duration: float) -> dict[str, float]:
    threads = min(connections, 2)
    cmd = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(duration))}s",
        "--timeout",
        "30s",
        "--latency",
        "-s",
        str(script),
        url,
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = _ms(re.search(r"\s50%\s+(\S+)", out).group(1))
    p99 = _ms(re.search(r"\s99%\s+(\S+)", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return {
        "rps": rps,
        "p50": p50,
        "p99": p99,
        "non2xx": int(non2xx.group(1)) if non2xx else 0,
        "socket_errors": errors.group(1) if errors else "",
    }


def serve_bench(model_dir: Path, work: Path, workers: int, duration: float) -> list[dict[str, Any]]:
    bodies: dict[tuple[int, bool], Path] = {}
    for _, rows, _, keep_alive in SCENARIOS:
        if (rows, keep_alive) not in bodies:
            f = work / f"body_{rows}.json"
            split = make_frame(rows, seed=rows).to_dict("split")
            split.pop("index", None)
            f.write_text(json.dumps({"dataframe_split": split}))
            script = work / f"post_{rows}_{'ka' if keep_alive else 'close'}.lua"
            lua_script(script, f, keep_alive)
            bodies[(rows, keep_alive)] = script
    servers = {
        "mlflow": [
            str(MLFLOW_BIN / "mlflow"),
            "models",
            "serve",
            "-m",
            str(model_dir),
            "--env-manager",
            "local",
            "-h",
            "127.0.0.1",
            "-w",
            str(workers),
        ],
        "modelyard": [
            str(MODELYARD_BIN / "modelyard"),
            "models",
            "serve",
            "-m",
            str(model_dir),
            "-h",
            "127.0.0.1",
            "-w",
            str(workers),
        ],
    }
    results: list[dict[str, Any]] = []
    for server, base in servers.items():
        port = free_port()
        env = {"MLFLOW_TRACKING_URI": f"sqlite:///{work / 'unused.db'}"}
        if server == "mlflow":
            env["PATH"] = f"{MLFLOW_BIN}:{os.environ['PATH']}"  # its uvicorn
        proc = start([*base, "-p", str(port)], port, work / f"{server}.log", env)
        url = f"http://127.0.0.1:{port}/invocations"
        try:
            for name, rows, conns, keep_alive in SCENARIOS:
                script = bodies[(rows, keep_alive)]
                run_wrk(url, script, conns, max(2.0, duration / 4))  # warm-up
                res = run_wrk(url, script, conns, duration)
                res.update(server=server, scenario=name, rows=rows, rss_mb=rss_mb(proc.pid))
                res["rows_per_s"] = res["rps"] * rows
                results.append(res)
                print(
                    f"  {server:9s} {name:14s} {res['rps']:9.0f} req/s  p50 {res['p50']:8.2f} ms  "
                    f"p99 {res['p99']:8.2f} ms  non2xx {res['non2xx']}  rss {res['rss_mb']:.0f} MB",
                    flush=True,
                )
        finally:
            stop(proc)
    return results


MLFLOW_BATCH = """
import sys, time
import pandas as pd
import mlflow.pyfunc
src, dst, model = sys.argv[1:4]
t0 = time.perf_counter()
m = mlflow.pyfunc.load_model(model)
t1 = time.perf_counter()
df = pd.read_parquet(src)
df["prediction"] = m.predict(df)
df["prediction_date"] = pd.Timestamp.now(tz="UTC")
df.to_parquet(dst)
print(t1 - t0, time.perf_counter() - t1)
"""

MODELYARD_BATCH = """
import sys, time
from modelyard.batch import predict
from modelyard.pyfunc import load_model
src, dst, model = sys.argv[1:4]
t0 = time.perf_counter()
m = load_model(model)
t1 = time.perf_counter()
predict(m, src, dst, progress=False)
print(t1 - t0, time.perf_counter() - t1)
"""


def peak_rss_run(cmd: list[str]) -> tuple[float, float, float]:
    """(model load seconds, scoring seconds, peak RSS MB) of one child process."""
    import psutil

    proc = psutil.Popen(cmd, stdout=subprocess.PIPE, text=True)
    peak = 0
    while proc.poll() is None:
        try:
            peak = max(peak, proc.memory_info().rss)
        except psutil.Error:
            break
        time.sleep(0.02)
    out = proc.stdout.read() if proc.stdout else ""
    if proc.returncode:
        raise RuntimeError(f"{cmd} failed")
    load_s, score_s = map(float, out.strip().splitlines()[-1].split())
    return load_s, score_s, peak / 2**20


def batch_bench(model_dir: Path, work: Path, rows: int) -> list[dict[str, Any]]:
    src = work / "batch_in.parquet"
    make_frame(rows, seed=42).to_parquet(src)
    results = []
    for name, python, code in (
        ("mlflow pyfunc + pandas", MLFLOW_BIN / "python", MLFLOW_BATCH),
        ("modelyard.batch.predict", MODELYARD_BIN / "python", MODELYARD_BATCH),
    ):
        dst = work / f"batch_out_{name.split()[0]}.parquet"
        script = work / f"batch_{name.split()[0]}.py"
        script.write_text(code)
        load_s, seconds, peak = peak_rss_run(
            [str(python), str(script), str(src), str(dst), str(model_dir)]
        )
        results.append(
            {
                "tool": name,
                "rows": rows,
                "load_s": load_s,
                "seconds": seconds,
                "rows_per_s": rows / seconds,
                "peak_rss_mb": peak,
            }
        )
        print(f"  {name:24s} {rows} rows scored in {seconds:.2f} s", flush=True)
    return results


def print_tables(serve: list[dict[str, Any]], batch: list[dict[str, Any]], workers: int) -> None:
    by = {(r["server"], r["scenario"]): r for r in serve}
    print(
        f"\nScoring servers, {workers} workers each, {os.cpu_count()} CPUs (load generator shares them)\n"
    )
    head = (
        "| scenario | MLflow req/s | modelyard req/s | req/s ratio | modelyard rows/s | "
        "MLflow p50 / p99 ms | modelyard p50 / p99 ms | p99 ratio | RSS MB MLflow / modelyard |"
    )
    print(head)
    print("|" + "---|" * 9)
    for name, *_ in SCENARIOS:
        m, y = by.get(("mlflow", name)), by.get(("modelyard", name))
        if not m or not y:
            continue
        print(
            f"| {name} | {m['rps']:,.0f} | {y['rps']:,.0f} | {y['rps'] / m['rps']:.1f}x | "
            f"{y['rows_per_s']:,.0f} | {m['p50']:.2f} / {m['p99']:.2f} | "
            f"{y['p50']:.2f} / {y['p99']:.2f} | {y['p99'] / m['p99']:.2f} | "
            f"{m['rss_mb']:.0f} / {y['rss_mb']:.0f} |"
        )
    errs = [r for r in serve if r["non2xx"] or r["socket_errors"]]
    for r in errs:
        print(
            f"note: {r['server']} {r['scenario']}: non-2xx={r['non2xx']} socket errors={r['socket_errors']}"
        )
    if batch:
        print("\nBatch inference (parquet in → parquet out)\n")
        print("| tool | rows | model load s | read+score+write s | rows/s | peak RSS MB |")
        print("|---|---|---|---|---|---|")
        for r in batch:
            print(
                f"| {r['tool']} | {r['rows']:,} | {r['load_s']:.2f} | {r['seconds']:.2f} | "
                f"{r['rows_per_s']:,.0f} | {r['peak_rss_mb']:.0f} |"
            )
        if len(batch) == 2:
            print(
                f"\nbatch ratio modelyard/MLflow: {batch[1]['rows_per_s'] / batch[0]['rows_per_s']:.2f}x"
            )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--duration", type=float, default=10.0, help="seconds per measured run")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--batch-rows", type=int, default=1_000_000)
    ap.add_argument("--skip-batch", action="store_true")
    ap.add_argument("--json", type=Path, default=None, help="also write raw results here")
    args = ap.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is required: apt-get install -y wrk")
    work = Path(tempfile.mkdtemp(prefix="bench-serving-"))
    model_dir = work / "model"
    save_model(model_dir)
    print(f"model: {model_dir}")
    serve = serve_bench(model_dir, work, args.workers, args.duration)
    batch = [] if args.skip_batch else batch_bench(model_dir, work, args.batch_rows)
    print_tables(serve, batch, args.workers)
    if args.json:
        args.json.write_text(json.dumps({"serve": serve, "batch": batch}, indent=2))


if __name__ == "__main__":
    main()
