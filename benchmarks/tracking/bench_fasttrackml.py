"""Tracking server benchmark: ``modelyard server`` vs FastTrackML 0.6.0 (``fml server``), REST only.

FastTrackML is G-Research's Go rewrite of MLflow's tracking REST API. Both servers run on this
machine in one invocation, each on a fresh database of its own (SQLite files in a temporary
directory; with ``--backend postgresql`` also one fresh PostgreSQL database per server, created
with ``CREATE DATABASE`` on the local server and dropped afterwards). One client drives both:
plain ``httpx`` speaking the MLflow REST protocol, one keep-alive connection per client thread
(as the mlflow client's session does), so the numbers compare the servers only.

The workload is the one of ``bench_server.py`` (the MLflow comparison), plus searches without a
filter, experiments search, disk size and start-up:

* start-up: from starting the process on a fresh database to its first answer of an API call;
* per-call ``log-metric``: sequential calls, calls/s;
* ``log-batch`` ingest: points of one metric in batches of 1,000, points/s;
* metric history: read those points back, in pages of 1,000 and in one unpaged call;
* run creation: each run ``runs/create`` + one ``log-batch`` (10 metrics, 10 params, 5 tags);
* run search over the experiment of those runs, every page of 1,000: without a filter (the
  default order), and ``metrics.m1 > 0.5 and params.p1 = 'a'`` ordered by ``metrics.m1 DESC``;
  also one first page of 100 of that filtered, metric-ordered search (ms);
* experiments search: every page of 100 over all experiments, then ``name LIKE 'bench-e1%'``;
* 8 concurrent writers, each its own run, points in batches of 100;
* memory: peak PSS of the server's process tree, sampled every 250 ms;
* database size on disk after the workload (SQLite: the database file plus its ``-wal`` and
  ``-shm`` files, after the server stopped; PostgreSQL: ``pg_database_size``).

Each ``--repeat`` starts both servers again on fresh databases, alternating which goes first.
The table shows the median of each server's figures and the median and range of the per-repeat
ratios. **Every ratio reads "times better for modelyard"**: FastTrackML's time / modelyard's
time, modelyard's rate / FastTrackML's rate, FastTrackML's MB / modelyard's MB; above 1.0 means
modelyard is ahead.

Usage::

    .venv/bin/python benchmarks/tracking/bench_fasttrackml.py --scale small --repeat 3
    .venv/bin/python benchmarks/tracking/bench_fasttrackml.py --scale full --backend sqlite,postgresql
    .venv/bin/python benchmarks/tracking/bench_fasttrackml.py --scale 100k --repeat 1

The FastTrackML binary comes from ``benchmarks/tracking/.venv-fml`` (created on first use by
``setup_fasttrackml.sh``: ``pip install --no-deps fasttrackml==0.6.0``) or ``FASTTRACKML_BIN``.
PostgreSQL: ``--pg-url`` (default ``postgresql://postgres@127.0.0.1:5432/postgres``).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import server_procs
from server_procs import TS, BenchServer, run_body

API = "/api/2.0/mlflow"
SERVERS = ("fasttrackml", "modelyard")

SCALES: dict[str, dict[str, int]] = {
    "small": {"calls": 300, "points": 20_000, "runs": 300, "experiments": 200, "conc": 500},
    "full": {"calls": 2000, "points": 200_000, "runs": 5000, "experiments": 1000, "conc": 2000},
    "100k": {
        "calls": 2000,
        "points": 1_000_000,
        "runs": 100_000,
        "experiments": 1000,
        "conc": 2000,
    },
}

# key, label, higher_is_better
ROWS: list[tuple[str, str, bool]] = [
    ("calls_s", "log-metric calls/s", True),
    ("ingest_points_s", "log-batch points/s", True),
    ("history_paged_s", "metric history, pages of 1,000 (s)", False),
    ("history_unpaged_s", "metric history, unpaged (s)", False),
    ("create_runs_s", "run creation runs/s", True),
    ("search_all_s", "search all runs, all pages (s)", False),
    ("search_filtered_s", "search filtered+sorted, all pages (s)", False),
    ("search_page_ms", "search filtered+sorted, first 100 (ms)", False),
    ("experiments_search_s", "experiments search (s)", False),
    ("concurrent_points_s", "8 concurrent writers points/s", True),
    ("peak_pss_mb", "server memory, peak PSS (MB)", False),
    ("db_mb", "database size on disk (MB)", False),
    ("startup_s", "start-up to first answer (s)", False),
]


# --------------------------------------------------------------------------- REST helpers


class Rest:
    """One keep-alive connection to one server."""

    def __init__(self, url: str) -> None:
        self.url = url + API
        self.http = httpx.Client(timeout=900)

    def __enter__(self) -> Rest:
        return self

    def __exit__(self, *exc: object) -> None:
        self.http.close()

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        r = self.http.post(self.url + path, json=body)
        if r.status_code != 200:
            raise RuntimeError(f"{path}: {r.status_code} {r.text[:300]}")
        out: dict[str, Any] = r.json()
        return out

    def get(self, path: str, params: dict[str, Any]) -> dict[str, Any]:
        r = self.http.get(self.url + path, params=params)
        if r.status_code != 200:
            raise RuntimeError(f"{path}: {r.status_code} {r.text[:300]}")
        out: dict[str, Any] = r.json()
        return out

    def new_run(self, exp: str) -> str:
        body = {"experiment_id": exp, "start_time": TS}
        run_id: str = self.post("/runs/create", body)["run"]["info"]["run_id"]
        return run_id

    def new_experiment(self, name: str) -> str:
        exp_id: str = self.post("/experiments/create", {"name": name})["experiment_id"]
        return exp_id


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


# ------------------------------------------------------------------------------ scenarios


def per_call(rest: Rest, exp: str, n: int) -> float:
    run_id = rest.new_run(exp)
    t0 = time.perf_counter()
    for i in range(n):
        body = {"run_id": run_id, "key": "m", "value": i * 0.5, "timestamp": TS + i, "step": i}
        rest.post("/runs/log-metric", body)
    return n / (time.perf_counter() - t0)


def ingest(rest: Rest, exp: str, points: int) -> tuple[float, str]:
    run_id = rest.new_run(exp)
    t0 = time.perf_counter()
    for b in range(points // 1000):
        metrics = [
            {"key": "loss", "value": 1.0 / (i + 1), "timestamp": TS + i, "step": i}
            for i in range(b * 1000, (b + 1) * 1000)
        ]
        rest.post("/runs/log-batch", {"run_id": run_id, "metrics": metrics})
    return points / (time.perf_counter() - t0), run_id


def history(rest: Rest, run_id: str, page_size: int | None) -> int:
    got, token = 0, None
    while True:
        params: dict[str, Any] = {"run_id": run_id, "metric_key": "loss"}
        if page_size:
            params["max_results"] = page_size
        if token:
            params["page_token"] = token
        page = rest.get("/metrics/get-history", params)
        got += len(page.get("metrics", []))
        token = page.get("next_page_token")
        if not token:
            return got


def create_runs(rest: Rest, exp: str, n: int) -> float:
    t0 = time.perf_counter()
    for i in range(n):
        rest.post("/runs/log-batch", run_body(rest.new_run(exp), i))
    return n / (time.perf_counter() - t0)


FILTER = "metrics.m1 > 0.5 and params.p1 = 'a'"


def search_runs(rest: Rest, exp: str, filtered: bool, page_size: int, all_pages: bool) -> int:
    found, token = 0, None
    while True:
        body: dict[str, Any] = {"experiment_ids": [exp], "max_results": page_size}
        if filtered:
            body["filter"] = FILTER
            body["order_by"] = ["metrics.m1 DESC"]
        if token:
            body["page_token"] = token
        page = rest.post("/runs/search", body)
        found += len(page.get("runs", []))
        token = page.get("next_page_token")
        if not token or not all_pages:
            return found


def search_experiments(rest: Rest) -> int:
    found, token = 0, None
    while True:
        body: dict[str, Any] = {"max_results": 100}
        if token:
            body["page_token"] = token
        page = rest.post("/experiments/search", body)
        found += len(page.get("experiments", []))
        token = page.get("next_page_token")
        if not token:
            break
    page = rest.post(
        "/experiments/search", {"max_results": 1000, "filter": "name LIKE 'bench-e1%'"}
    )
    return found + len(page.get("experiments", []))


def concurrent_writers(url: str, exp: str, writers: int, points: int) -> float:
    errors: list[BaseException] = []
    ready = threading.Barrier(writers + 1)

    def work() -> None:
        try:
            with Rest(url) as rest:
                run_id = rest.new_run(exp)
                ready.wait()
                for start in range(0, points, 100):
                    metrics = [
                        {"key": "x", "value": float(s), "timestamp": TS + s, "step": s}
                        for s in range(start, start + 100)
                    ]
                    rest.post("/runs/log-batch", {"run_id": run_id, "metrics": metrics})
        except BaseException as exc:
            errors.append(exc)
            ready.abort()

    threads = [threading.Thread(target=work) for _ in range(writers)]
    for t in threads:
        t.start()
    ready.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return writers * points / (time.perf_counter() - t0)


def _median_of(n: int, fn: Callable[[], Any]) -> tuple[float, Any]:
    results = [_timed(fn) for _ in range(n)]
    return statistics.median(r[0] for r in results), results[-1][1]


def run_suite(server: BenchServer, sizes: dict[str, int]) -> dict[str, float]:
    out: dict[str, float] = {"startup_s": server.startup_s}
    log = lambda what: print(f"    [{server.kind}] {what}", flush=True)  # noqa: E731
    with Rest(server.url) as rest:
        e_calls = rest.new_experiment("bench-calls")
        e_ingest = rest.new_experiment("bench-ingest")
        e_runs = rest.new_experiment("bench-runs")
        e_conc = rest.new_experiment("bench-conc")
        per_call(rest, e_calls, 30)  # warm-up outside the timed phases
        log("log-metric")
        out["calls_s"] = per_call(rest, e_calls, sizes["calls"])
        log("log-batch, history")
        out["ingest_points_s"], run_id = ingest(rest, e_ingest, sizes["points"])
        out["history_paged_s"], got = _median_of(3, lambda: history(rest, run_id, 1000))
        assert got == sizes["points"], (server.kind, got)
        out["history_unpaged_s"], got = _median_of(3, lambda: history(rest, run_id, None))
        assert got == sizes["points"], (server.kind, got)
        log("run creation")
        out["create_runs_s"] = create_runs(rest, e_runs, sizes["runs"])
        log("search")
        out["search_all_s"], found_all = _median_of(
            3, lambda: search_runs(rest, e_runs, False, 1000, True)
        )
        assert found_all == sizes["runs"], (server.kind, found_all)
        out["search_filtered_s"], out["search_found"] = _median_of(
            3, lambda: search_runs(rest, e_runs, True, 1000, True)
        )
        page_s, _ = _median_of(5, lambda: search_runs(rest, e_runs, True, 100, False))
        out["search_page_ms"] = page_s * 1000
        log("experiments search")
        for i in range(sizes["experiments"]):
            rest.new_experiment(f"bench-e{i}")
        out["experiments_search_s"], out["experiments_found"] = _median_of(
            3, lambda: search_experiments(rest)
        )
    log("8 concurrent writers")
    out["concurrent_points_s"] = concurrent_writers(server.url, e_conc, 8, sizes["conc"])
    time.sleep(0.5)
    out["peak_pss_mb"] = server.peak_pss_mb
    out["peak_rss_mb"] = server.peak_rss_mb
    return out


# ------------------------------------------------------------------------------ databases


class Postgres:
    """Fresh databases on the local PostgreSQL server (psycopg from modelyard's venv)."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self.created: list[str] = []

    def _run(self, statement: str) -> Any:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            cur = conn.execute(statement)
            return cur.fetchall() if statement.startswith("SELECT") else None

    def create(self, prefix: str) -> str:
        name = f"{prefix}_{uuid.uuid4().hex[:8]}"
        self._run(f'CREATE DATABASE "{name}"')
        self.created.append(name)
        base = self.admin_url.rsplit("/", 1)[0]
        return f"{base}/{name}"

    def size_mb(self, uri: str) -> float:
        name = uri.rsplit("/", 1)[1]
        return float(self._run(f"SELECT pg_database_size('{name}')")[0][0]) / 2**20

    def drop_all(self) -> None:
        for name in self.created:
            self._run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.created.clear()


def sqlite_size_mb(workdir: Path) -> float:
    return sum(p.stat().st_size for p in workdir.glob("store.db*")) / 2**20


# ----------------------------------------------------------------------------------- main


def one_repeat(
    backend: str, sizes: dict[str, int], order: tuple[str, ...], pg: Postgres | None, tmp: Path
) -> dict[str, dict[str, float]]:
    results: dict[str, dict[str, float]] = {}
    for kind in order:
        work = tmp / f"{backend}-{kind}-{uuid.uuid4().hex[:6]}"
        work.mkdir()
        db_uri = pg.create(f"bench_{kind[:3]}") if pg is not None else None
        server = BenchServer(kind, work, db_uri=db_uri)
        print(f"  {backend}: starting {kind} ...", flush=True)
        server.start()
        try:
            t0 = time.perf_counter()
            results[kind] = run_suite(server, sizes)
            if pg is not None and db_uri is not None:
                results[kind]["db_mb"] = pg.size_mb(db_uri)
            print(f"    [{kind}] done in {time.perf_counter() - t0:.0f} s", flush=True)
        finally:
            server.stop()
        if pg is None:
            results[kind]["db_mb"] = sqlite_size_mb(work)
    a, b = results["fasttrackml"], results["modelyard"]
    for key in ("search_found", "experiments_found"):
        if a[key] != b[key]:
            raise RuntimeError(f"the servers disagree on {key}: {a[key]} vs {b[key]}")
    return results


def advantage(fml: float, my: float, higher_is_better: bool) -> float:
    """How many times better modelyard is on this row (> 1: modelyard ahead)."""
    if not fml or not my:
        return float("nan")
    return my / fml if higher_is_better else fml / my


def summarize(runs: list[dict[str, dict[str, float]]]) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for key, _, higher in ROWS:
        ratios = [advantage(r["fasttrackml"][key], r["modelyard"][key], higher) for r in runs]
        out[key] = {
            "fasttrackml": statistics.median(r["fasttrackml"][key] for r in runs),
            "modelyard": statistics.median(r["modelyard"][key] for r in runs),
            "ratio": statistics.median(ratios),
            "ratio_min": min(ratios),
            "ratio_max": max(ratios),
        }
    return out


def print_table(backend: str, scale: str, summary: dict[str, dict[str, float]], n: int) -> None:
    print(f"\n### {backend}, scale {scale} ({n} repeat{'s' if n > 1 else ''})\n")
    print("| measure | FastTrackML | modelyard | modelyard advantage (median) | range |")
    print("|---|---:|---:|---:|---:|")
    for key, label, _ in ROWS:
        row = summary[key]
        mark = "" if row["ratio"] >= 1.0 else " **<1**"
        print(
            f"| {label} | {row['fasttrackml']:,.3f} | {row['modelyard']:,.3f} | "
            f"{row['ratio']:.2f}×{mark} | {row['ratio_min']:.2f}–{row['ratio_max']:.2f} |"
        )


def ensure_fml() -> None:
    if server_procs.FASTTRACKML_BIN.exists():
        return
    print("installing FastTrackML 0.6.0 into benchmarks/tracking/.venv-fml ...", flush=True)
    subprocess.run(["bash", str(HERE / "setup_fasttrackml.sh")], check=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scale", choices=sorted(SCALES), default="small")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument(
        "--backend", default="sqlite", help="sqlite, postgresql or both, comma-separated"
    )
    ap.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    ap.add_argument("--json", type=Path, help="also write the raw results here")
    args = ap.parse_args()
    ensure_fml()
    sizes = SCALES[args.scale]
    backends = [b.strip() for b in args.backend.split(",") if b.strip()]
    report: dict[str, Any] = {"scale": args.scale, "sizes": sizes, "backends": {}}
    summaries: dict[str, dict[str, dict[str, float]]] = {}
    print(f"sizes: {json.dumps(sizes)}", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-fml-") as tmp:
        for backend in backends:
            if backend not in ("sqlite", "postgresql"):
                raise SystemExit(f"unknown backend {backend!r}")
            pg = Postgres(args.pg_url) if backend == "postgresql" else None
            runs = []
            try:
                for i in range(args.repeat):
                    order = SERVERS if i % 2 == 0 else tuple(reversed(SERVERS))
                    print(f"{backend}: repeat {i + 1}/{args.repeat}", flush=True)
                    runs.append(one_repeat(backend, sizes, order, pg, Path(tmp)))
                    if pg is not None:
                        pg.drop_all()
            finally:
                if pg is not None:
                    pg.drop_all()
            summaries[backend] = summarize(runs)
            report["backends"][backend] = {"runs": runs, "summary": summaries[backend]}
    print(f"\nsizes: {json.dumps(sizes)}")
    print("ratio = times better for modelyard (> 1: modelyard ahead); range over the repeats")
    for backend, summary in summaries.items():
        print_table(backend, args.scale, summary, args.repeat)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
