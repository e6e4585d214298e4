"""The supervised search: known-good defaults first, then seeded Optuna TPE, within a budget.

Each configuration is scored by k-fold cross-validation on the training split (out-of-fold
predictions; the binary decision threshold is tuned on them for f1/precision), then refit on
the whole training split and evaluated on train/validation/test. Featurized fold matrices are
computed once per feature variant (scaled for linear models, unscaled for trees) and shared by
every trial. A greedy ensemble of the best trials is tried at the end.
"""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from modelyard.automl import estimators as est
from modelyard.automl._params import SupervisedParams
from modelyard.automl.metrics import (
    classification_metrics,
    metric_spec,
    regression_metrics,
    tune_threshold,
)
from modelyard.errors import InvalidParameterValue

__all__ = ["SearchData", "SearchOutcome", "TrialFailed", "TrialResult", "run_search"]

_log = logging.getLogger("modelyard.automl")
PATIENCE = 60
MAX_CONSECUTIVE_FAILURES = 20


@dataclass
class SearchData:
    X_train: Any
    y_train: Any
    X_val: Any
    y_val: Any
    X_test: Any
    y_test: Any
    classes: list[Any] = field(default_factory=list)
    pos_index: int | None = None
    sample_weight: Any = None
    labels: list[Any] = field(default_factory=list)
    """The original class labels, in the order of the encoded classes ``0..k-1``."""


@dataclass
class TrialResult:
    number: int
    family: str
    params: dict[str, Any]
    cv_metric: float
    cv_score: float
    oof: Any
    threshold: float | None
    pipelines: list[Any]
    weights: list[float]
    preds: dict[str, Any]
    metrics: dict[str, float]
    duration: float
    description: str
    framework: str

    @property
    def is_ensemble(self) -> bool:
        return len(self.pipelines) > 1


@dataclass
class SearchOutcome:
    trials: list[TrialResult]
    best: TrialResult
    stop_reason: str
    failed: int = 0


class _OutOfTime(Exception):
    pass


class TrialFailed(InvalidParameterValue):
    """The first trial could not be trained, so no trial can (the cause is chained)."""


class _Features:
    """Featurized matrices, computed once per variant (scaled or not)."""

    def __init__(self, data: SearchData, plan: Any, folds: list[tuple[Any, Any]], seed: int):
        self.data, self.plan, self.folds, self.seed = data, plan, folds, seed
        self._folds: dict[bool, list[tuple[Any, Any]]] = {}
        self._full: dict[bool, tuple[Any, Any, Any, Any]] = {}

    def _featurizer(self, scale: bool) -> Any:
        from modelyard.automl.preprocessing import AutoFeaturizer

        return AutoFeaturizer(
            self.plan,
            scale=scale,
            random_state=self.seed,
            problem_type="classification" if self.data.classes else "regression",
        )

    def fold(self, scale: bool, i: int) -> tuple[Any, Any]:
        cache = self._folds.setdefault(scale, [])
        while len(cache) <= i:
            tr, va = self.folds[len(cache)]
            f = self._featurizer(scale)
            Xtr = f.fit_transform(self.data.X_train.iloc[tr], self.data.y_train[tr])
            cache.append((Xtr, f.transform(self.data.X_train.iloc[va])))
        return cache[i]

    def full(self, scale: bool) -> tuple[Any, Any, Any, Any]:
        if scale not in self._full:
            d = self.data
            f = self._featurizer(scale)
            Xtr = f.fit_transform(d.X_train, d.y_train)
            self._full[scale] = (f, Xtr, f.transform(d.X_val), f.transform(d.X_test))
        return self._full[scale]


def _xgboost_deadline(deadline: float) -> Any:
    import xgboost as xgb

    class _Deadline(xgb.callback.TrainingCallback):
        def after_iteration(self, model: Any, epoch: int, evals_log: Any) -> bool:
            if time.monotonic() > deadline:
                raise _OutOfTime
            return False

    return _Deadline()


def _fit(model: Any, X: Any, y: Any, weight: Any, deadline: float | None = None) -> Any:
    """Fit ``model``; a LightGBM or XGBoost model stops with :class:`_OutOfTime` at
    ``deadline``, between two boosting rounds, so a slow trial is cut rather than awaited
    (scikit-learn's estimators are only checked between folds)."""
    kwargs: dict[str, Any] = {} if weight is None else {"sample_weight": weight}
    module = type(model).__module__
    xgb_cut = deadline is not None and module.startswith("xgboost")
    if deadline is not None and module.startswith("lightgbm"):

        def stop_at_deadline(env: Any) -> None:
            if time.monotonic() > deadline:
                raise _OutOfTime

        kwargs["callbacks"] = [stop_at_deadline]
    if xgb_cut:
        model.set_params(callbacks=[_xgboost_deadline(deadline or 0.0)])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return model.fit(X, y, **kwargs)
    finally:
        if xgb_cut:  # the logged model carries no callback
            model.set_params(callbacks=None)


def _predict(model: Any, X: Any, n_classes: int) -> Any:
    import numpy as np

    if n_classes == 0:
        return np.asarray(model.predict(X), dtype=float)
    proba = model.predict_proba(X)
    classes = list(model.classes_)
    if len(classes) == n_classes:
        return proba
    out = np.zeros((proba.shape[0], n_classes))
    out[:, classes] = proba
    return out


class _Evaluator:
    def __init__(self, data: SearchData, params: SupervisedParams):
        self.data = data
        self.params = params
        self.spec = metric_spec(params.problem_type, params.primary_metric)
        self.clf = params.problem_type == "classification"
        self.n_classes = len(data.classes) if self.clf else 0

    def metrics(self, y: Any, pred: Any, threshold: float | None) -> dict[str, float]:
        import numpy as np

        if self.clf:
            return classification_metrics(
                y,
                pred,
                np.arange(self.n_classes),
                pos_label=self.data.pos_index,
                threshold=threshold,
            )
        return regression_metrics(y, pred)

    def threshold(self, oof: Any) -> float | None:
        if (
            not self.clf
            or self.n_classes != 2
            or self.params.primary_metric not in ("f1", "precision")
        ):
            return None
        pos = self.data.pos_index if self.data.pos_index is not None else 1
        return tune_threshold(self.data.y_train, oof[:, pos], pos, self.params.primary_metric)

    def finish(
        self,
        number: int,
        family: str,
        params: dict[str, Any],
        oof: Any,
        pipelines: list[Any],
        weights: list[float],
        preds: dict[str, Any],
        started: float,
        description: str,
        framework: str,
    ) -> TrialResult:
        d = self.data
        threshold = self.threshold(oof)
        cv = self.metrics(d.y_train, oof, threshold)[self.spec.key]
        metrics: dict[str, float] = {}
        for split, y in (("train", d.y_train), ("val", d.y_val), ("test", d.y_test)):
            if len(y) == 0:
                continue
            for k, v in self.metrics(y, preds[split], threshold).items():
                metrics[f"{split}_{k}"] = v
        metrics[f"cv_{self.spec.key}"] = cv
        return TrialResult(
            number=number,
            family=family,
            params=params,
            cv_metric=cv,
            cv_score=self.spec.score(cv),
            oof=oof,
            threshold=threshold,
            pipelines=pipelines,
            weights=weights,
            preds=preds,
            metrics=metrics,
            duration=time.monotonic() - started,
            description=description,
            framework=framework,
        )


def _run_trial(
    number: int,
    family: str,
    params: dict[str, Any],
    ev: _Evaluator,
    feats: _Features,
    deadline: float,
    can_abort: bool,
) -> TrialResult:
    import numpy as np
    from sklearn.pipeline import Pipeline

    started = time.monotonic()
    d, p = ev.data, ev.params
    scale = family in est.SCALED_FAMILIES
    shape = (len(d.y_train), ev.n_classes) if ev.clf else (len(d.y_train),)
    oof = np.zeros(shape)
    w = d.sample_weight
    cut = deadline if can_abort else None
    for i, (tr, va) in enumerate(feats.folds):
        if can_abort and time.monotonic() > deadline:
            raise _OutOfTime
        Xtr, Xva = feats.fold(scale, i)
        model = est.make_estimator(family, params, p.problem_type, p.seed, ev.n_classes)
        _fit(model, Xtr, d.y_train[tr], None if w is None else w[tr], cut)
        oof[va] = _predict(model, Xva, ev.n_classes)
    if can_abort and time.monotonic() > deadline:
        raise _OutOfTime
    featurizer, Xtr, Xval, Xtest = feats.full(scale)
    model = est.make_estimator(family, params, p.problem_type, p.seed, ev.n_classes)
    _fit(model, Xtr, d.y_train, w, cut)
    preds = {
        "train": _predict(model, Xtr, ev.n_classes),
        "val": _predict(model, Xval, ev.n_classes) if len(d.y_val) else None,
        "test": _predict(model, Xtest, ev.n_classes) if len(d.y_test) else None,
    }
    result = ev.finish(
        number,
        family,
        params,
        oof,
        [],
        [1.0],
        preds,
        started,
        est.describe(family, p.problem_type),
        est.FAMILY_FRAMEWORK[family],
    )
    if ev.clf:  # the pipeline predicts the original labels, with the tuned threshold
        from modelyard.automl._transformers import DecodedClassifier

        labels = d.labels or list(d.classes)
        model = DecodedClassifier(model, labels, result.threshold, d.pos_index)
    result.pipelines = [Pipeline([("featurizer", featurizer), ("model", model)])]
    return result


def _ensemble(trials: list[TrialResult], ev: _Evaluator, number: int) -> TrialResult | None:
    """Greedy forward selection (with replacement) over the top trials' out-of-fold predictions."""
    ranked = sorted((t for t in trials if not t.is_ensemble), key=lambda t: -t.cv_score)[:8]
    if len(ranked) < 2:
        return None
    started = time.monotonic()
    counts = [0] * len(ranked)
    total = None
    best_score = -float("inf")
    for _ in range(12):
        choice, choice_score = None, best_score
        for j, t in enumerate(ranked):
            cand = t.oof if total is None else total + t.oof
            n = sum(counts) + 1
            thr = ev.threshold(cand / n)
            score = ev.spec.score(ev.metrics(ev.data.y_train, cand / n, thr)[ev.spec.key])
            if score > choice_score + 1e-9:
                choice, choice_score = j, score
        if choice is None:
            break
        counts[choice] += 1
        total = ranked[choice].oof if total is None else total + ranked[choice].oof
        best_score = choice_score
    used = [(t, c) for t, c in zip(ranked, counts, strict=True) if c]
    if len(used) < 2:
        return None
    n = sum(c for _, c in used)
    oof = sum(t.oof * c for t, c in used) / n
    preds = {
        split: (
            None
            if used[0][0].preds[split] is None
            else sum(t.preds[split] * c for t, c in used) / n
        )
        for split in ("train", "val", "test")
    }
    names = ", ".join(f"{t.description}#{t.number}x{c}" for t, c in used)
    params = {"members": [t.number for t, _ in used], "weights": [c / n for _, c in used]}
    return ev.finish(
        number,
        "ensemble",
        params,
        oof,
        [t.pipelines[0] for t, _ in used],
        [c / n for _, c in used],
        preds,
        started,
        f"Ensemble({names})",
        "+".join(sorted({t.framework for t, _ in used})),
    )


def _folds(data: SearchData, params: SupervisedParams) -> list[tuple[Any, Any]]:
    import numpy as np
    from sklearn.model_selection import KFold, StratifiedKFold

    n = len(data.y_train)
    k = 5 if n <= 5000 else 3
    if params.problem_type == "classification":
        smallest = int(np.bincount(data.y_train).min())
        if smallest >= 2:
            k = max(2, min(k, smallest))
            splitter: Any = StratifiedKFold(k, shuffle=True, random_state=params.seed)
            return list(splitter.split(np.zeros(n), data.y_train))
    splitter = KFold(k, shuffle=True, random_state=params.seed)
    return list(splitter.split(np.zeros(n)))


def run_search(
    data: SearchData,
    plan: Any,
    params: SupervisedParams,
    on_trial: Callable[[TrialResult], None],
    *,
    deadline: float,
    progress: bool = True,
    on_failure: Callable[[int, str, dict[str, Any], BaseException], None] | None = None,
    hard_deadline: float | None = None,
) -> SearchOutcome:
    """Search until ``max_trials``, the ``deadline`` (monotonic clock) or no improvement for
    a while; call ``on_trial`` with every completed trial (the ensemble last, if any) and
    ``on_failure`` with every trial that raised.

    When the first trial fails (nothing has been trained yet: the cause is almost always the
    data, and every later trial would fail the same way), the search stops at once with
    :class:`TrialFailed` chaining that error. After a success, failed configurations are
    logged and the search goes on, up to :data:`MAX_CONSECUTIVE_FAILURES` in a row.

    Later trials are cut at ``deadline``; the first one (without it there is no model) only at
    ``hard_deadline``, the end of the whole budget, which raises a clear error."""
    import optuna
    from tqdm.auto import tqdm

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    ev = _Evaluator(data, params)
    feats = _Features(data, plan, _folds(data, params), params.seed)
    families = est.families_for(params.exclude_frameworks)
    with warnings.catch_warnings():  # multivariate/group TPE is "experimental" in optuna
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        sampler = optuna.samplers.TPESampler(seed=params.seed, multivariate=True, group=True)
    study = optuna.create_study(direction="maximize", sampler=sampler)
    for family in families:
        study.enqueue_trial(est.prefixed(family, est.default_params(family, params.problem_type)))
    trials: list[TrialResult] = []
    best: TrialResult | None = None
    since_best = 0
    failed = consecutive_failures = 0
    stop_reason = "max_trials"
    bar = tqdm(
        total=params.max_trials,
        desc=f"AutoML {params.problem_type}",
        unit="trial",
        disable=not progress,
    )
    try:
        while True:
            if params.max_trials is not None and len(trials) >= params.max_trials:
                stop_reason = "max_trials"
                break
            if trials:
                typical = sorted(t.duration for t in trials)[len(trials) // 2]
                if time.monotonic() + 0.5 * typical >= deadline:
                    stop_reason = "timeout"
                    break
            if consecutive_failures >= MAX_CONSECUTIVE_FAILURES:
                stop_reason = f"{consecutive_failures} trials failed in a row"
                break
            if since_best >= PATIENCE and params.max_trials is None:
                stop_reason = f"no improvement in {PATIENCE} trials"
                break
            trial = study.ask()
            family = trial.suggest_categorical("family", families)
            config = est.suggest_params(trial, family, params.problem_type)
            first = not trials
            try:
                result = _run_trial(
                    len(trials),
                    family,
                    config,
                    ev,
                    feats,
                    (hard_deadline or float("inf")) if first else deadline,
                    can_abort=not first or hard_deadline is not None,
                )
            except _OutOfTime:
                study.tell(trial, state=optuna.trial.TrialState.FAIL)
                if first:
                    raise InvalidParameterValue(
                        f"Parameter 'timeout_minutes': the first trial "
                        f"({est.describe(family, params.problem_type)}) did not finish within "
                        f"the budget of {params.timeout_seconds / 60:.2f} minutes on this data; "
                        "give a larger budget"
                    ) from None
                stop_reason = "timeout"
                break
            except Exception as exc:  # a configuration can fail; the search goes on
                _log.warning("AutoML trial %s (%s) failed: %s", trial.number, family, exc)
                study.tell(trial, state=optuna.trial.TrialState.FAIL)
                failed += 1
                consecutive_failures += 1
                if on_failure is not None:
                    on_failure(len(trials) + failed - 1, family, config, exc)
                if not trials:
                    name = est.describe(family, params.problem_type)
                    raise TrialFailed(
                        f"Parameter 'dataset': AutoML stopped because the first trial ({name}) "
                        f"failed with {type(exc).__name__}: {exc}"
                    ) from exc
                continue
            consecutive_failures = 0
            study.tell(trial, result.cv_score)
            trials.append(result)
            on_trial(result)
            if best is None or result.cv_score > best.cv_score + 1e-12:
                best, since_best = result, 0
            else:
                since_best += 1
            bar.update(1)
            val_key = f"val_{ev.spec.key}"
            bar.set_postfix(
                best_val=f"{best.metrics.get(val_key, best.cv_metric):.4f}",
                model=best.description,
                left=f"{max(0.0, deadline - time.monotonic()):.0f}s",
            )
    finally:
        bar.close()
    if best is None:
        from modelyard.errors import InvalidState

        raise InvalidState("AutoML: every trial failed; see the warnings above")
    if params.ensemble:
        ens = _ensemble(trials, ev, len(trials))
        if ens is not None and _beats(ens, best, ev):
            trials.append(ens)
            on_trial(ens)
            best = ens
    return SearchOutcome(trials=trials, best=best, stop_reason=stop_reason, failed=failed)


def _beats(ens: TrialResult, best: TrialResult, ev: _Evaluator) -> bool:
    """Keep the ensemble only if it is better out of fold *and* not worse on validation."""
    if ens.cv_score <= best.cv_score:
        return False
    key = f"val_{ev.spec.key}"
    if key not in ens.metrics or key not in best.metrics:
        return True
    return ev.spec.score(ens.metrics[key]) >= ev.spec.score(best.metrics[key])
