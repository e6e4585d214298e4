"""Drift detection: modelyard vs Evidently 0.7, a per-column scipy loop and NannyML 0.13.

Run once, by hand, from the repository root (it is CPU heavy):

    bash benchmarks/monitoring/setup_venv.sh            # the anchors, in a benchmark-only venv
    benchmarks/monitoring/.venv/bin/python benchmarks/monitoring/bench_drift.py

Part 1, detection: reference 50,000 rows, current 10,000 rows, 20 numerical + 5 categorical
columns + a binary target (scenarios.py), every scenario of the issue; for each tool the
columns caught and the false alarms. Part 2, speed and memory: 1,000,000 current rows x 26
columns, each tool in a fresh subprocess reading the same Parquet files, wall time and peak RSS
above the process's RSS before the call (sampled every 5 ms).

Anchor settings: Evidently ``DataDriftPreset()`` defaults; scipy ``ks_2samp`` (numbers, NaN
dropped) and ``chi2_contingency`` (categories) per column at p < 0.05, as in the course's
seed; NannyML ``UnivariateDriftCalculator`` defaults (Jensen-Shannon, thresholds from reference
chunks) with the chunk size set to the current table's size so the current data is one chunk;
modelyard ``detect_drift`` defaults.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Callable

# Evidently and NannyML report usage over the network by default; nothing may leave here.
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("EVIDENTLY_DISABLE_TELEMETRY", "1")
os.environ.setdefault("NML_DISABLE_USAGE_LOGGING", "1")

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from scenarios import CATEGORICAL, NUMERIC, TARGET, make_frame, scenarios

COLUMNS = [*NUMERIC, *CATEGORICAL, TARGET]
CATS = [*CATEGORICAL, TARGET]


# --------------------------------------------------------------------------- the tools
def run_modelyard(ref, cur) -> set[str]:
    from modelyard.monitoring import detect_drift

    report = detect_drift(
        ref, cur, numerical_columns=NUMERIC, categorical_columns=CATEGORICAL, target_column=TARGET
    )
    return set(report.drifted_columns)


def run_scipy(ref, cur) -> set[str]:
    import numpy as np
    import pandas as pd
    from scipy import stats

    out = set()
    for c in NUMERIC:
        if stats.ks_2samp(ref[c].dropna().to_numpy(), cur[c].dropna().to_numpy()).pvalue < 0.05:
            out.add(c)
    for c in CATS:
        table = pd.concat([ref[c].value_counts(), cur[c].value_counts()], axis=1).fillna(0)
        if stats.chi2_contingency(np.asarray(table.T, dtype=float)).pvalue < 0.05:
            out.add(c)
    return out


def run_evidently(ref, cur) -> set[str]:
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    dd = DataDefinition(numerical_columns=NUMERIC, categorical_columns=CATS)
    snap = Report([DataDriftPreset()]).run(
        Dataset.from_pandas(cur, data_definition=dd), Dataset.from_pandas(ref, data_definition=dd)
    )
    out = set()
    for m in snap.dict()["metrics"]:
        cfg = m["config"]
        if not cfg.get("type", "").endswith("ValueDrift"):
            continue
        value, threshold = float(m["value"]), float(cfg["threshold"])
        drift = value < threshold if "p_value" in cfg["method"] else value >= threshold
        if drift:
            out.add(cfg["column"])
    return out


def run_nannyml(ref, cur) -> set[str]:
    import nannyml as nml

    calc = nml.UnivariateDriftCalculator(
        column_names=COLUMNS, treat_as_categorical=CATS, chunk_size=len(cur)
    )
    calc.fit(ref)
    df = calc.calculate(cur).filter(period="analysis").to_df()
    return {c for (c, _, f) in df.columns if f == "alert" and bool(df[(c, _, f)].any())}


TOOLS: dict[str, Callable] = {
    "evidently": run_evidently,
    "scipy": run_scipy,
    "nannyml": run_nannyml,
    "modelyard": run_modelyard,
}


def _available(tool: str) -> str | None:
    mod = {"evidently": "evidently", "nannyml": "nannyml", "scipy": "scipy"}.get(tool)
    if mod is None:
        return None
    try:
        __import__(mod)
    except Exception as exc:  # an anchor that does not install here is reported, not hidden
        return f"{type(exc).__name__}: {exc}"
    return None


# --------------------------------------------------------------------------- part 1
def detection(seeds: int) -> dict:
    ref = make_frame(50_000, 1)
    scs = scenarios(10_000, 7)
    extra = [s for seed in range(1, seeds) for s in scenarios(10_000, 7 + seed)[:3]]
    for i, s in enumerate(extra):
        s.name = f"no drift (seed {3 + i})"
    scs = scs[:3] + extra + scs[3:]
    results: dict = {"scenarios": [s.name for s in scs], "drifted": [s.drifted for s in scs]}
    for tool, fn in TOOLS.items():
        why = _available(tool)
        if why:
            print(f"{tool}: not available ({why})", flush=True)
            results[tool] = {"unavailable": why}
            continue
        rows, secs = [], []
        for s in scs:
            t0 = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                flagged = fn(ref, s.current)
            secs.append(time.perf_counter() - t0)
            truth = set(s.drifted)
            rows.append({"caught": len(flagged & truth), "false": sorted(flagged - truth)})
        results[tool] = {"rows": rows, "seconds": secs}
        print(f"{tool}: {sum(secs) / len(secs):.2f} s per check", flush=True)
    return results


def print_detection(res: dict) -> None:
    tools = [t for t in TOOLS if "rows" in res.get(t, {})]
    head = f"{'scenario':30s} {'drifted':>7s} " + " ".join(f"{t:>16s}" for t in tools)
    print("\nDetection (caught / drifted columns, false alarms)\n" + head)
    print("-" * len(head))
    for i, name in enumerate(res["scenarios"]):
        n = len(res["drifted"][i])
        cells = []
        for t in tools:
            r = res[t]["rows"][i]
            cells.append(f"{r['caught']}/{n} fa {len(r['false'])}".rjust(16))
        print(f"{name:30s} {n:7d} " + " ".join(cells))
    print("-" * len(head))
    checks = sum(len(COLUMNS) - len(d) for d in res["drifted"])
    cells = []
    for t in tools:
        fa = sum(len(r["false"]) for r in res[t]["rows"])
        cells.append(f"{fa / checks:.2%}".rjust(16))
    print(f"{'false alarms per column':30s} {'':7s} " + " ".join(cells))
    cells = []
    for t in tools:
        caught = sum(r["caught"] for r in res[t]["rows"])
        cells.append(f"{caught}/{sum(len(d) for d in res['drifted'])}".rjust(16))
    print(f"{'drifted columns caught':30s} {'':7s} " + " ".join(cells))
    cells = [f"{sum(res[t]['seconds']) / len(res[t]['seconds']):.2f} s".rjust(16) for t in tools]
    print(f"{'time per check (10k rows)':30s} {'':7s} " + " ".join(cells))


# --------------------------------------------------------------------------- part 2
def child(tool: str, data_dir: str) -> None:
    import pandas as pd
    import psutil

    ref = pd.read_parquet(os.path.join(data_dir, "reference.parquet"))
    cur = pd.read_parquet(os.path.join(data_dir, "current.parquet"))
    proc = psutil.Process()
    base = proc.memory_info().rss
    peak = [base]
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], proc.memory_info().rss)
            time.sleep(0.005)

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        flagged = TOOLS[tool](ref, cur)
    secs = time.perf_counter() - t0
    stop.set()
    th.join()
    peak[0] = max(peak[0], proc.memory_info().rss)
    print(
        json.dumps(
            {"seconds": secs, "peak_mb": (peak[0] - base) / 2**20, "flagged": sorted(flagged)}
        )
    )


def speed(rows: int) -> dict:
    out: dict = {"rows": rows}
    with tempfile.TemporaryDirectory() as d:
        make_frame(50_000, 1).to_parquet(os.path.join(d, "reference.parquet"))
        make_frame(rows, 2).to_parquet(os.path.join(d, "current.parquet"))
        for tool in ("modelyard", "scipy", "evidently"):
            if _available(tool):
                continue
            cmd = [sys.executable, os.path.abspath(__file__), "--child", tool, "--data", d]
            proc = subprocess.run(cmd, capture_output=True, text=True)
            if proc.returncode != 0:
                out[tool] = {"error": proc.stderr[-2000:]}
                print(f"{tool}: failed\n{proc.stderr[-2000:]}", flush=True)
                continue
            out[tool] = json.loads(proc.stdout.strip().splitlines()[-1])
            r = out[tool]
            print(
                f"{tool}: {r['seconds']:.2f} s, peak +{r['peak_mb']:.0f} MB, "
                f"{len(r['flagged'])} columns flagged (no drift)",
                flush=True,
            )
    return out


def print_speed(res: dict) -> None:
    my = res.get("modelyard", {})
    if "seconds" not in my:
        return
    print(f"\nSpeed and memory at {res['rows']:,} current rows x {len(COLUMNS)} columns")
    for tool in ("evidently", "scipy"):
        r = res.get(tool, {})
        if "seconds" in r:
            print(
                f"  {tool:9s} {r['seconds']:7.2f} s  peak +{r['peak_mb']:6.0f} MB   "
                f"modelyard is {r['seconds'] / my['seconds']:.1f}x faster, "
                f"uses {r['peak_mb'] / max(my['peak_mb'], 1):.1f}x less peak memory"
            )
    print(f"  modelyard {my['seconds']:7.2f} s  peak +{my['peak_mb']:6.0f} MB")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=3, help="rounds of the 3 no-drift tables")
    ap.add_argument("--speed-rows", type=int, default=1_000_000)
    ap.add_argument("--skip-detection", action="store_true")
    ap.add_argument("--skip-speed", action="store_true")
    ap.add_argument("--out", default=None, help="write the results as JSON here")
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--data", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child, args.data)
        return
    results: dict = {}
    if not args.skip_detection:
        results["detection"] = detection(args.seeds)
    if not args.skip_speed:
        results["speed"] = speed(args.speed_rows)
    if "detection" in results:
        print_detection(results["detection"])
    if "speed" in results:
        print_speed(results["speed"])
    if args.out:
        with open(args.out, "w") as fh:
            json.dump(results, fh, indent=1)


if __name__ == "__main__":
    main()
