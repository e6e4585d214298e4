"""modelyard AutoML vs FLAML at the same time budget, and modelyard.forecast vs baselines.

Usage: python benchmarks/automl/bench_vs_flaml.py [--budget 60]

FLAML is a benchmark-only dependency (``pip install flaml``); it is not needed at run time.
Every data set is bundled with scikit-learn (no download); series are generated (seeded) plus
statsforecast's bundled AirPassengers. Both tools get the same train/test split; the score is
computed on the test part (accuracy for classification, r2 for regression, smape for series).
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
import warnings
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["main"]


def _datasets() -> list[tuple[str, str, pd.DataFrame]]:
    from sklearn import datasets

    bc = datasets.load_breast_cancer(as_frame=True).frame
    wine = datasets.load_wine(as_frame=True).frame
    wine_bin = wine.assign(target=(wine["target"] == 0).astype(int))
    digits = datasets.load_digits(as_frame=True).frame.sample(800, random_state=0)
    diabetes = datasets.load_diabetes(as_frame=True).frame
    return [
        ("breast_cancer", "classification", bc),
        ("wine_binary", "classification", wine_bin),
        ("wine_multiclass", "classification", wine),
        ("digits_800", "classification", digits),
        ("diabetes", "regression", diabetes),
    ]


def _score(task: str, y: Any, pred: Any) -> float:
    from sklearn.metrics import accuracy_score, r2_score

    if task == "classification":
        return float(accuracy_score(y, pred))
    return float(r2_score(y, pred))


def _modelyard(
    task: str, train: pd.DataFrame, test: pd.DataFrame, budget: float
) -> tuple[float, float]:
    import modelyard
    from modelyard import automl

    t0 = time.perf_counter()
    fn = automl.classify if task == "classification" else automl.regress
    metric = "accuracy" if task == "classification" else "r2"
    with tempfile.TemporaryDirectory() as tmp:
        modelyard.set_tracking_uri(f"sqlite:///{tmp}/bench.db")
        s = fn(
            train,
            target_col="target",
            primary_metric=metric,
            timeout_minutes=budget / 60,
            experiment_dir=f"{tmp}/exp",
            progress=False,
            seed=0,
        )
        wall = time.perf_counter() - t0
        model = modelyard.pyfunc.load_model(s.best_trial.model_path)
        pred = model.predict(test.drop(columns="target"))
    return _score(task, test["target"], pred), wall


def _flaml(
    task: str, train: pd.DataFrame, test: pd.DataFrame, budget: float
) -> tuple[float, float]:
    from flaml import AutoML

    t0 = time.perf_counter()
    aml = AutoML()
    metric = "accuracy" if task == "classification" else "r2"
    aml.fit(
        train.drop(columns="target"),
        train["target"],
        task=task,
        metric=metric,
        time_budget=budget,
        seed=0,
        verbose=0,
        estimator_list=["lgbm", "rf", "extra_tree", "xgboost"],
    )
    wall = time.perf_counter() - t0
    return _score(task, test["target"], aml.predict(test.drop(columns="target"))), wall


def _series() -> list[tuple[str, str, pd.DataFrame]]:
    from statsforecast.utils import AirPassengers

    out = [
        (
            "air_passengers",
            "M",
            pd.DataFrame(
                {
                    "ds": pd.date_range("1949-01-01", periods=len(AirPassengers), freq="MS"),
                    "y": AirPassengers.astype(float),
                }
            ),
        )
    ]
    rng = np.random.default_rng(0)
    for i, (trend, amp, noise) in enumerate([(0.1, 5, 1.0), (0.02, 2, 0.5), (-0.05, 8, 2.0)]):
        t = np.arange(144)
        y = 50 + trend * t + amp * np.sin(2 * np.pi * t / 12) + rng.normal(0, noise, 144)
        out.append(
            (
                f"synthetic_{i}",
                "M",
                pd.DataFrame({"ds": pd.date_range("2010-01-01", periods=144, freq="MS"), "y": y}),
            )
        )
    return out


def _forecast_rows(budget: float, horizon: int = 12) -> list[dict[str, Any]]:
    import modelyard
    from modelyard import automl
    from modelyard.automl.metrics import forecast_metrics

    rows = []
    for name, freq, df in _series():
        train, test = df.iloc[:-horizon], df.iloc[-horizon:]
        y_tr = train["y"].to_numpy()
        baselines = {
            "naive": np.repeat(y_tr[-1], horizon),
            "seasonal_naive": np.resize(y_tr[-12:], horizon),
            "mean": np.repeat(y_tr.mean(), horizon),
        }
        t0 = time.perf_counter()
        with tempfile.TemporaryDirectory() as tmp:
            modelyard.set_tracking_uri(f"sqlite:///{tmp}/f.db")
            s = automl.forecast(
                train,
                target_col="y",
                time_col="ds",
                frequency=freq,
                horizon=horizon,
                timeout_minutes=budget / 60,
                experiment_dir=f"{tmp}/exp",
                progress=False,
            )
            wall = time.perf_counter() - t0
            pred = modelyard.pyfunc.load_model(s.best_trial.model_path).predict(test[["ds"]])
        row = {
            "series": name,
            "modelyard_smape": forecast_metrics(test["y"], pred["yhat"])["smape"],
            "modelyard_model": s.best_trial.model_description,
            "modelyard_s": wall,
        }
        for b, p in baselines.items():
            row[f"{b}_smape"] = forecast_metrics(test["y"], p)["smape"]
        rows.append(row)
    return rows


def _markdown(frame: pd.DataFrame) -> str:
    def fmt(v: Any) -> str:
        return f"{v:.4f}" if isinstance(v, float) else str(v)

    lines = ["| " + " | ".join(frame.columns) + " |", "|" + "---|" * len(frame.columns)]
    lines += ["| " + " | ".join(fmt(v) for v in row) + " |" for row in frame.itertuples(False)]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=60.0, help="seconds per data set")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    logging.disable(logging.WARNING)
    from sklearn.model_selection import train_test_split

    rows = []
    for name, task, df in _datasets():
        strat = df["target"] if task == "classification" else None
        train, test = train_test_split(df, test_size=0.25, random_state=0, stratify=strat)
        my_score, my_wall = _modelyard(task, train, test, args.budget)
        try:
            fl_score, fl_wall = _flaml(task, train, test, args.budget)
        except Exception as exc:  # report rather than stop the whole benchmark
            print(f"FLAML failed on {name}: {exc}")
            fl_score, fl_wall = float("nan"), float("nan")
        rows.append(
            {
                "dataset": name,
                "metric": "accuracy" if task == "classification" else "r2",
                "modelyard": my_score,
                "modelyard_s": my_wall,
                "flaml": fl_score,
                "flaml_s": fl_wall,
                "score_ratio": my_score / fl_score,
            }
        )
        print(rows[-1], flush=True)
    table = pd.DataFrame(rows)
    print(f"\n## Tabular, budget {args.budget:.0f} s per data set\n")
    print(_markdown(table))
    ftable = pd.DataFrame(_forecast_rows(args.budget))
    print(f"\n## Forecasting (horizon 12, smape, lower is better), budget {args.budget:.0f} s\n")
    print(_markdown(ftable))


if __name__ == "__main__":
    main()
