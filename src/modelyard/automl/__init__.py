"""AutoML with Databricks AutoML's Python API: ``classify``, ``regress`` and ``forecast``.

``from modelyard import automl`` is cheap: the engine (scikit-learn, XGBoost, LightGBM,
Optuna, SHAP, statsforecast, nbformat) is imported when a function runs.
"""

from __future__ import annotations

from typing import Any

from modelyard.automl._summary import AutoMLSummary, TrialInfo

__all__ = ["AutoMLSummary", "TrialInfo", "classify", "forecast", "regress"]


def classify(
    dataset: Any,
    *,
    target_col: str,
    primary_metric: str = "f1",
    data_dir: str | None = None,
    experiment_dir: str | None = None,
    experiment_name: str | None = None,
    exclude_cols: list[str] | None = None,
    exclude_frameworks: list[str] | None = None,
    imputers: dict[str, Any] | None = None,
    pos_label: Any = None,
    time_col: str | None = None,
    split_col: str | None = None,
    sample_weight_col: str | None = None,
    max_trials: int | None = None,
    timeout_minutes: float | None = None,
    seed: int | None = 0,
    registered_model_name: str | None = None,
    ensemble: bool = True,
    progress: bool = True,
    parallelism: int = 1,
    spark: Any = None,
) -> AutoMLSummary:
    """Train and tune classifiers; every trial is a tracked run whose model is an sklearn
    ``Pipeline`` (sklearn flavor + pyfunc; an ensemble is a pyfunc model).

    ``primary_metric``: f1 (default), log_loss, precision, accuracy, roc_auc.
    ``timeout_minutes`` defaults to 120 and bounds the whole call; ``max_trials`` caps the
    number of trials. ``data_dir``: where the copy of the training data goes (default
    ``experiment_dir``). ``sample_weight_col``: a column of non-negative row weights.
    ``parallelism``: trials run at once, each in its own worker process (capped at the number
    of CPU cores, with a warning); 1, the default, runs them one after the other here.
    ``spark``: a SparkSession whose tasks run the trials instead (``parallelism`` at a time).
    """
    from modelyard.automl._supervised import run_supervised

    return run_supervised(
        dataset,
        "classification",
        target_col=target_col,
        primary_metric=primary_metric,
        experiment_dir=experiment_dir,
        data_dir=data_dir,
        experiment_name=experiment_name,
        exclude_cols=exclude_cols,
        exclude_frameworks=exclude_frameworks,
        imputers=imputers,
        pos_label=pos_label,
        time_col=time_col,
        split_col=split_col,
        sample_weight_col=sample_weight_col,
        max_trials=max_trials,
        timeout_minutes=timeout_minutes,
        seed=seed,
        registered_model_name=registered_model_name,
        ensemble=ensemble,
        progress=progress,
        parallelism=parallelism,
        spark=spark,
    )


def regress(
    dataset: Any,
    *,
    target_col: str,
    primary_metric: str = "r2",
    data_dir: str | None = None,
    experiment_dir: str | None = None,
    experiment_name: str | None = None,
    exclude_cols: list[str] | None = None,
    exclude_frameworks: list[str] | None = None,
    imputers: dict[str, Any] | None = None,
    time_col: str | None = None,
    split_col: str | None = None,
    sample_weight_col: str | None = None,
    max_trials: int | None = None,
    timeout_minutes: float | None = None,
    seed: int | None = 0,
    registered_model_name: str | None = None,
    ensemble: bool = True,
    progress: bool = True,
    parallelism: int = 1,
    spark: Any = None,
) -> AutoMLSummary:
    """Train and tune regressors. ``primary_metric``: r2 (default), mae, rmse, mse.
    ``parallelism``, ``spark``: as for :func:`classify`."""
    from modelyard.automl._supervised import run_supervised

    return run_supervised(
        dataset,
        "regression",
        target_col=target_col,
        primary_metric=primary_metric,
        experiment_dir=experiment_dir,
        data_dir=data_dir,
        experiment_name=experiment_name,
        exclude_cols=exclude_cols,
        exclude_frameworks=exclude_frameworks,
        imputers=imputers,
        pos_label=None,
        time_col=time_col,
        split_col=split_col,
        sample_weight_col=sample_weight_col,
        max_trials=max_trials,
        timeout_minutes=timeout_minutes,
        seed=seed,
        registered_model_name=registered_model_name,
        ensemble=ensemble,
        progress=progress,
        parallelism=parallelism,
        spark=spark,
    )


def forecast(
    dataset: Any,
    *,
    target_col: str,
    time_col: str,
    primary_metric: str = "smape",
    frequency: str = "D",
    horizon: int = 1,
    identity_col: str | list[str] | None = None,
    output_database: str | None = None,
    experiment_dir: str | None = None,
    experiment_name: str | None = None,
    exclude_frameworks: list[str] | None = None,
    max_trials: int | None = None,
    timeout_minutes: float | None = None,
    seed: int | None = 0,
    registered_model_name: str | None = None,
    progress: bool = True,
    parallelism: int = 1,
) -> AutoMLSummary:
    """Statistical forecasting (AutoARIMA, AutoETS, AutoTheta, SeasonalNaive) chosen by a
    rolling-origin backtest. ``primary_metric``: smape (default), mse, rmse, mae, mdape.
    ``exclude_frameworks``: any of arima, ets, theta, seasonal_naive. ``parallelism``: candidate
    models backtested at once, each in its own worker process (capped at the CPU cores)."""
    from modelyard.automl._forecast import run_forecast

    return run_forecast(
        dataset,
        target_col=target_col,
        time_col=time_col,
        primary_metric=primary_metric,
        frequency=frequency,
        horizon=horizon,
        identity_col=identity_col,
        output_database=output_database,
        experiment_dir=experiment_dir,
        experiment_name=experiment_name,
        exclude_frameworks=exclude_frameworks,
        max_trials=max_trials,
        timeout_minutes=timeout_minutes,
        seed=seed,
        registered_model_name=registered_model_name,
        progress=progress,
        parallelism=parallelism,
    )
