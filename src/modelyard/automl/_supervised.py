"""``classify`` / ``regress``: validate, split, search, log every trial, explain, notebooks."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from modelyard.automl._paths import default_output_dir
from modelyard.automl._summary import AutoMLSummary, TrialInfo, format_minutes

__all__ = ["run_supervised"]

_log = logging.getLogger("modelyard.automl")


def _experiment(experiment_name: str | None, problem_type: str) -> Any:
    import modelyard

    name = experiment_name or f"automl_{problem_type}_{time.strftime('%Y%m%d_%H%M%S')}"
    return modelyard.set_experiment(name)


def _loggable(params: dict[str, Any]) -> dict[str, str]:
    return {k: str(v) for k, v in params.items()}


def _log_trial(result: Any, predictor: Any, ctx: dict[str, Any]) -> TrialInfo:
    """One nested run: params, metrics and the model, an sklearn ``Pipeline`` (sklearn flavor +
    pyfunc, as Databricks logs trials) or, for an ensemble, a pyfunc model."""
    import modelyard
    from modelyard import pyfunc
    from modelyard.automl.pyfunc_model import AutoMLSupervisedModel

    p = ctx["params"]
    with modelyard.start_run(run_name=f"trial_{result.number}_{result.family}", nested=True) as run:
        modelyard.log_params(
            {
                **_loggable(result.params),
                "family": result.family,
                "framework": result.framework,
                "classifier" if p.problem_type == "classification" else "regressor": (
                    result.description[:240]
                ),
                "decision_threshold": "" if result.threshold is None else result.threshold,
                "class_weight": ctx["class_weight"],
            }
        )
        modelyard.log_metrics(result.metrics)
        modelyard.set_tags(
            {"automl.trial": str(result.number), "automl.framework": result.framework}
        )
        if result.is_ensemble:
            info = pyfunc.log_model(
                name="model",
                python_model=AutoMLSupervisedModel(predictor),
                signature=ctx["ensemble_signature"],
                input_example=ctx["example"],
            )
        else:
            from modelyard import sklearn as mlflow_sklearn

            info = mlflow_sklearn.log_model(
                result.pipelines[0],
                name="model",
                serialization_format="cloudpickle",
                signature=ctx["signature"],
                input_example=ctx["example"],
            )
        run_id = run.info.run_id
        artifact_uri = run.info.artifact_uri
    key = f"val_{ctx['metric_key']}"
    return TrialInfo(
        mlflow_run_id=run_id,
        model_path=f"runs:/{run_id}/model",
        metrics=dict(result.metrics),
        params=_loggable(result.params),
        model_description=result.description,
        duration=format_minutes(result.duration),
        preprocessors=ctx["preprocessors"],
        evaluation_metric_score=result.metrics.get(key, result.cv_metric),
        evaluation_metric=key if key in result.metrics else f"cv_{ctx['metric_key']}",
        artifact_uri=artifact_uri,
        framework=result.framework,
        cv_score=result.cv_metric,
        duration_seconds=result.duration,
        model_uri=info.model_uri,
    )


def _log_failed_trial(number: int, family: str, config: dict[str, Any], exc: BaseException) -> None:
    """A trial that raised: a nested FAILED run with its params and the error as a tag."""
    import modelyard

    modelyard.start_run(run_name=f"trial_failed_{number}_{family}", nested=True)
    try:
        modelyard.log_params({**_loggable(config), "family": family})
        modelyard.set_tags(
            {"automl.trial": "failed", "automl.error": f"{type(exc).__name__}: {exc}"[:4000]}
        )
    finally:
        modelyard.end_run(status="FAILED")


def _preprocessors(plan: Any, imputers: dict[str, Any]) -> str:
    """The preprocessing of every trial, in words (``TrialInfo.preprocessors``)."""
    parts = []
    if plan.numeric:
        custom = f", {len(imputers)} column(s) with their own imputer" if imputers else ""
        parts.append(
            f"numeric ({len(plan.numeric)}): median imputation + missing indicators{custom}"
        )
    if plan.categorical_low:
        parts.append(f"one-hot encoding ({len(plan.categorical_low)})")
    if plan.categorical_high:
        parts.append(f"target + frequency encoding ({len(plan.categorical_high)})")
    if plan.datetime:
        parts.append(f"calendar features ({len(plan.datetime)})")
    if plan.text:
        parts.append(f"text length/TF-IDF+SVD ({len(plan.text)})")
    if plan.dropped:
        parts.append(f"dropped {sorted(plan.dropped)}")
    return "; ".join(parts)


def run_supervised(dataset: Any, problem_type: str, **kwargs: Any) -> AutoMLSummary:
    import numpy as np

    import modelyard
    from modelyard.automl._params import load_dataset, validate_supervised
    from modelyard.automl._predictor import SupervisedPredictor
    from modelyard.automl._search import SearchData, run_search
    from modelyard.automl.preprocessing import detect_column_types
    from modelyard.automl.splits import split_data
    from modelyard.errors import InvalidParameterValue
    from modelyard.models import infer_signature

    started = time.monotonic()
    experiment_name = kwargs.pop("experiment_name", None)
    experiment_dir = kwargs.pop("experiment_dir", None)
    data_dir = kwargs.pop("data_dir", None)
    registered_model_name = kwargs.pop("registered_model_name", None)
    progress = kwargs.pop("progress", True)
    spark = kwargs.pop("spark", None)
    if spark is not None and not hasattr(spark, "sparkContext"):
        raise InvalidParameterValue(
            f"Parameter 'spark' must be a SparkSession, got {type(spark).__name__}"
        )
    df = load_dataset(dataset)
    p = validate_supervised(df, problem_type=problem_type, **kwargs)
    drop = [p.target_col, *p.exclude_cols] + [
        c for c in (p.split_col, p.sample_weight_col) if c is not None
    ]
    features = df.drop(columns=[c for c in drop if c in df.columns])
    plan = detect_column_types(features, p.imputers)
    messages = [f"Dropped column {c!r}: {why}" for c, why in plan.dropped.items()]
    for m in messages:
        _log.warning("AutoML: %s", m)
    if not plan.used:
        raise InvalidParameterValue(
            "Parameter 'dataset': no usable feature column remains "
            f"(dropped: {plan.dropped or 'none'}, excluded: {p.exclude_cols})"
        )
    train, val, test = split_data(
        df,
        p.target_col,
        problem_type=problem_type,
        split_col=p.split_col,
        time_col=p.time_col,
        seed=p.seed,
    )
    if len(train) < 5:
        raise InvalidParameterValue("Parameter 'split_col': fewer than 5 training rows")
    cols = list(features.columns)
    classes: list[Any] = []
    pos_index = None
    class_weight = "none"
    weight = None
    if problem_type == "classification":
        classes = sorted(
            df[p.target_col].dropna().unique().tolist(), key=lambda v: (str(type(v)), v)
        )
        lookup = {c: i for i, c in enumerate(classes)}

        def enc(s: Any) -> Any:
            return s.map(lookup).to_numpy(dtype=int)

        if len(classes) == 2:
            pos_index = classes.index(p.pos_label) if p.pos_label is not None else 1
        y_tr = enc(train[p.target_col])
        counts = np.bincount(y_tr, minlength=len(classes))
        if counts.min() < 0.5 * counts.max() and p.primary_metric != "log_loss":
            from sklearn.utils.class_weight import compute_sample_weight

            weight = compute_sample_weight("balanced", y_tr)
            class_weight = "balanced"
            messages.append(f"Imbalanced classes {counts.tolist()}: balanced class weights")
    else:

        def enc(s: Any) -> Any:
            return s.to_numpy(dtype=float)

    if p.sample_weight_col is not None:
        row_weight = train[p.sample_weight_col].to_numpy(dtype=float)
        weight = row_weight if weight is None else weight * row_weight
    data = SearchData(
        train[cols],
        enc(train[p.target_col]),
        val[cols],
        enc(val[p.target_col]),
        test[cols],
        enc(test[p.target_col]),
        classes=list(range(len(classes))),
        pos_index=pos_index,
        sample_weight=weight,
        labels=classes,
    )
    signature_input = train[cols].head(200)
    # the search ends early enough for the ensemble, the explanations and the notebooks
    reserve = min(0.2 * p.timeout_seconds, 60.0)
    hard_deadline = started + p.timeout_seconds
    deadline = hard_deadline - reserve
    experiment = _experiment(experiment_name, problem_type)
    out_dir = Path(experiment_dir) if experiment_dir else default_output_dir(experiment.name)
    out_dir.mkdir(parents=True, exist_ok=True)
    data_home = Path(data_dir.removeprefix("file://")) if data_dir else out_dir
    data_home.mkdir(parents=True, exist_ok=True)
    data_path = data_home / "data.parquet"
    try:
        df.to_parquet(data_path)
    except Exception:  # mixed-type object columns: CSV keeps them readable
        data_path = data_home / "data.csv"
        df.to_csv(data_path, index=False)

    def predictor_for(result: Any) -> Any:
        return SupervisedPredictor(
            problem_type=problem_type,
            members=result.pipelines,
            weights=result.weights,
            classes=classes,
            threshold=result.threshold,
            pos_index=pos_index,
            input_columns=cols,
            input_dtypes={c: str(features[c].dtype) for c in cols},
        )

    infos: dict[int, TrialInfo] = {}
    predictors: dict[int, Any] = {}
    ctx: dict[str, Any] = {
        "params": p,
        "class_weight": class_weight,
        "example": signature_input.head(5),
        "metric_key": _key(problem_type, p.primary_metric),
        "preprocessors": _preprocessors(plan, p.imputers),
    }
    with modelyard.start_run(run_name=f"automl_{problem_type}") as parent:
        modelyard.log_params(
            {
                "target_col": p.target_col,
                "primary_metric": p.primary_metric,
                "timeout_minutes": p.timeout_seconds / 60,
                "max_trials": str(p.max_trials),
                "seed": p.seed,
                "exclude_frameworks": ",".join(p.exclude_frameworks),
                "n_train": len(train),
                "n_val": len(val),
                "n_test": len(test),
            }
        )
        modelyard.log_dict(plan.describe(), "automl/column_plan.json")

        def on_trial(result: Any) -> None:
            predictor = predictor_for(result)
            if "signature" not in ctx:
                import pandas as pd

                # a Series: string labels become a string column, not a sized numpy dtype
                sample_out = pd.Series(predictor.predict(signature_input), name="prediction")
                ctx["signature"] = infer_signature(signature_input, sample_out)
                ctx["ensemble_signature"] = infer_signature(
                    signature_input, sample_out, params={"predict_method": "predict"}
                )
            predictors[result.number] = predictor
            infos[result.number] = _log_trial(result, predictor, ctx)

        outcome = run_search(
            data,
            plan,
            p,
            on_trial,
            deadline=deadline,
            progress=progress,
            on_failure=_log_failed_trial,
            hard_deadline=hard_deadline - 1.0,
            spark=spark,
        )
        trials = [infos[t.number] for t in outcome.trials]
        best = infos[outcome.best.number]
        modelyard.log_metrics({f"best_{k}": v for k, v in best.metrics.items()})
        modelyard.set_tags(
            {
                "automl.best_run_id": best.mlflow_run_id,
                "automl.stop_reason": outcome.stop_reason,
                "automl.failed_trials": str(outcome.failed),
            }
        )
        try:
            from modelyard.automl._explain import explain_best

            explain_best(
                outcome.best,
                predictors[outcome.best.number],
                data,
                cols,
                problem_type,
                best.mlflow_run_id,
                deadline=hard_deadline - 1.0,
            )
        except Exception as exc:  # explanations never fail the experiment
            messages.append(f"Explainability skipped: {exc}")
            _log.warning("AutoML: explainability skipped: %s", exc)
        from modelyard.automl.notebooks import write_notebooks

        nb = write_notebooks(
            out_dir,
            data_path=data_path,
            problem_type=problem_type,
            target_col=p.target_col,
            plan=plan,
            params=p,
            best=outcome.best,
            trials=outcome.trials,
        )
        for t in outcome.trials:
            path = nb["trials"].get(t.number)
            infos[t.number].notebook_path = path
            infos[t.number].notebook_url = Path(path).resolve().as_uri() if path else None
        modelyard.log_artifact(nb["data_exploration"], "notebooks")
        if nb["best"]:
            modelyard.log_artifact(nb["best"], "notebooks")
        modelyard.set_tags(
            {
                "automl.budget_seconds": f"{p.timeout_seconds:.1f}",
                "automl.elapsed_seconds": f"{time.monotonic() - started:.1f}",
            }
        )
        parent_id = parent.info.run_id
    if registered_model_name:
        modelyard.register_model(best.model_path, registered_model_name)
    return AutoMLSummary(
        experiment=experiment,
        trials=trials,
        best_trial=best,
        primary_metric=p.primary_metric,
        primary_metric_key=_key(problem_type, p.primary_metric),
        problem_type=problem_type,
        parent_run_id=parent_id,
        experiment_dir=str(out_dir),
        data_exploration_notebook_path=nb["data_exploration"],
        best_trial_notebook_path=nb["best"],
        semantic_type_conversions=plan.conversions,
        dropped_columns=dict(plan.dropped),
        messages=messages,
    )


def _key(problem_type: str, metric: str) -> str:
    from modelyard.automl.metrics import metric_spec

    return metric_spec(problem_type, metric).key
