"""AutoML trials in parallel: the same time budget with ``parallelism=1`` and ``parallelism=2``.

Usage: python benchmarks/automl/bench_parallelism.py [--budget 30] [--parallelism 2]

For each data set (bundled with scikit-learn, no download) and each setting, one ``classify`` /
``regress`` call with ``timeout_minutes=budget/60`` and no trial cap. Prints the trials
completed (the ensemble not counted), the best trial's cross-validated and test scores
(accuracy for classification, r2 for regression), the wall time, and the ratio of trials
completed (N workers / 1). A short warm-up call first imports the libraries, so the first
timed call does not pay for it. The figures depend on the machine's load: run it on a quiet one.
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
import warnings
from typing import Any

__all__ = ["main"]


def _datasets() -> list[tuple[str, str, Any]]:
    from sklearn import datasets

    return [
        ("breast_cancer", "classification", datasets.load_breast_cancer(as_frame=True).frame),
        ("digits", "classification", datasets.load_digits(as_frame=True).frame),
        ("diabetes", "regression", datasets.load_diabetes(as_frame=True).frame),
    ]


def _run(
    task: str, df: Any, budget: float, parallelism: int, max_trials: int | None = None
) -> dict[str, float]:
    import modelyard
    from modelyard import automl

    fn = automl.classify if task == "classification" else automl.regress
    metric = "accuracy" if task == "classification" else "r2"
    key = "accuracy_score" if task == "classification" else "r2_score"
    with tempfile.TemporaryDirectory() as tmp:
        modelyard.set_tracking_uri(f"sqlite:///{tmp}/t.db")
        try:
            t0 = time.perf_counter()
            summary = fn(
                df,
                target_col="target",
                primary_metric=metric,
                timeout_minutes=budget / 60,
                experiment_dir=f"{tmp}/exp",
                parallelism=parallelism,
                max_trials=max_trials,
                progress=False,
            )
            wall = time.perf_counter() - t0
        finally:
            modelyard.set_tracking_uri(None)
    single = [t for t in summary.trials if not t.model_description.startswith("Ensemble(")]
    best = summary.best_trial
    return {
        "trials": float(len(single)),
        "cv": float(best.cv_score if best.cv_score is not None else float("nan")),
        "test": float(best.metrics.get(f"test_{key}", float("nan"))),
        "wall": wall,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--budget", type=float, default=30.0, help="seconds per call")
    parser.add_argument("--parallelism", type=int, default=2, help="workers to compare with 1")
    args = parser.parse_args()
    logging.getLogger("modelyard.automl").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore")
    settings = (1, args.parallelism)
    data = _datasets()
    # warm-up: the libraries are imported once here, so the first timed call does not pay it
    _run("classification", data[0][2].head(120), 60.0, 1, max_trials=1)
    print(f"budget {args.budget:.0f} s per call; parallelism {settings[0]} vs {settings[1]}")
    header = f"{'data set':<15}{'N':>3}{'trials':>8}{'best cv':>10}{'best test':>11}{'wall s':>8}"
    print(header)
    ratios = []
    for name, task, df in data:
        done = {}
        for n in settings:
            try:
                r = done[n] = _run(task, df, args.budget, n)
            except Exception as exc:  # e.g. the first trial does not fit a loaded machine's budget
                done[n] = {"trials": 0.0}
                print(f"{name:<15}{n:>3}  failed: {exc}", flush=True)
                continue
            print(
                f"{name:<15}{n:>3}{r['trials']:>8.0f}{r['cv']:>10.4f}{r['test']:>11.4f}"
                f"{r['wall']:>8.1f}",
                flush=True,
            )
        ratio = done[settings[1]]["trials"] / max(1.0, done[settings[0]]["trials"])
        ratios.append(ratio)
        print(f"{name:<15} trials ratio {settings[1]}/{settings[0]}: {ratio:.2f}", flush=True)
    print(f"mean trials ratio: {sum(ratios) / len(ratios):.2f}")


if __name__ == "__main__":
    main()
