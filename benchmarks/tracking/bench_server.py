"""Tracking *server* benchmark: ``mlflow server`` 3.17.2 vs ``modelyard server``, over REST.

Both servers run on this machine in the same invocation, on a fresh SQLite store each with the
artifact proxy on (``mlflow server --serve-artifacts`` with its default 4 workers; ``modelyard
server`` with its defaults, and also with ``--workers 2``). One client library drives both:
plain ``httpx`` speaking the MLflow REST protocol, so the numbers compare the servers only.

Phases (full size):

* per-call ``log-metric``: 2,000 sequential calls, calls/s and p99 latency, with a keep-alive
  connection and with a new connection per call (MLflow's server answers keep-alive clients
  with a ~40 ms delayed-ACK stall; the no-keep-alive row is MLflow at its best);
* ``log-batch`` ingest: 200,000 points in batches of 1,000;
* metric history: read those 200,000 points back (pages of 25,000, as the client does);
* run creation: 5,000 runs, each ``runs/create`` + one ``log-batch`` (10 metrics, 10 params,
  5 tags);
* search: ``metrics.m1 > 0.5 and params.p1 = 'a'`` ordered by ``metrics.m1 DESC`` over all
  pages of 1,000 at 5,000 runs (best of 3);
* 8 concurrent writers, 2,000 points each in batches of 100;
* server memory: peak RSS summed over the server's process tree, sampled every 250 ms.

Every phase except the per-call keep-alive row uses a new connection per request (the
conservative setting for MLflow).

Usage::

    .venv/bin/python benchmarks/tracking/bench_server.py            # full size
    .venv/bin/python benchmarks/tracking/bench_server.py --quick    # ~5% size
    .venv/bin/python benchmarks/tracking/bench_server.py --scale 0.4
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from server_procs import TS, BenchServer, run_body

API = "/api/2.0/mlflow"


def _client(keepalive: bool) -> httpx.Client:
    limits = httpx.Limits(max_keepalive_connections=None if keepalive else 0)
    return httpx.Client(timeout=600, limits=limits)


def _post(http: httpx.Client, url: str, path: str, body: dict) -> dict:
    r = http.post(url + API + path, json=body)
    if r.status_code != 200:
        raise RuntimeError(f"{path}: {r.status_code} {r.text[:300]}")
    return r.json()


def _get(http: httpx.Client, url: str, path: str, params: dict) -> dict:
    r = http.get(url + API + path, params=params)
    if r.status_code != 200:
        raise RuntimeError(f"{path}: {r.status_code} {r.text[:300]}")
    return r.json()


def _new_run(http: httpx.Client, url: str, exp: str) -> str:
    return _post(http, url, "/runs/create", {"experiment_id": exp, "start_time": TS})["run"][
        "info"
    ]["run_id"]


def per_call(url: str, exp: str, n: int, keepalive: bool) -> tuple[float, float]:
    with _client(keepalive) as http:
        run_id = _new_run(http, url, exp)
        lat = []
        t0 = time.perf_counter()
        for i in range(n):
            t = time.perf_counter()
            body = {"run_id": run_id, "key": "m", "value": i * 0.5, "timestamp": TS + i, "step": i}
            _post(http, url, "/runs/log-metric", body)
            lat.append(time.perf_counter() - t)
        total = time.perf_counter() - t0
    lat.sort()
    return n / total, lat[min(len(lat) - 1, int(0.99 * len(lat)))] * 1000


def ingest_and_history(url: str, exp: str, points: int) -> tuple[float, float]:
    with _client(False) as http:
        run_id = _new_run(http, url, exp)
        t0 = time.perf_counter()
        for b in range(points // 1000):
            metrics = [
                {"key": "loss", "value": 1.0 / (i + 1), "timestamp": TS + i, "step": i}
                for i in range(b * 1000, (b + 1) * 1000)
            ]
            _post(http, url, "/runs/log-batch", {"run_id": run_id, "metrics": metrics})
        ingest = time.perf_counter() - t0
        t0 = time.perf_counter()
        got, token = 0, None
        while True:
            params = {"run_id": run_id, "metric_key": "loss", "max_results": 25000}
            if token:
                params["page_token"] = token
            page = _get(http, url, "/metrics/get-history", params)
            got += len(page.get("metrics", []))
            token = page.get("next_page_token")
            if not token:
                break
        history = time.perf_counter() - t0
    assert got == points, (got, points)
    return points / ingest, history


def create_runs(url: str, exp: str, n: int) -> float:
    with _client(False) as http:
        t0 = time.perf_counter()
        for i in range(n):
            run_id = _new_run(http, url, exp)
            _post(http, url, "/runs/log-batch", run_body(run_id, i))
        return time.perf_counter() - t0


def search_all(url: str, exp: str, repeats: int = 3) -> tuple[float, int]:
    times, found = [], 0
    with _client(False) as http:
        for _ in range(repeats):
            t0 = time.perf_counter()
            found, token = 0, None
            while True:
                body = {
                    "experiment_ids": [exp],
                    "filter": "metrics.m1 > 0.5 and params.p1 = 'a'",
                    "max_results": 1000,
                    "order_by": ["metrics.m1 DESC"],
                }
                if token:
                    body["page_token"] = token
                page = _post(http, url, "/runs/search", body)
                found += len(page.get("runs", []))
                token = page.get("next_page_token")
                if not token:
                    break
            times.append(time.perf_counter() - t0)
    return min(times), found


def concurrent_writers(url: str, exp: str, writers: int, points: int) -> float:
    errors: list[BaseException] = []

    def work() -> None:
        try:
            with _client(False) as http:
                run_id = _new_run(http, url, exp)
                for start in range(0, points, 100):
                    metrics = [
                        {"key": "x", "value": float(s), "timestamp": TS + s, "step": s}
                        for s in range(start, start + 100)
                    ]
                    _post(http, url, "/runs/log-batch", {"run_id": run_id, "metrics": metrics})
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(writers)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return writers * points / (time.perf_counter() - t0)


def run_suite(server: BenchServer, sizes: dict) -> dict:
    url = server.url
    with _client(False) as http:
        exp = lambda name: _post(http, url, "/experiments/create", {"name": name})[  # noqa: E731
            "experiment_id"
        ]
        e_calls, e_ingest, e_runs, e_conc = exp("calls"), exp("ingest"), exp("runs"), exp("conc")
    out: dict = {}
    # warm-up (imports, connection pools, SQLite page cache) outside the timed phases
    per_call(url, e_calls, 30, True)
    per_call(url, e_calls, 30, False)
    print(f"  [{server.label}] per-call log-metric ...", flush=True)
    out["calls_s_keepalive"], out["p99_ms_keepalive"] = per_call(url, e_calls, sizes["calls"], True)
    out["calls_s"], out["p99_ms"] = per_call(url, e_calls, sizes["calls"], False)
    print(f"  [{server.label}] log-batch + history ...", flush=True)
    out["ingest_points_s"], out["history_s"] = ingest_and_history(url, e_ingest, sizes["points"])
    print(f"  [{server.label}] create runs ...", flush=True)
    out["create_runs_s"] = create_runs(url, e_runs, sizes["runs"])
    print(f"  [{server.label}] search ...", flush=True)
    out["search_s"], out["search_found"] = search_all(url, e_runs)
    print(f"  [{server.label}] concurrent writers ...", flush=True)
    out["concurrent_points_s"] = concurrent_writers(url, e_conc, 8, sizes["conc_points"])
    time.sleep(0.5)
    out["peak_rss_mb"] = server.peak_rss_mb
    return out


ROWS = [
    # key, label, higher_is_better, goal ratio
    ("calls_s_keepalive", "log-metric calls/s (keep-alive)", True, None),
    ("p99_ms_keepalive", "log-metric p99 ms (keep-alive)", False, None),
    ("calls_s", "log-metric calls/s (new conn)", True, 5),
    ("p99_ms", "log-metric p99 ms (new conn)", False, None),
    ("ingest_points_s", "log-batch points/s", True, 5),
    ("history_s", "metric history s", False, 5),
    ("create_runs_s", "create runs s", False, 10),
    ("search_s", "search all pages s", False, 10),
    ("concurrent_points_s", "8 writers points/s", True, 5),
    ("peak_rss_mb", "server peak RSS MB", False, 10),
]


def print_table(results: dict[str, dict], sizes: dict) -> None:
    names = list(results)
    base = results["mlflow"]
    head = f"| {'measure':<34} | " + " | ".join(f"{n:>15}" for n in names)
    head += " | " + " | ".join(f"{'ratio ' + n.split(' ', 1)[-1]:>14}" for n in names[1:])
    head += " | goal |"
    print(f"\nsizes: {json.dumps(sizes)}")
    print(head)
    print("|" + "---|" * (len(names) * 2 + 1))
    for key, label, higher, goal in ROWS:
        cells = [f"{results[n][key]:>15,.2f}" for n in names]
        ratios = []
        for n in names[1:]:
            a, b = base[key], results[n][key]
            r = (b / a if higher else a / b) if a and b else float("nan")
            ratios.append(f"{r:>13.1f}x")
        g = f"≥{goal}x" if goal else ""
        print(f"| {label:<34} | " + " | ".join(cells) + " | " + " | ".join(ratios) + f" | {g} |")
    print(f"(search matched {base['search_found']} runs on every server)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scale", type=float, default=1.0, help="multiply every size by this")
    ap.add_argument("--quick", action="store_true", help="same as --scale 0.05")
    ap.add_argument("--no-workers2", action="store_true", help="skip modelyard --workers 2")
    ap.add_argument("--json", type=Path, help="also write the raw results here")
    args = ap.parse_args()
    scale = 0.05 if args.quick else args.scale
    sizes = {
        "calls": max(50, int(2000 * scale)),
        "points": max(1000, int(200_000 * scale) // 1000 * 1000),
        "runs": max(50, int(5000 * scale)),
        "conc_points": max(100, int(2000 * scale) // 100 * 100),
    }
    configs = [("mlflow", "mlflow", None), ("modelyard", "modelyard", None)]
    if not args.no_workers2:
        configs.append(("modelyard w2", "modelyard", 2))
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="bench-server-") as tmp:
        for label, kind, workers in configs:
            work = Path(tmp) / label.replace(" ", "-")
            work.mkdir()
            server = BenchServer(kind, work, workers)
            server.label = label
            print(f"starting {label} ...", flush=True)
            server.start()
            try:
                t0 = time.perf_counter()
                results[label] = run_suite(server, sizes)
                print(f"  [{label}] done in {time.perf_counter() - t0:.0f} s", flush=True)
            finally:
                server.stop()
    found = {r["search_found"] for r in results.values()}
    assert len(found) == 1, f"servers disagree on the search result: {found}"
    print_table(results, sizes)
    if args.json:
        args.json.write_text(json.dumps({"sizes": sizes, "results": results}, indent=2))


if __name__ == "__main__":
    main()
