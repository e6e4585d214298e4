"""scikit-learn autologging with MLflow 3.17's names.

``autolog()`` patches ``fit`` of every scikit-learn estimator (``sklearn.utils.all_estimators``
plus ``Pipeline``, ``GridSearchCV``, ``RandomizedSearchCV``; preprocessing, imputation,
feature-extraction/selection classes and ``ColumnTransformer`` excluded, as MLflow does). A
``fit`` call then logs, into the active run or one it starts (tag ``mlflow.autologging=sklearn``):

* params: ``estimator.get_params(deep=True)`` (``deep=False`` for a parameter search, plus its
  ``best_<name>`` params);
* tags: ``estimator_name`` (class name) and ``estimator_class`` (module + class name);
* metrics: ``training_precision_score``, ``training_recall_score``, ``training_f1_score``,
  ``training_accuracy_score``, ``training_log_loss``, ``training_roc_auc`` (classifiers with
  ``predict_proba``), ``training_mean_squared_error``, ``training_root_mean_squared_error``,
  ``training_mean_absolute_error``, ``training_r2_score`` (regressors), ``training_score``
  (``estimator.score``) and, for a search, ``best_cv_score``;
* the model ``model`` (sklearn flavor, signature from the first 5 training rows) and, for a
  search, ``best_estimator``; the ``estimator.html`` artifact and a search's ``cv_results.csv``;
* for a search, one child run per candidate among the best ``max_tuning_runs`` (by
  ``rank_test_score``) with the candidate's params and its ``mean_*``/``std_*``/``rank_*``
  columns as metrics.
"""

from __future__ import annotations

import inspect
from typing import Any

from modelyard.errors import InvalidParameterValue
from modelyard.flavors.autologging import _core
from modelyard.flavors.autologging._run_data import (
    active_run_id,
    example_and_signature,
    first_rows,
    log_metrics,
    log_params,
    set_tags,
)

__all__ = ["FLAVOR_NAME", "TRAINING_PREFIX", "autolog", "estimator_tags", "patched_classes"]

FLAVOR_NAME = "sklearn"
TRAINING_PREFIX = "training_"
_EXCLUDED_MODULES = (
    "sklearn.preprocessing",
    "sklearn.impute",
    "sklearn.feature_extraction",
    "sklearn.feature_selection",
)
_EXCLUDED_CLASSES = ("sklearn.compose._column_transformer.ColumnTransformer",)


def autolog(
    log_input_examples: bool = False,
    log_model_signatures: bool = True,
    log_models: bool = True,
    log_datasets: bool = True,
    disable: bool = False,
    exclusive: bool = False,
    disable_for_unsupported_versions: bool = False,
    silent: bool = False,
    max_tuning_runs: int | None = 5,
    log_post_training_metrics: bool = True,
    serialization_format: str = "cloudpickle",
    registered_model_name: str | None = None,
    pos_label: Any = None,
    extra_tags: dict[str, Any] | None = None,
) -> None:
    """Enable (or, with ``disable=True``, undo) autologging of scikit-learn ``fit`` calls."""
    if max_tuning_runs is not None and (
        not isinstance(max_tuning_runs, int) or max_tuning_runs < 0
    ):
        raise InvalidParameterValue(
            f"'max_tuning_runs' must be a non-negative integer or None, got {max_tuning_runs!r}"
        )
    from modelyard.flavors.sklearn import SUPPORTED_SERIALIZATION_FORMATS

    if serialization_format not in SUPPORTED_SERIALIZATION_FORMATS:
        raise InvalidParameterValue(
            f"Invalid 'serialization_format' {serialization_format!r}; use one of "
            f"{list(SUPPORTED_SERIALIZATION_FORMATS)}"
        )
    options = _core.configure(FLAVOR_NAME, dict(locals()))
    if options is None:
        return
    for cls in patched_classes():
        fit = cls.fit  # type: ignore[attr-defined]
        _core.patch(FLAVOR_NAME, cls, "fit", _fit_hook(fit), allow_children=False)


def patched_classes() -> list[type]:
    """The estimator classes whose ``fit`` autologging replaces (MLflow's selection)."""
    from sklearn.model_selection import GridSearchCV, RandomizedSearchCV
    from sklearn.pipeline import Pipeline
    from sklearn.utils import all_estimators

    classes = {cls for _, cls in all_estimators()} | {GridSearchCV, RandomizedSearchCV, Pipeline}
    chosen = [
        cls
        for cls in classes
        if hasattr(cls, "fit")
        and not cls.__module__.startswith(_EXCLUDED_MODULES)
        and f"{cls.__module__}.{cls.__name__}" not in _EXCLUDED_CLASSES
    ]
    return sorted(chosen, key=lambda c: (c.__module__, c.__name__))


def estimator_tags(estimator: Any) -> dict[str, str]:
    cls = type(estimator)
    return {"estimator_name": cls.__name__, "estimator_class": f"{cls.__module__}.{cls.__name__}"}


def _is_search(estimator: Any) -> bool:
    from sklearn.model_selection import GridSearchCV, RandomizedSearchCV

    return isinstance(estimator, GridSearchCV | RandomizedSearchCV)


def _fit_hook(fit: Any) -> _core.Hook:
    """The hook of a ``fit(self, X, y, ...)``: ``X``, ``y`` and ``sample_weight`` are found by
    the method's own names (read once, here)."""
    names = [n for n in inspect.signature(fit).parameters if n != "self"]
    x_name = names[0] if names else "X"
    y_name = names[1] if len(names) > 1 else "y"

    def hook(self: Any, *args: Any, **kwargs: Any) -> Any:
        import copy

        options = _core.get_options(FLAVOR_NAME)
        assert options is not None
        bound = dict(zip(names, args, strict=False))
        bound.update(kwargs)
        X, y, sample_weight = bound.get(x_name), bound.get(y_name), bound.get("sample_weight")
        X, y = copy.deepcopy(X), copy.deepcopy(y)
        run_id = active_run_id()
        log_params(run_id, self.get_params(deep=not _is_search(self)))
        set_tags(run_id, estimator_tags(self))
        try:
            example = first_rows(X)
        except Exception:
            example = None
        yield (self, *args), kwargs
        _after_fit(options, run_id, self, X, y, sample_weight, example)

    return hook


def _after_fit(
    options: _core.Options,
    run_id: str,
    estimator: Any,
    X: Any,
    y: Any,
    sample_weight: Any,
    example: Any,
) -> None:
    search = _is_search(estimator)
    model_id = None
    input_example, signature = None, None
    if options.log_models:
        input_example, signature = example_and_signature(
            options, example, _predict_fn(options, estimator)
        )
        params = estimator.get_params(deep=not search)
        params.update({f"best_{k}": v for k, v in getattr(estimator, "best_params_", {}).items()})
        model_id = _log_model(options, estimator, "model", input_example, signature, params)
    metrics = training_metrics(options, estimator, X, y, sample_weight)
    if metrics:
        log_metrics(run_id, metrics, model_id=model_id)
    _log_html(options, run_id, estimator)
    if search:
        _after_search(options, run_id, estimator, input_example, signature, model_id)


def _predict_fn(options: _core.Options, estimator: Any) -> Any:
    def predict(data: Any) -> Any:
        if hasattr(estimator, "predict"):
            return estimator.predict(data)
        if hasattr(estimator, "transform"):
            return estimator.transform(data)
        raise ValueError("the model has no predict or transform method to infer a signature")

    return predict


def _log_model(
    options: _core.Options,
    estimator: Any,
    name: str,
    input_example: Any,
    signature: Any,
    params: dict[str, Any],
    registered: bool = True,
) -> str | None:
    from modelyard.flavors.sklearn import log_model

    info = log_model(
        estimator,
        name=name,
        signature=signature,
        input_example=input_example,
        serialization_format=options.get("serialization_format"),
        registered_model_name=options.registered_model_name if registered else None,
        params=params,
    )
    return str(info.model_id) if info.model_id else None


def training_metrics(
    options: _core.Options, estimator: Any, X: Any, y: Any, sample_weight: Any
) -> dict[str, float]:
    """MLflow's ``training_*`` metrics of a fitted estimator on its training data (none without
    labels). A metric that cannot be computed is reported and left out."""
    import sklearn.base

    if y is None:
        return {}
    metrics: dict[str, float] = {}
    pos_label = options.get("pos_label")
    if sklearn.base.is_classifier(estimator):
        metrics.update(_classifier_metrics(options, estimator, X, y, sample_weight, pos_label))
    elif sklearn.base.is_regressor(estimator):
        metrics.update(_regressor_metrics(options, estimator, X, y, sample_weight))
    if hasattr(estimator, "score"):
        try:
            takes_weight = "sample_weight" in inspect.signature(estimator.score).parameters
            score = (
                estimator.score(X, y, sample_weight=sample_weight)
                if takes_weight and sample_weight is not None
                else estimator.score(X, y)
            )
            metrics[f"{TRAINING_PREFIX}score"] = float(score)
        except Exception as exc:
            _core.report(options, "training_score not logged: %s", exc)
    return metrics


def _compute(options: _core.Options, out: dict[str, float], name: str, fn: Any, **kw: Any) -> None:
    try:
        out[TRAINING_PREFIX + name] = float(fn(**kw))
    except Exception as exc:
        _core.report(options, "Metric %s%s not logged: %s", TRAINING_PREFIX, name, exc)


def _classifier_metrics(
    options: _core.Options, estimator: Any, X: Any, y: Any, weight: Any, pos_label: Any
) -> dict[str, float]:
    from sklearn import metrics as m

    average = "weighted" if pos_label is None else "binary"
    y_pred = estimator.predict(X)
    out: dict[str, float] = {}
    common = {"y_true": y, "y_pred": y_pred, "sample_weight": weight}
    labelled = {**common, "pos_label": 1 if pos_label is None else pos_label, "average": average}
    _compute(options, out, "precision_score", m.precision_score, **labelled)
    _compute(options, out, "recall_score", m.recall_score, **labelled)
    _compute(options, out, "f1_score", m.f1_score, **labelled)
    _compute(options, out, "accuracy_score", m.accuracy_score, normalize=True, **common)
    if hasattr(estimator, "predict_proba"):
        proba = estimator.predict_proba(X)
        try:  # positional: the keyword is y_pred before scikit-learn 1.9, y_proba since
            out[f"{TRAINING_PREFIX}log_loss"] = float(m.log_loss(y, proba, sample_weight=weight))
        except Exception as exc:
            _core.report(options, "Metric %slog_loss not logged: %s", TRAINING_PREFIX, exc)
        score = proba[:, 1] if proba.ndim == 2 and proba.shape[1] == 2 else proba
        _compute(
            options,
            out,
            "roc_auc",
            m.roc_auc_score,
            y_true=y,
            y_score=score,
            average="weighted",
            sample_weight=weight,
            multi_class="ovo",
        )
    return out


def _regressor_metrics(
    options: _core.Options, estimator: Any, X: Any, y: Any, weight: Any
) -> dict[str, float]:
    import math

    from sklearn import metrics as m

    y_pred = estimator.predict(X)
    out: dict[str, float] = {}
    kw = {"y_true": y, "y_pred": y_pred, "sample_weight": weight, "multioutput": "uniform_average"}
    _compute(options, out, "mean_squared_error", m.mean_squared_error, **kw)
    _compute(options, out, "mean_absolute_error", m.mean_absolute_error, **kw)
    _compute(options, out, "r2_score", m.r2_score, **kw)
    mse = out.get(f"{TRAINING_PREFIX}mean_squared_error")
    if mse is not None:
        out[f"{TRAINING_PREFIX}root_mean_squared_error"] = math.sqrt(mse)
    return out


def _log_html(options: _core.Options, run_id: str, estimator: Any) -> None:
    from sklearn.utils import estimator_html_repr

    from modelyard.client import fluent

    page = (
        '<!DOCTYPE html>\n<html lang="en">\n  <head>\n    <meta charset="UTF-8"/>\n  </head>\n'
        f"  <body>\n    {estimator_html_repr(estimator)}\n  </body>\n</html>\n"
    )
    fluent._client().log_text(run_id, page, "estimator.html")


def _after_search(
    options: _core.Options,
    run_id: str,
    search: Any,
    input_example: Any,
    signature: Any,
    model_id: str | None,
) -> None:
    best_params = None
    best_model_id = None
    if hasattr(search, "best_estimator_") and options.log_models:
        best_params = search.best_estimator_.get_params(deep=True)
        best_model_id = _log_model(
            options,
            search.best_estimator_,
            "best_estimator",
            input_example,
            signature,
            best_params,
            registered=False,
        )
    if hasattr(search, "best_score_"):
        log_metrics(run_id, {"best_cv_score": search.best_score_}, model_id=model_id)
    if hasattr(search, "best_params_"):
        log_params(run_id, {f"best_{k}": v for k, v in search.best_params_.items()})
    if hasattr(search, "cv_results_"):
        from modelyard.flavors.autologging._search_runs import log_child_runs, log_cv_results

        try:
            log_child_runs(
                options,
                run_id,
                search,
                options.get("max_tuning_runs"),
                best_params,
                best_model_id,
            )
        except Exception as exc:
            _core.report(options, "Child runs of the parameter search may be missing: %s", exc)
        log_cv_results(run_id, search)
