"""``classify`` / ``regress``: validate, split, search, log every trial, explain, notebooks."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from modelyard.automl._paths import default_output_dir
from modelyard.automl._summary import AutoMLSummary, TrialInfo

__all__ = ["run_supervised"]

_log = logging.getLogger("modelyard.automl")


def _experiment(experiment_name: str | None, problem_type: str) -> Any:
    import modelyard

    name = experiment_name or f"automl_{problem_type}_{time.strftime('%Y%m%d_%H%M%S')}"
    return modelyard.set_experiment(name)


def _log_trial(result: Any, predictor: Any, ctx: dict[str, Any]) -> TrialInfo:
    import modelyard
    from modelyard import pyfunc
    from modelyard.automl.pyfunc_model import AutoMLSupervisedModel

    p = ctx["params"]
    with modelyard.start_run(run_name=f"trial_{result.number}_{result.family}", nested=True) as run:
        loggable = {
            k: (str(v) if not isinstance(v, int | float | str) else v)
            for k, v in result.params.items()
        }
        modelyard.log_params(
            {
                **loggable,
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
        info = pyfunc.log_model(
            name="model",
            python_model=AutoMLSupervisedModel(predictor),
            signature=ctx["signature"],
            input_example=ctx["example"],
        )
        run_id = run.info.run_id
    return TrialInfo(
        mlflow_run_id=run_id,
        model_path=info.model_uri,
        metrics=dict(result.metrics),
        params=dict(result.params),
        model_description=result.description,
        duration=result.duration,
        framework=result.framework,
        cv_score=result.cv_metric,
    )


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
    registered_model_name = kwargs.pop("registered_model_name", None)
    progress = kwargs.pop("progress", True)
    df = load_dataset(dataset)
    p = validate_supervised(df, problem_type=problem_type, **kwargs)
    drop = [p.target_col, *p.exclude_cols] + ([p.split_col] if p.split_col else [])
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
    )
    signature_input = train[cols].head(200)
    reserve = min(0.2 * p.timeout_seconds, 60.0)
    deadline = started + p.timeout_seconds - reserve
    experiment = _experiment(experiment_name, problem_type)
    out_dir = Path(experiment_dir) if experiment_dir else default_output_dir(experiment.name)
    out_dir.mkdir(parents=True, exist_ok=True)
    data_path = out_dir / "data.parquet"
    try:
        df.to_parquet(data_path)
    except Exception:  # mixed-type object columns: CSV keeps them readable
        data_path = out_dir / "data.csv"
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
                sample_out = predictor.predict(signature_input)
                ctx["signature"] = infer_signature(signature_input, sample_out)
            predictors[result.number] = predictor
            infos[result.number] = _log_trial(result, predictor, ctx)

        outcome = run_search(data, plan, p, on_trial, deadline=deadline, progress=progress)
        trials = [infos[t.number] for t in outcome.trials]
        best = infos[outcome.best.number]
        modelyard.log_metrics({f"best_{k}": v for k, v in best.metrics.items()})
        modelyard.set_tags(
            {"automl.best_run_id": best.mlflow_run_id, "automl.stop_reason": outcome.stop_reason}
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
            infos[t.number].notebook_path = nb["trials"].get(t.number)
        modelyard.log_artifact(nb["data_exploration"], "notebooks")
        if nb["best"]:
            modelyard.log_artifact(nb["best"], "notebooks")
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
