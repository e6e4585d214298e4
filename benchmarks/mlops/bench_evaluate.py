"""Model evaluation: ``modelyard.models.evaluate`` vs ``mlflow.models.evaluate`` 3.17.2.

Run once, by hand, from the repository root (MLflow runs from the shared ``.venv-mlflow``):

    .venv/bin/python benchmarks/mlops/bench_evaluate.py [--rows 100000] [--repeats 3]

Both tools get the same data (``--rows`` rows, 12 numeric features, binary label, and a
regression target) and the same scikit-learn models (a ``LogisticRegression`` and a ``Ridge``
fitted here, pickled, then logged by each tool with its own sklearn flavor to its own local
SQLite tracking store and file artifact root). Each tool runs in a fresh subprocess; the timed
call is ``evaluate(model_uri, data, targets="label", model_type=..., evaluators="default",
evaluator_config={"log_model_explainability": False})`` inside an active run: loading the model,
predicting, every default metric, every default plot and logging them to the run. SHAP is off
on both sides (``shap`` is not installed in the MLflow venv, so MLflow would skip it anyway).
modelyard's regressor residual plot (MLflow has none) is switched off so that both tools produce
the same metrics and the same artifacts. The median of ``--repeats`` calls after one warm-up call is reported, with the ratio, and the
metrics of both tools are compared value by value.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
MLFLOW_PY = os.path.join(ROOT, ".venv-mlflow", "bin", "python")
CONFIG = {"log_model_explainability": False}


def make_inputs(rows: int, folder: str) -> None:
    import numpy as np
    from sklearn.linear_model import LogisticRegression, Ridge

    rng = np.random.default_rng(0)
    x = rng.normal(size=(rows, 12))
    logit = x[:, :6] @ rng.normal(size=6) + 0.5 * rng.normal(size=rows)
    label = (logit > 0).astype(np.int64)
    target = x @ rng.normal(size=12) + rng.normal(size=rows) + 50.0
    np.savez(os.path.join(folder, "data.npz"), x=x, label=label, target=target)
    names = [f"f{i}" for i in range(12)]
    import pandas as pd

    frame = pd.DataFrame(x, columns=names)
    clf = LogisticRegression(max_iter=500).fit(frame, label)
    reg = Ridge().fit(frame, target)
    with open(os.path.join(folder, "models.pkl"), "wb") as fh:
        pickle.dump({"classifier": clf, "regressor": reg}, fh)


def worker(tool: str, folder: str, repeats: int) -> None:
    """Runs inside the tool's interpreter; prints one JSON line."""
    import numpy as np
    import pandas as pd

    if tool == "mlflow":
        import mlflow as lib
        from mlflow.models import evaluate

        log_model = lib.sklearn.log_model
    else:
        import modelyard as lib
        from modelyard.models import evaluate

        log_model = lib.sklearn.log_model
    store = os.path.join(folder, tool)
    os.makedirs(store, exist_ok=True)
    os.environ["MLFLOW_ARTIFACT_ROOT"] = os.path.join(store, "artifacts")
    lib.set_tracking_uri(f"sqlite:///{store}/mlruns.db")
    lib.set_experiment("bench-evaluate")
    arrays = np.load(os.path.join(folder, "data.npz"))
    frame = pd.DataFrame(arrays["x"], columns=[f"f{i}" for i in range(12)])
    with open(os.path.join(folder, "models.pkl"), "rb") as fh:
        models = pickle.load(fh)
    out: dict[str, dict] = {}
    for kind, target in (("classifier", "label"), ("regressor", "target")):
        data = frame.assign(**{target: arrays[target]})
        config = dict(CONFIG)
        if tool == "modelyard" and kind == "regressor":
            config["log_residuals"] = False  # MLflow logs no regressor plot: same work
        with lib.start_run():
            info = log_model(models[kind], name="model")
        times = []
        result = None
        for _ in range(repeats + 1):
            with lib.start_run():
                start = time.perf_counter()
                result = evaluate(
                    info.model_uri,
                    data,
                    targets=target,
                    model_type=kind,
                    evaluators="default",
                    evaluator_config=config,
                )
                times.append(time.perf_counter() - start)
        assert result is not None
        out[kind] = {
            "seconds": times[1:],
            "warmup": times[0],
            "metrics": {k: float(v) for k, v in result.metrics.items()},
            "artifacts": sorted(result.artifacts),
        }
    print("RESULT " + json.dumps(out))


def run_tool(tool: str, folder: str, repeats: int) -> dict:
    python = MLFLOW_PY if tool == "mlflow" else sys.executable
    env = dict(os.environ, PYTHONWARNINGS="ignore", MPLBACKEND="Agg")
    env.pop("MLFLOW_TRACKING_URI", None)
    proc = subprocess.run(
        [
            python,
            os.path.abspath(__file__),
            "--worker",
            tool,
            "--folder",
            folder,
            "--repeats",
            str(repeats),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=folder,
        check=False,
    )
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        sys.stderr.write(proc.stderr[-4000:])
        raise SystemExit(f"{tool} worker failed with exit code {proc.returncode}")
    return json.loads(lines[-1][len("RESULT ") :])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--worker")
    parser.add_argument("--folder")
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.folder, args.repeats)
        return
    with tempfile.TemporaryDirectory(prefix="bench-evaluate-") as folder:
        make_inputs(args.rows, folder)
        results = {tool: run_tool(tool, folder, args.repeats) for tool in ("mlflow", "modelyard")}
    print(f"evaluate(), {args.rows:,} rows x 12 features, median of {args.repeats} after warm-up")
    print(f"{'model_type':<11} {'mlflow 3.17.2 s':>16} {'modelyard s':>12} {'ratio':>7}")
    summary = {}
    for kind in ("classifier", "regressor"):
        a = statistics.median(results["mlflow"][kind]["seconds"])
        b = statistics.median(results["modelyard"][kind]["seconds"])
        summary[kind] = {"mlflow_s": a, "modelyard_s": b, "ratio": a / b}
        print(f"{kind:<11} {a:>16.3f} {b:>12.3f} {a / b:>6.1f}x")
    for kind in ("classifier", "regressor"):
        ml = results["mlflow"][kind]
        my = results["modelyard"][kind]
        print(f"\n{kind}: artifacts mlflow={ml['artifacts']} modelyard={my['artifacts']}")
        worst = 0.0
        for name, value in sorted(ml["metrics"].items()):
            ours = my["metrics"].get(name)
            diff = abs(ours - value) / max(abs(value), 1e-12) if ours is not None else None
            if diff is not None:
                worst = max(worst, diff)
            print(
                f"  {name:<32} mlflow={value:<22.12g} modelyard="
                f"{'missing' if ours is None else format(ours, '.12g')}"
            )
        extra = sorted(set(my["metrics"]) - set(ml["metrics"]))
        print(f"  largest relative difference: {worst:.2e}; only in modelyard: {extra}")
    summary["rows"] = args.rows
    print("\nJSON " + json.dumps(summary))


if __name__ == "__main__":
    main()
