"""``forecast``: statsforecast models chosen by a rolling-origin backtest, logged as runs.

Candidates: AutoARIMA, AutoETS, AutoTheta and SeasonalNaive with the season length implied by
the frequency. Each is a trial run with ``val_<metric>`` from the backtest; the best is refit
on all the data, forecasts ``horizon`` steps with 95% prediction intervals, and its forecasts
are written as a table (Delta via ``deltalake`` when installed, else Parquet).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from modelyard.automl._paths import default_output_dir
from modelyard.automl._summary import AutoMLSummary, TrialInfo, format_minutes
from modelyard.errors import InvalidParameterValue

__all__ = ["FREQUENCIES", "run_forecast"]

# Databricks frequency names -> (pandas offset alias, season length)
FREQUENCIES: dict[str, tuple[str, int]] = {
    "min": ("min", 60),
    "minute": ("min", 60),
    "h": ("h", 24),
    "hr": ("h", 24),
    "hour": ("h", 24),
    "d": ("D", 7),
    "day": ("D", 7),
    "w": ("W", 52),
    "week": ("W", 52),
    "m": ("MS", 12),
    "month": ("MS", 12),
    "ms": ("MS", 12),
    "me": ("ME", 12),
    "q": ("QS", 4),
    "quarter": ("QS", 4),
    "y": ("YS", 1),
    "year": ("YS", 1),
}
LEVEL = 95
FRAMEWORK_OF = {
    "AutoARIMA": "arima",
    "AutoETS": "ets",
    "AutoTheta": "theta",
    "SeasonalNaive": "seasonal_naive",
}


def _models(season: int) -> dict[str, Any]:
    from statsforecast.models import AutoARIMA, AutoETS, AutoTheta, SeasonalNaive

    return {
        "AutoARIMA": AutoARIMA(season_length=season),
        "AutoETS": AutoETS(season_length=season),
        "AutoTheta": AutoTheta(season_length=season),
        "SeasonalNaive": SeasonalNaive(season_length=season),
    }


def _long_frame(df: Any, target: str, time_col: str, ids: list[str]) -> Any:
    import pandas as pd

    uid = df[ids].astype(str).agg("|".join, axis=1) if ids else pd.Series("series", index=df.index)
    out = pd.DataFrame(
        {
            "unique_id": uid.to_numpy(),
            "ds": pd.to_datetime(df[time_col]).to_numpy(),
            "y": pd.to_numeric(df[target], errors="coerce").to_numpy(dtype=float),
        }
    )
    out = out.dropna(subset=["ds"]).sort_values(["unique_id", "ds"]).reset_index(drop=True)
    out["y"] = out.groupby("unique_id")["y"].transform(lambda s: s.interpolate().bfill().ffill())
    return out


def run_forecast(
    dataset: Any,
    *,
    target_col: str,
    time_col: str,
    primary_metric: str,
    frequency: str,
    horizon: Any,
    identity_col: Any,
    output_database: str | None,
    experiment_dir: str | None,
    experiment_name: str | None,
    exclude_frameworks: Any,
    max_trials: Any,
    timeout_minutes: Any,
    seed: Any,
    registered_model_name: str | None,
    progress: bool,
    parallelism: Any = 1,
) -> AutoMLSummary:
    import modelyard
    from modelyard import pyfunc
    from modelyard.automl._params import (
        check_column,
        check_max_trials,
        check_parallelism,
        load_dataset,
        timeout_seconds,
    )
    from modelyard.automl.metrics import metric_spec

    df = load_dataset(dataset)
    check_column(df, target_col, "target_col")
    check_column(df, time_col, "time_col")
    spec = metric_spec("forecast", primary_metric)
    if isinstance(horizon, bool) or not isinstance(horizon, int) or horizon < 1:
        raise InvalidParameterValue(f"Parameter 'horizon' must be an integer >= 1, got {horizon!r}")
    if not isinstance(frequency, str) or frequency.lower() not in FREQUENCIES:
        raise InvalidParameterValue(
            f"Parameter 'frequency': unknown value {frequency!r}; expected one of {sorted(FREQUENCIES)}"
        )
    ids = [identity_col] if isinstance(identity_col, str) else list(identity_col or [])
    for c in ids:
        check_column(df, c, "identity_col")
    excluded = {str(f).lower() for f in (exclude_frameworks or [])}
    unknown = sorted(excluded - set(FRAMEWORK_OF.values()))
    if unknown or set(FRAMEWORK_OF.values()) <= excluded:
        raise InvalidParameterValue(
            f"Parameter 'exclude_frameworks': {sorted(excluded)} must be a proper subset of "
            f"{sorted(set(FRAMEWORK_OF.values()))}"
        )
    budget = timeout_seconds(timeout_minutes)
    cap = check_max_trials(max_trials)
    workers = check_parallelism(parallelism, stacklevel=4)
    freq, season = FREQUENCIES[frequency.lower()]
    long = _long_frame(df, target_col, time_col, ids)
    shortest = int(long.groupby("unique_id").size().min())
    if shortest < horizon + 4:
        raise InvalidParameterValue(
            f"Parameter 'horizon'={horizon}: the shortest series has only {shortest} points"
        )
    if season > 1 and shortest < 2 * season + horizon:
        season = 1
    n_windows = max(1, min(3, (shortest - max(2 * season, 8)) // horizon))
    started = time.monotonic()
    candidates = [(n, m) for n, m in _models(season).items() if FRAMEWORK_OF[n] not in excluded][
        : cap or None
    ]
    name = experiment_name or f"automl_forecast_{time.strftime('%Y%m%d_%H%M%S')}"
    experiment = modelyard.set_experiment(name)
    out_dir = Path(experiment_dir) if experiment_dir else default_output_dir(experiment.name)
    out_dir.mkdir(parents=True, exist_ok=True)
    import nbformat

    from modelyard.automl.notebooks import exploration_notebook

    data_path = out_dir / "data.parquet"
    df.to_parquet(data_path)
    explore = out_dir / "data_exploration.ipynb"
    nbformat.write(exploration_notebook(data_path, target_col, "regression"), explore)
    trials: list[TrialInfo] = []
    fitted: dict[str, Any] = {}
    with modelyard.start_run(run_name="automl_forecast") as parent:
        modelyard.log_params(
            {
                "target_col": target_col,
                "time_col": time_col,
                "horizon": horizon,
                "frequency": freq,
                "season_length": season,
                "primary_metric": spec.name,
                "n_series": long["unique_id"].nunique(),
                "backtest_windows": n_windows,
            }
        )
        setup = (long, freq, horizon, n_windows, time_col, ids)
        state = _backtest_setup(*setup, threads=os.cpu_count() or 1)

        def log(model_name: str, done: tuple[dict[str, float], Any, float]) -> TrialInfo:
            m, wrapper, seconds = done
            t0 = time.monotonic()
            with modelyard.start_run(run_name=f"trial_{model_name}", nested=True) as run:
                modelyard.log_params({"model": model_name, "season_length": season})
                metrics = {f"val_{k}": v for k, v in m.items() if v == v}
                modelyard.log_metrics(metrics)
                example = wrapper.future_frame()
                info = pyfunc.log_model(name="model", python_model=wrapper, input_example=example)
            fitted[run.info.run_id] = wrapper
            seconds += time.monotonic() - t0
            return TrialInfo(
                mlflow_run_id=run.info.run_id,
                model_path=f"runs:/{run.info.run_id}/model",
                metrics=metrics,
                params={"model": model_name, "season_length": str(season)},
                model_description=model_name,
                duration=format_minutes(seconds),
                preprocessors=f"series resampled to frequency {freq!r}",
                evaluation_metric_score=metrics.get(f"val_{spec.key}"),
                evaluation_metric=f"val_{spec.key}",
                artifact_uri=run.info.artifact_uri,
                framework="statsforecast",
                duration_seconds=seconds,
                model_uri=info.model_uri,
            )

        if workers > 1 and len(candidates) > 1:
            size = min(workers, len(candidates))
            trials = _parallel_candidates(candidates, setup, log, size, started + budget)
        else:
            for model_name, model in candidates:
                if trials and time.monotonic() - started > budget:
                    break
                trials.append(log(model_name, _backtest(state, model)))
        key = f"val_{spec.key}"
        best = min(trials, key=lambda t: t.metrics.get(key, float("inf")))
        forecasts = fitted[best.mlflow_run_id].forecast()
        csv = out_dir / "forecast.csv"
        forecasts.to_csv(csv, index=False)
        modelyard.log_artifact(str(csv), "forecast")
        modelyard.set_tags({"automl.best_run_id": best.mlflow_run_id})
        modelyard.log_artifact(str(explore), "notebooks")
        table = _write_table(forecasts, output_database, parent.info.run_id[:8])
        parent_id = parent.info.run_id
    if registered_model_name:
        modelyard.register_model(best.model_path, registered_model_name)
    return AutoMLSummary(
        experiment=experiment,
        trials=trials,
        best_trial=best,
        primary_metric=spec.name,
        primary_metric_key=spec.key,
        problem_type="forecast",
        parent_run_id=parent_id,
        experiment_dir=str(out_dir),
        output_table_name=table,
        data_exploration_notebook_path=str(explore),
    )


def _backtest_setup(
    long: Any,
    freq: str,
    horizon: int,
    n_windows: int,
    time_col: str,
    ids: list[str],
    *,
    threads: int,
) -> tuple[Any, ...]:
    """What a backtest needs (in a worker: its state)."""
    return long, freq, horizon, n_windows, time_col, ids


def _backtest(state: tuple[Any, ...], model: Any) -> tuple[dict[str, float], Any, float]:
    """A candidate's rolling-origin backtest metrics, its model refit on all the data (as a
    pyfunc forecaster) and the seconds taken."""
    from statsforecast import StatsForecast

    from modelyard.automl._forecast_model import AutoMLForecastModel
    from modelyard.automl.metrics import forecast_metrics

    long, freq, horizon, n_windows, time_col, ids = state
    t0 = time.monotonic()
    sf = StatsForecast(models=[model], freq=freq, n_jobs=1)
    cv = sf.cross_validation(df=long, h=horizon, n_windows=n_windows, step_size=horizon)
    col = [c for c in cv.columns if c not in ("unique_id", "ds", "cutoff", "y")][0]
    m = forecast_metrics(cv["y"], cv[col])
    sf_full = StatsForecast(models=[model], freq=freq, n_jobs=1).fit(df=long)
    wrapper = AutoMLForecastModel(sf_full, col, time_col, ids, horizon, LEVEL)
    return m, wrapper, time.monotonic() - t0


def _parallel_candidates(
    candidates: list[tuple[str, Any]],
    setup: tuple[Any, ...],
    log: Callable[[str, tuple[dict[str, float], Any, float]], TrialInfo],
    size: int,
    deadline: float,
) -> list[TrialInfo]:
    """Backtest the candidates in ``size`` worker processes and ``log`` each here, as it
    finishes; the trials come back in candidate order. No candidate starts after
    ``deadline``, and once one is logged, those still running then are terminated. A
    candidate that raises stops the call with its error, as in the sequential loop."""
    from modelyard.automl._pool import WorkerPool

    pending = list(enumerate(candidates))
    done: dict[int, TrialInfo] = {}
    pool = WorkerPool(size, _backtest_setup, setup)
    try:
        while True:
            for worker in pool.idle():
                if not pending or (done and time.monotonic() > deadline):
                    break
                index, (name, model) = pending.pop(0)
                worker.submit((index, name), _backtest, model)
            if not pool.busy():
                break
            until = deadline if done else float("inf")
            answers = pool.wait(min(until, time.monotonic() + 3600.0))
            if not answers and time.monotonic() >= until:
                break
            for _worker, (index, name), kind, value in answers:
                if kind != "ok":
                    raise value
                done[index] = log(name, value)
    finally:
        pool.close()
    return [done[i] for i in sorted(done)]


def _write_table(frame: Any, output_database: str | None, suffix: str) -> str | None:
    if not output_database:
        return None
    base = Path(output_database)
    base.mkdir(parents=True, exist_ok=True)
    path = base / f"forecast_{suffix}"
    try:
        from deltalake import write_deltalake

        write_deltalake(str(path), frame, mode="overwrite")
    except ImportError:
        path = path.with_suffix(".parquet")
        frame.to_parquet(path)
    return str(path)
