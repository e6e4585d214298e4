"""A monitor refresh over a large Parquet table, in bounded memory.

    benchmarks/monitoring/.venv/bin/python benchmarks/monitoring/bench_refresh.py --rows 10000000

Writes ``--rows`` rows (10 daily windows, 8 numerical + 2 categorical columns, a prediction)
row group by row group, then runs ``create_monitor`` + ``refresh_monitor`` (daily windows,
drift against a baseline and the previous day) in a fresh subprocess, and prints the wall time
and the peak RSS next to the size of the table held in memory at once. There is no anchor to
run here (the issue's reference is Databricks Lakehouse Monitoring); the figure to hold is
peak memory well below the table's in-memory size.
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


def child(path: str, root: str) -> None:
    import psutil

    from modelyard import monitoring

    baseline = monitoring.profile(_chunk(50_000, 0, 99).drop(columns=["timestamp", "request_id"]))
    before = psutil.Process().memory_info().rss / 2**20
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
    result = monitoring.refresh_monitor("big", root=root)
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
    ap.add_argument("--child", nargs=2, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(*args.child)
        return
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "inference.parquet")
        t0 = time.perf_counter()
        in_memory = generate(path, args.rows)
        print(
            f"wrote {args.rows:,} rows in {time.perf_counter() - t0:.1f} s "
            f"({os.path.getsize(path) / 2**20:.0f} MB Parquet, "
            f"{in_memory / 2**20:.0f} MB as pandas frames)",
            flush=True,
        )
        cmd = [sys.executable, os.path.abspath(__file__), "--child", path, os.path.join(d, "mon")]
        out = subprocess.run(cmd, capture_output=True, text=True)
        if out.returncode != 0:
            sys.exit(out.stderr[-3000:])
        r = json.loads(out.stdout.strip().splitlines()[-1])
        grown = r["peak_rss_mb"] - r["rss_before_mb"]
        print(
            f"refresh: {r['windows']} daily windows in {r['seconds']:.1f} s, "
            f"peak RSS {r['peak_rss_mb']:.0f} MB, {grown:.0f} MB above the process before the "
            f"refresh ({grown / (in_memory / 2**20):.2f}x the table's in-memory size)"
        )
        print("drift against the baseline:", ", ".join(r["flagged"]) or "none")


if __name__ == "__main__":
    main()
