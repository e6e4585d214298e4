"""``modelyard automl classify|regress|forecast``: run AutoML on a CSV/Parquet file."""

from __future__ import annotations

from typing import Any

import click

__all__ = ["automl_group"]


def _common(fn: Any) -> Any:
    options = [
        click.option(
            "--data",
            "data",
            required=True,
            type=click.Path(exists=True, dir_okay=True),
            help="CSV or Parquet file with the training data.",
        ),
        click.option("--target", "target", required=True, help="Name of the target column."),
        click.option("--primary-metric", default=None, help="Metric to optimize (see above)."),
        click.option(
            "--timeout-minutes",
            type=float,
            default=None,
            help="Time budget in minutes (default 120).",
        ),
        click.option("--max-trials", type=int, default=None, help="Maximum number of trials."),
        click.option("--experiment-name", default=None, help="Experiment to log the trials to."),
        click.option("--seed", type=int, default=0, show_default=True, help="Random seed."),
        click.option(
            "--parallelism",
            type=click.IntRange(min=1),
            default=1,
            show_default=True,
            help="Trials run at once, each in a worker process (capped at the CPU cores).",
        ),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


_exclude_frameworks = click.option(
    "--exclude-frameworks",
    multiple=True,
    type=click.Choice(["sklearn", "xgboost", "lightgbm"]),
    help="Frameworks to skip.",
)


def _budget(
    primary_metric: str | None,
    timeout_minutes: float | None,
    max_trials: int | None,
    experiment_name: str | None,
    seed: int,
    parallelism: int,
) -> dict[str, Any]:
    """The options every task shares; an unset metric keeps the API's default for the task."""
    out: dict[str, Any] = {
        "timeout_minutes": timeout_minutes,
        "max_trials": max_trials,
        "experiment_name": experiment_name,
        "seed": seed,
        "parallelism": parallelism,
    }
    if primary_metric:
        out["primary_metric"] = primary_metric
    return out


def _report(summary: Any) -> None:
    best = summary.best_trial
    click.echo(f"experiment: {summary.experiment.name} ({summary.experiment.experiment_id})")
    click.echo(f"trials: {len(summary.trials)}")
    click.echo(f"best trial: {best.model_description} (run {best.mlflow_run_id})")
    for key in sorted(best.metrics):
        if key.startswith(("val_", "test_")):
            click.echo(f"  {key}: {best.metrics[key]:.6g}")
    click.echo(f"best model: {best.model_path}")
    if summary.output_table_name:
        click.echo(f"forecast table: {summary.output_table_name}")


@click.group("automl")
def automl_group() -> None:
    """AutoML: train and tune models, log every trial as a run."""


@automl_group.command("classify")
@_common
@click.option("--pos-label", default=None, help="Positive class of a binary target.")
@_exclude_frameworks
def classify_cmd(
    data: str,
    target: str,
    primary_metric: str | None,
    timeout_minutes: float | None,
    max_trials: int | None,
    experiment_name: str | None,
    seed: int,
    parallelism: int,
    pos_label: str | None,
    exclude_frameworks: tuple[str, ...],
) -> None:
    """Classification. Metrics: f1 (default), log_loss, precision, accuracy, roc_auc."""
    from modelyard import automl

    _report(
        automl.classify(
            data,
            target_col=target,
            pos_label=pos_label,
            exclude_frameworks=list(exclude_frameworks) or None,
            **_budget(
                primary_metric, timeout_minutes, max_trials, experiment_name, seed, parallelism
            ),
        )
    )


@automl_group.command("regress")
@_common
@_exclude_frameworks
def regress_cmd(
    data: str,
    target: str,
    primary_metric: str | None,
    timeout_minutes: float | None,
    max_trials: int | None,
    experiment_name: str | None,
    seed: int,
    parallelism: int,
    exclude_frameworks: tuple[str, ...],
) -> None:
    """Regression. Metrics: r2 (default), mae, rmse, mse."""
    from modelyard import automl

    _report(
        automl.regress(
            data,
            target_col=target,
            exclude_frameworks=list(exclude_frameworks) or None,
            **_budget(
                primary_metric, timeout_minutes, max_trials, experiment_name, seed, parallelism
            ),
        )
    )


@automl_group.command("forecast")
@_common
@click.option("--time-col", required=True, help="Column with the time stamps.")
@click.option("--frequency", default="D", show_default=True, help="D, W, M, Q, Y, h, min ...")
@click.option("--horizon", type=int, default=1, show_default=True, help="Steps to forecast.")
@click.option("--identity-col", multiple=True, help="Column(s) identifying each series.")
@click.option("--output-database", default=None, help="Directory for the forecast table.")
def forecast_cmd(
    data: str,
    target: str,
    primary_metric: str | None,
    timeout_minutes: float | None,
    max_trials: int | None,
    experiment_name: str | None,
    seed: int,
    parallelism: int,
    time_col: str,
    frequency: str,
    horizon: int,
    identity_col: tuple[str, ...],
    output_database: str | None,
) -> None:
    """Forecasting. Metrics: smape (default), mse, rmse, mae, mdape."""
    from modelyard import automl

    _report(
        automl.forecast(
            data,
            target_col=target,
            time_col=time_col,
            frequency=frequency,
            horizon=horizon,
            identity_col=list(identity_col) or None,
            output_database=output_database,
            **_budget(
                primary_metric, timeout_minutes, max_trials, experiment_name, seed, parallelism
            ),
        )
    )
