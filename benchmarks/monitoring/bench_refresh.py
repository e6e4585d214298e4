"""A monitor refresh over a large table, in bounded memory.

    python benchmarks/monitoring/bench_refresh.py --rows 10000000                 # serving layout
    python benchmarks/monitoring/bench_refresh.py --rows 10000000 --layout plain  # plain Parquet
    python benchmarks/monitoring/bench_refresh.py --rows 2000000 --batch-rows 100000

Writes ``--rows`` rows in a temporary directory (10 daily windows, 8 numerical + 2 categorical
features, a prediction): ``--layout serving`` (default) as the serving endpoints' inference
table (Delta, one JSON request and response per row, as ``modelyard endpoints serve`` logs
them), ``--layout plain`` as a Parquet table with the features as columns. Then runs
``create_monitor`` + ``refresh_monitor`` (daily windows, drift against a baseline and the
previous day; ``--batch-rows`` for the serving layout's scan) in a fresh subprocess and prints
the rows per second and the peak RSS next to the size of the table held in memory at once.
There is no anchor to run here (the issue's reference is Databricks Lakehouse Monitoring); the
figure to hold is peak memory well below the table's in-memory size.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np
import pandas as pd

DAYS = 10


def _chunk(n: int, day: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2026-11-01", tz="UTC") + pd.Timedelta(days=day)
    frame = pd.DataFrame(
        {
            "timestamp": start + pd.to_timedelta(np.sort(rng.integers(0, 86_400_000, n)), "ms"),
            "request_id": [f"{day}-{seed}-{i}" for i in range(n)],
        }
    )
    shift = 0.2 if day >= 7 else 0.0
    for i in range(8):
        frame[f"x{i}"] = rng.normal(shift if i == 0 else 0.0, 1.0, n)
    frame["c0"] = rng.choice(["a", "b", "c"], n)
    frame["c1"] = rng.choice(["u", "v", "w", "z"], n)
    frame["prediction"] = (rng.random(n) < 0.3).astype(np.int64)
    return frame


def _serving_chunk(n: int, day: int, seed: int) -> pd.DataFrame:
    """The same rows in the serving endpoints' inference-table layout."""
    frame = _chunk(n, day, seed)
    feats = frame.drop(columns=["timestamp", "request_id", "prediction"])
    names = list(feats.columns)
    values = [feats[c].tolist() for c in names]
    requests = [
        json.dumps({"dataframe_records": [dict(zip(names, row, strict=True))]})
        for row in zip(*values, strict=True)
    ]
    responses = [json.dumps({"predictions": [p]}) for p in frame["prediction"].tolist()]
    return pd.DataFrame(
        {
            "request_id": frame["request_id"],
            "timestamp": frame["timestamp"].astype("datetime64[us, UTC]"),
            "endpoint": "bench",
            "served_model": "bench-1",
            "model_name": "bench",
            "model_version": "1",
            "status_code": np.int32(200),
            "latency_ms": 3.0,
            "request": requests,
            "response": responses,
            "shadow": False,
        }
    )


def generate_serving(path: str, rows: int) -> int:
    import pyarrow as pa
    from deltalake import write_deltalake

    per_day = rows // DAYS
    step = 250_000
    bytes_in_memory = 0
    for day in range(DAYS):
        for k, lo in enumerate(range(0, per_day, step)):
            frame = _serving_chunk(min(step, per_day - lo), day, day * 1000 + k)
            bytes_in_memory += int(frame.memory_usage(deep=True).sum())
            write_deltalake(path, pa.Table.from_pandas(frame, preserve_index=False), mode="append")
    return bytes_in_memory


def _size(path: str) -> int:
    if os.path.isfile(path):
        return os.path.getsize(path)
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, files in os.walk(path) for f in files)


def generate(path: str, rows: int) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    per_day = rows // DAYS
    step = 500_000
    writer = None
    bytes_in_memory = 0
    for day in range(DAYS):
        for k, lo in enumerate(range(0, per_day, step)):
            frame = _chunk(min(step, per_day - lo), day, day * 1000 + k)
            bytes_in_memory += int(frame.memory_usage(deep=True).sum())
            table = pa.Table.from_pandas(frame, preserve_index=False)
            writer = writer or pq.ParquetWriter(path, table.schema)
            writer.write_table(table)
    assert writer is not None
    writer.close()
    return bytes_in_memory


def _rss_mb() -> float:
    try:
        import psutil
    except ImportError:  # Linux: the resident set from /proc
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    return float(psutil.Process().memory_info().rss) / 2**20


def child(path: str, root: str, batch_rows: int) -> None:
    from modelyard import monitoring

    baseline = monitoring.profile(_chunk(50_000, 0, 99).drop(columns=["timestamp", "request_id"]))
    before = _rss_mb()
    t0 = time.perf_counter()
    monitoring.create_monitor(
        "big",
        table=path,
        profile="inference",
        prediction_col="prediction",
        granularities=["1 day"],
        baseline=baseline,
        root=root,
    )
    import inspect

    options = {}
    if "batch_rows" in inspect.signature(monitoring.refresh_monitor).parameters:
        options["batch_rows"] = batch_rows  # (an older checkout, to compare, has no batches)
    result = monitoring.refresh_monitor("big", root=root, **options)
    secs = time.perf_counter() - t0
    drift = monitoring.get_monitor("big", root=root).drift_metrics()
    flagged = drift[drift.drift & (drift.drift_type == "baseline")]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "seconds": secs,
                "peak_rss_mb": peak,
                "rss_before_mb": before,
                "windows": len(result["processed"]),
                "flagged": sorted(
                    {
                        f"{str(t)[:10]}:{c}"
                        for t, c in zip(flagged.window_start, flagged.column_name, strict=True)
                    }
                ),
            }
        )
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--layout", choices=["serving", "plain"], default="serving")
    ap.add_argument("--batch-rows", type=int, default=200_000)
    ap.add_argument(
        "--compare-src",
        default=None,
        help="also run the refresh with this source tree first on PYTHONPATH (e.g. an older "
        "checkout's src/), on the same table",
    )
    ap.add_argument("--child", nargs=2, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(*args.child, args.batch_rows)
        return
    with tempfile.TemporaryDirectory() as d:
        t0 = time.perf_counter()
        if args.layout == "serving":
            path = os.path.join(d, "inference")
            in_memory = generate_serving(path, args.rows)
            kind = "Delta, serving layout"
        else:
            path = os.path.join(d, "inference.parquet")
            in_memory = generate(path, args.rows)
            kind = "Parquet"
        print(
            f"wrote {args.rows:,} rows in {time.perf_counter() - t0:.1f} s "
            f"({_size(path) / 2**20:.0f} MB {kind}, "
            f"{in_memory / 2**20:.0f} MB as pandas frames)",
            flush=True,
        )
        runs = [("this tree", None)]
        if args.compare_src:
            runs.append((args.compare_src, os.path.abspath(args.compare_src)))
        for i, (label, src) in enumerate(runs):
            mon_root = os.path.join(d, f"mon{i}")
            cmd = [sys.executable, os.path.abspath(__file__), "--child", path, mon_root]
            cmd += ["--batch-rows", str(args.batch_rows)]
            env = dict(os.environ)
            if src:
                env["PYTHONPATH"] = os.pathsep.join([src, env.get("PYTHONPATH", "")])
            out = subprocess.run(cmd, capture_output=True, text=True, env=env)
            if out.returncode != 0:
                sys.exit(out.stderr[-3000:])
            r = json.loads(out.stdout.strip().splitlines()[-1])
            grown = r["peak_rss_mb"] - r["rss_before_mb"]
            print(
                f"[{label}] refresh: {r['windows']} daily windows in {r['seconds']:.1f} s "
                f"({args.rows / r['seconds']:,.0f} rows/s, batch_rows {args.batch_rows:,}), "
                f"peak RSS {r['peak_rss_mb']:.0f} MB, {grown:.0f} MB above the process before "
                f"the refresh ({grown / (in_memory / 2**20):.2f}x the table's in-memory size)"
            )
            print(f"[{label}] drift against the baseline:", ", ".join(r["flagged"]) or "none")


if __name__ == "__main__":
    main()
