"""modelyard's web UI against MLflow 3.17.2's own UI, same data, headless chromium.

Data (the issue's workload): 10,000 runs x 5 params / 5 metrics / 3 tags in one experiment,
and one run with a 1,000,000-point metric in another. modelyard's database is written through
its SQL store; MLflow's schema is created by MLflow's own store (in the MLflow venv) and the same
rows are inserted with executemany. Both servers run as subprocesses (1 worker each).

Measured in chromium over the DevTools protocol, each on a fresh document load and timed by
the page's own clock (``performance.now()`` from navigation start):
  first rows   experiment page -> first run row in the runs table
  last run     from first rows, scroll (MLflow: and press "Load more") until the oldest run
               is in the DOM (cap: --scroll-cap seconds)
  1M chart     run page of the long run -> its metric chart drawn (modelyard: uPlot canvas
               ready; MLflow: a plotly trace in the model-metrics tab)
  run page     a run's page -> its name and params shown
Median of --repeat runs. Usage:

    .venv/bin/python benchmarks/ui/bench_ui_vs_mlflow.py [--runs 10000] [--points 1000000]
"""

from __future__ import annotations

import argparse
import json
import random
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "server" / "ui"))  # the CDP driver of the UI tests

from ui_browser import Browser

MLFLOW_BIN = ROOT / ".venv-mlflow" / "bin"
T0 = 1_700_000_000_000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def workload(n_runs: int, seed: int = 0) -> list[dict]:
    rng = random.Random(seed)
    runs = []
    for i in range(n_runs):
        runs.append(
            {
                "id": f"{rng.getrandbits(128):032x}",
                "name": f"run-{i:05d}",
                "start": T0 + i * 1000,
                "params": {f"p{j}": str(rng.choice([1, 2, 4, 8, 16]) * (j + 1)) for j in range(5)},
                "metrics": {f"m{j}": round(rng.random(), 6) for j in range(5)},
                "tags": {f"t{j}": rng.choice(["a", "b", "c"]) for j in range(3)},
            }
        )
    return runs


# ------------------------------------------------------------------ data: modelyard
def write_modelyard(db: str, art: str, runs: list[dict], n_points: int) -> dict[str, str]:
    from modelyard.entities import Metric, Param, RunStatus, RunTag
    from modelyard.store.tracking.sql import SqlTrackingStore

    store = SqlTrackingStore(db, art)
    exp = store.create_experiment("scale")
    ids = {}
    for r in runs:
        run = store.create_run(exp, "bench", r["start"], [], r["name"])
        rid = run.info.run_id
        ids[r["name"]] = rid
        store.log_batch(
            rid,
            metrics=[Metric(k, v, r["start"], 0) for k, v in r["metrics"].items()],
            params=[Param(k, v) for k, v in r["params"].items()],
            tags=[RunTag(k, v) for k, v in r["tags"].items()],
        )
        store.update_run_info(rid, RunStatus.FINISHED, r["start"] + 500, None)
    big_exp = store.create_experiment("long-history")
    big = store.create_run(big_exp, "bench", T0, [], "long-run").info.run_id
    for start in range(0, n_points, 50_000):
        stop = min(n_points, start + 50_000)
        store.log_batch(
            big, metrics=[Metric("loss", 1.0 / (i + 1), T0 + i, i) for i in range(start, stop)]
        )
    return {"experiment_id": exp, "big_exp": big_exp, "big": big, **ids}


# ------------------------------------------------------------------ data: MLflow
def write_mlflow(path: Path, art: str, runs: list[dict], n_points: int) -> dict[str, str]:
    uri = f"sqlite:///{path}"
    code = (
        "from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore as S;"
        f"s = S({uri!r}, {art!r}); print(s.create_experiment('scale'), s.create_experiment('long-history'))"
    )
    out = subprocess.run(
        [str(MLFLOW_BIN / "python"), "-c", code], capture_output=True, text=True, check=True
    )
    exp, big_exp = out.stdout.split()
    con = sqlite3.connect(path)
    run_rows, tags, params, metrics = [], [], [], []
    for r in runs:
        rid = r["id"]
        run_rows.append(
            (
                rid,
                r["name"],
                "LOCAL",
                "",
                "",
                "bench",
                "FINISHED",
                r["start"],
                r["start"] + 500,
                "",
                "active",
                f"{art}/{exp}/{rid}/artifacts",
                int(exp),
            )
        )
        tags += [("mlflow.runName", r["name"], rid), ("mlflow.user", "bench", rid)] + [
            (k, v, rid) for k, v in r["tags"].items()
        ]
        params += [(k, v, rid) for k, v in r["params"].items()]
        metrics += [(k, v, r["start"], rid, 0, 0) for k, v in r["metrics"].items()]
    big = "f" * 32
    run_rows.append(
        (
            big,
            "long-run",
            "LOCAL",
            "",
            "",
            "bench",
            "FINISHED",
            T0,
            T0 + n_points,
            "",
            "active",
            f"{art}/{big_exp}/{big}/artifacts",
            int(big_exp),
        )
    )
    tags += [("mlflow.runName", "long-run", big), ("mlflow.user", "bench", big)]
    with con:
        con.executemany(
            "INSERT INTO runs (run_uuid, name, source_type, source_name, entry_point_name, user_id, status,"
            " start_time, end_time, source_version, lifecycle_stage, artifact_uri, experiment_id)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            run_rows,
        )
        con.executemany('INSERT INTO tags ("key", value, run_uuid) VALUES (?,?,?)', tags)
        con.executemany('INSERT INTO params ("key", value, run_uuid) VALUES (?,?,?)', params)
        con.executemany(
            'INSERT INTO metrics ("key", value, timestamp, run_uuid, step, is_nan) VALUES (?,?,?,?,?,?)',
            metrics,
        )
        con.executemany(
            'INSERT INTO latest_metrics ("key", value, timestamp, step, is_nan, run_uuid) VALUES (?,?,?,?,?,?)',
            [(k, v, ts, step, nan, rid) for k, v, ts, rid, step, nan in metrics],
        )
        for start in range(0, n_points, 100_000):
            stop = min(n_points, start + 100_000)
            con.executemany(
                'INSERT INTO metrics ("key", value, timestamp, run_uuid, step, is_nan) VALUES (?,?,?,?,?,0)',
                [("loss", 1.0 / (i + 1), T0 + i, big, i) for i in range(start, stop)],
            )
        last = n_points - 1
        con.execute(
            'INSERT INTO latest_metrics ("key", value, timestamp, step, is_nan, run_uuid) VALUES (?,?,?,?,0,?)',
            ("loss", 1.0 / n_points, T0 + last, last, big),
        )
    con.close()
    return {
        "experiment_id": exp,
        "big_exp": big_exp,
        "big": big,
        **{r["name"]: r["id"] for r in runs},
    }


# ------------------------------------------------------------------ servers
def wait_health(url: str, proc: subprocess.Popen, limit: float = 120) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url + "/health", timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not start")


def start_modelyard(db: str, art: str, port: int, log: Path) -> subprocess.Popen:
    cmd = [
        str(ROOT / ".venv" / "bin" / "modelyard"),
        "server",
        "--backend-store-uri",
        db,
        "--artifacts-destination",
        art,
        "--port",
        str(port),
    ]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=log.open("w"))


def start_mlflow(db: str, art: str, port: int, log: Path) -> subprocess.Popen:
    cmd = [
        str(MLFLOW_BIN / "mlflow"),
        "server",
        "--backend-store-uri",
        db,
        "--default-artifact-root",
        art,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
    ]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=log.open("w"))


# ------------------------------------------------------------------ measurements
def load_until(b: Browser, url: str, condition: str, cap_s: float) -> float | None:
    """Fresh document at ``url``; ms from navigation start until ``condition`` (JS) is true."""
    b.send("Page.navigate", url="about:blank")
    b.wait("document.readyState === 'complete'")
    b.send("Page.navigate", url=url)
    probe = f"(() => {{ try {{ return !!({condition}) ? performance.now() : 0; }} catch {{ return 0; }} }})()"
    deadline = time.monotonic() + cap_s
    while time.monotonic() < deadline:
        try:
            t = b.eval(probe)
        except RuntimeError:
            t = 0  # the document is still being replaced
        if t:
            return float(t)
        time.sleep(0.01)
    return None


def scroll_to_last(
    b: Browser, scroller: str, last_name: str, row: str, cap_s: float
) -> float | None:
    """From the loaded first rows: scroll to the bottom (and press "Load more") until the row
    naming ``last_name`` exists; ms by the page clock, None past the cap."""
    script = f"""
    (async () => {{
      const t0 = performance.now(), cap = {cap_s * 1000};
      const found = () => [...document.querySelectorAll({json.dumps(row)})].some((r) => r.textContent.includes({json.dumps(last_name)}));
      while (performance.now() - t0 < cap) {{
        if (found()) return performance.now() - t0;
        const s = document.querySelector({json.dumps(scroller)});
        if (s) {{ s.scrollTop = s.scrollHeight; s.dispatchEvent(new Event('scroll')); }}
        const more = [...document.querySelectorAll('button')].find((x) => /^load more$/i.test(x.textContent.trim()) && !x.disabled);
        if (more) more.click();
        await new Promise((r) => setTimeout(r, 16));
      }}
      return null;
    }})()"""
    value = b.eval(script, timeout=cap_s + 60)
    return None if value is None else float(value)


def measure(
    side: str, base: str, ids: dict[str, str], b: Browser, cap: float, scroll_cap: float
) -> dict[str, float | None]:
    n = sum(1 for k in ids if k.startswith("run-"))
    mid_name, newest = f"run-{n // 2:05d}", f"run-{n - 1:05d}"
    exp, big, mid = ids["experiment_id"], ids["big"], ids[mid_name]
    if side == "modelyard":
        table_url, row, scroller = f"{base}/#/experiments/{exp}", ".vt-row", ".vt-scroll"
        chart_url = f"{base}/#/runs/{big}"
        chart_ready = "document.querySelector('.chart[data-metric=loss][data-state=ready] canvas')"
        run_url = f"{base}/#/runs/{mid}"
    else:
        table_url = f"{base}/#/experiments/{exp}/runs?workflowType=machine_learning"
        row, scroller = ".ag-center-cols-container .ag-row, .ag-row", ".ag-body-viewport"
        chart_url = f"{base}/#/experiments/{ids['big_exp']}/runs/{big}/model-metrics"
        chart_ready = "document.querySelector('.js-plotly-plot .scatterlayer .trace path')"
        run_url = f"{base}/#/experiments/{exp}/runs/{mid}"
    first_rows = f"[...document.querySelectorAll({json.dumps(row)})].some((r) => r.textContent.includes({json.dumps(newest)}))"
    out: dict[str, float | None] = {}
    out["first rows"] = load_until(b, table_url, first_rows, cap)
    out["last run"] = (
        scroll_to_last(b, scroller, "run-00000", row, scroll_cap) if out["first rows"] else None
    )
    out["1M chart"] = load_until(b, chart_url, chart_ready, cap)
    run_ready = (
        f"document.body.innerText.includes({json.dumps(mid_name)})"
        " && document.body.innerText.includes('p4')"
    )
    out["run page"] = load_until(b, run_url, run_ready, cap)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--runs", type=int, default=10_000)
    ap.add_argument("--points", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument(
        "--cap", type=float, default=60.0, help="seconds before a load counts as failed"
    )
    ap.add_argument("--scroll-cap", type=float, default=120.0)
    ap.add_argument("--json", type=Path, help="write the results here")
    args = ap.parse_args()
    runs = workload(args.runs)
    with tempfile.TemporaryDirectory(prefix="modelyard-ui-bench-") as tmp:
        root = Path(tmp)
        t = time.perf_counter()
        my_ids = write_modelyard(
            f"sqlite:///{root / 'my.db'}", str(root / "my-art"), runs, args.points
        )
        ml_ids = write_mlflow(root / "mlf.db", str(root / "mlf-art"), runs, args.points)
        print(
            f"data written in {time.perf_counter() - t:.0f} s ({args.runs} runs, {args.points} points)",
            flush=True,
        )
        ports = free_port(), free_port()
        procs = [
            start_modelyard(
                f"sqlite:///{root / 'my.db'}", str(root / "my-art"), ports[0], root / "my.log"
            ),
            start_mlflow(
                f"sqlite:///{root / 'mlf.db'}", str(root / "mlf-art"), ports[1], root / "mlf.log"
            ),
        ]
        results: dict[str, dict[str, list[float | None]]] = {"modelyard": {}, "mlflow": {}}
        try:
            bases = {
                "modelyard": f"http://127.0.0.1:{ports[0]}",
                "mlflow": f"http://127.0.0.1:{ports[1]}",
            }
            for proc, base in zip(procs, bases.values(), strict=True):
                wait_health(base, proc)
            with Browser(width=1400, height=900) as b:
                for side in bases:  # warm-up: caches, JIT
                    load_until(b, f"{bases[side]}/", "document.body.innerText.length > 0", args.cap)
                for i in range(args.repeat):
                    for side, ids in (("modelyard", my_ids), ("mlflow", ml_ids)):
                        one = measure(side, bases[side], ids, b, args.cap, args.scroll_cap)
                        print(
                            f"  round {i + 1} {side}: "
                            + ", ".join(f"{k} {fmt(v)}" for k, v in one.items()),
                            flush=True,
                        )
                        for k, v in one.items():
                            results[side].setdefault(k, []).append(v)
        finally:
            for p in procs:
                p.terminate()
                p.wait(timeout=20)
    report(results, args)


def fmt(v: float | None) -> str:
    return "failed" if v is None else f"{v / 1000:.2f} s"


def median(values: list[float | None]) -> float | None:
    ok = [v for v in values if v is not None]
    return statistics.median(ok) if len(ok) == len(values) else None


def report(results: dict[str, dict[str, list[float | None]]], args: argparse.Namespace) -> None:
    print(
        f"\n{args.runs} runs x 5 params/5 metrics/3 tags, one {args.points}-point metric; median of {args.repeat}"
    )
    print(f"{'measure':<12} {'modelyard':>10} {'MLflow 3.17.2':>14} {'ratio':>8}")
    table = {}
    for key in results["modelyard"]:
        mine, theirs = median(results["modelyard"][key]), median(results["mlflow"][key])
        ratio = f"{theirs / mine:.1f}x" if mine and theirs else "—"
        theirs_s = (
            fmt(theirs)
            if theirs is not None
            else f"> cap ({'scroll' if key == 'last run' else 'load'})"
        )
        print(f"{key:<12} {fmt(mine):>10} {theirs_s:>14} {ratio:>8}")
        table[key] = {
            "modelyard_ms": mine,
            "mlflow_ms": theirs,
            "raw": {s: results[s][key] for s in results},
        }
    if args.json:
        args.json.write_text(
            json.dumps({"runs": args.runs, "points": args.points, "results": table}, indent=2)
        )


if __name__ == "__main__":
    main()
