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


class _Search:
    """The state of one search, shared by the sequential and the parallel drivers: the Optuna
    study (asked and told in this process), the completed trials, the best one, the counters
    and the progress bar. Completed trials go to ``on_trial``, failed ones to ``on_failure``,
    always from this process."""

    def __init__(
        self,
        data: SearchData,
        plan: Any,
        params: SupervisedParams,
        on_trial: Callable[[TrialResult], None],
        on_failure: Callable[[int, str, dict[str, Any], BaseException], None] | None,
        deadline: float,
        progress: bool,
    ) -> None:
        import optuna
        from tqdm.auto import tqdm

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        self.params, self.on_trial, self.on_failure = params, on_trial, on_failure
        self.deadline = deadline
        self.ev = _Evaluator(data, params)
        self.folds = _folds(data, params)
        self.feats = _Features(data, plan, self.folds, params.seed)
        self.families = est.families_for(params.exclude_frameworks)
        with warnings.catch_warnings():  # multivariate/group TPE is "experimental" in optuna
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            # parallel asks: a running trial counts as a bad one, so asks do not repeat
            sampler = optuna.samplers.TPESampler(
                seed=params.seed,
                multivariate=True,
                group=True,
                constant_liar=params.parallelism > 1,
            )
        self.study = optuna.create_study(direction="maximize", sampler=sampler)
        for family in self.families:
            self.study.enqueue_trial(
                est.prefixed(family, est.default_params(family, params.problem_type))
            )
        self.trials: list[TrialResult] = []
        self.best: TrialResult | None = None
        self.since_best = 0
        self.failed = self.consecutive_failures = 0
        self.stop_reason = "max_trials"
        self.bar = tqdm(
            total=params.max_trials,
            desc=f"AutoML {params.problem_type}",
            unit="trial",
            disable=not progress,
        )

    def should_stop(self, running: int = 0) -> str | None:
        """Why no further trial starts (``running`` trials are under way), or ``None``."""
        p = self.params
        if p.max_trials is not None and len(self.trials) + running >= p.max_trials:
            return "max_trials"
        if self.trials:
            typical = sorted(t.duration for t in self.trials)[len(self.trials) // 2]
            if time.monotonic() + 0.5 * typical >= self.deadline:
                return "timeout"
        if self.consecutive_failures >= MAX_CONSECUTIVE_FAILURES:
            return f"{self.consecutive_failures} trials failed in a row"
        if self.since_best >= PATIENCE and p.max_trials is None:
            return f"no improvement in {PATIENCE} trials"
        return None

    def ask(self) -> tuple[Any, str, dict[str, Any]]:
        trial = self.study.ask()
        family = trial.suggest_categorical("family", self.families)
        return trial, family, est.suggest_params(trial, family, self.params.problem_type)

    def cut(self, trial: Any) -> None:
        """A trial stopped by the deadline: failed for Optuna, never logged."""
        import optuna

        self.study.tell(trial, state=optuna.trial.TrialState.FAIL)

    def first_trial_too_slow(self, family: str) -> InvalidParameterValue:
        return InvalidParameterValue(
            f"Parameter 'timeout_minutes': the first trial "
            f"({est.describe(family, self.params.problem_type)}) did not finish within "
            f"the budget of {self.params.timeout_seconds / 60:.2f} minutes on this data; "
            "give a larger budget"
        )

    def failure(
        self, trial: Any, family: str, config: dict[str, Any], exc: BaseException
    ) -> TrialFailed | None:
        """Record a trial that raised; before any success, the error that stops the search."""
        import optuna

        _log.warning("AutoML trial %s (%s) failed: %s", trial.number, family, exc)
        self.study.tell(trial, state=optuna.trial.TrialState.FAIL)
        self.failed += 1
        self.consecutive_failures += 1
        if self.on_failure is not None:
            self.on_failure(len(self.trials) + self.failed - 1, family, config, exc)
        if self.trials:
            return None
        name = est.describe(family, self.params.problem_type)
        stop = TrialFailed(
            f"Parameter 'dataset': AutoML stopped because the first trial ({name}) "
            f"failed with {type(exc).__name__}: {exc}"
        )
        stop.__cause__ = exc
        return stop

    def record(self, trial: Any, result: TrialResult) -> None:
        """A completed trial, numbered in order of completion; :meth:`publish` logs it."""
        self.consecutive_failures = 0
        result.number = len(self.trials)
        self.study.tell(trial, result.cv_score)
        self.trials.append(result)
        if self.best is None or result.cv_score > self.best.cv_score + 1e-12:
            self.best, self.since_best = result, 0
        else:
            self.since_best += 1

    def publish(self, result: TrialResult) -> None:
        self.on_trial(result)
        best = self.best
        assert best is not None
        self.bar.update(1)
        val_key = f"val_{self.ev.spec.key}"
        self.bar.set_postfix(
            best_val=f"{best.metrics.get(val_key, best.cv_metric):.4f}",
            model=best.description,
            left=f"{max(0.0, self.deadline - time.monotonic()):.0f}s",
        )

    def outcome(self) -> SearchOutcome:
        best = self.best
        if best is None:
            from modelyard.errors import InvalidState

            raise InvalidState("AutoML: every trial failed; see the warnings above")
        if self.params.ensemble:
            ens = _ensemble(self.trials, self.ev, len(self.trials))
            if ens is not None and _beats(ens, best, self.ev):
                self.trials.append(ens)
                self.on_trial(ens)
                best = ens
        return SearchOutcome(
            trials=self.trials, best=best, stop_reason=self.stop_reason, failed=self.failed
        )


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
    spark: Any = None,
) -> SearchOutcome:
    """Search until ``max_trials``, the ``deadline`` (monotonic clock) or no improvement for
    a while; call ``on_trial`` with every completed trial (the ensemble last, if any) and
    ``on_failure`` with every trial that raised.

    When the first trial fails (nothing has been trained yet: the cause is almost always the
    data, and every later trial would fail the same way), the search stops at once with
    :class:`TrialFailed` chaining that error. After a success, failed configurations are
    logged and the search goes on, up to :data:`MAX_CONSECUTIVE_FAILURES` in a row.

    Later trials are cut at ``deadline``; the first one (without it there is no model) only at
    ``hard_deadline``, the end of the whole budget, which raises a clear error.

    With ``params.parallelism`` > 1 the trials run in worker processes, or with ``spark`` (a
    SparkSession) as Spark tasks (:func:`_search_parallel`); the study, ``on_trial`` and
    ``on_failure`` stay here."""
    search = _Search(data, plan, params, on_trial, on_failure, deadline, progress)
    try:
        if params.parallelism > 1 or spark is not None:
            _search_parallel(search, data, plan, hard_deadline, spark)
        else:
            _search_sequential(search, hard_deadline)
    finally:
        search.bar.close()
    return search.outcome()


def _search_sequential(search: _Search, hard_deadline: float | None) -> None:
    while True:
        reason = search.should_stop()
        if reason is not None:
            search.stop_reason = reason
            return
        trial, family, config = search.ask()
        first = not search.trials
        try:
            result = _run_trial(
                len(search.trials),
                family,
                config,
                search.ev,
                search.feats,
                (hard_deadline or float("inf")) if first else search.deadline,
                can_abort=not first or hard_deadline is not None,
            )
        except _OutOfTime:
            search.cut(trial)
            if first:
                raise search.first_trial_too_slow(family) from None
            search.stop_reason = "timeout"
            return
        except Exception as exc:  # a configuration can fail; the search goes on
            stop = search.failure(trial, family, config, exc)
            if stop is not None:
                raise stop from exc
            continue
        search.record(trial, result)
        search.publish(result)


def _worker_setup(
    data: SearchData, plan: Any, params: SupervisedParams, folds: Any, *, threads: int
) -> Any:
    """A worker's state: the evaluator and its own featurized-matrix cache."""
    est.set_threads(threads)
    ev = _Evaluator(data, params)
    return ev, _Features(data, plan, folds, params.seed)


def _worker_trial(
    state: Any, family: str, config: dict[str, Any], seconds_left: float, can_abort: bool
) -> TrialResult:
    """One trial in a worker; its deadline comes as seconds left, since the monotonic clock of
    a Spark executor on another machine is not the caller's."""
    ev, feats = state
    deadline = time.monotonic() + seconds_left
    return _run_trial(0, family, config, ev, feats, deadline, can_abort)


def _search_parallel(
    search: _Search, data: SearchData, plan: Any, hard_deadline: float | None, spark: Any = None
) -> None:
    """Trials in ``params.parallelism`` worker processes: the study asks here (its sampler's
    constant liar keeps parallel asks apart), a worker cross-validates and refits one
    configuration, and the answer is told and logged here, as in the sequential search.

    No trial starts when the sequential search would stop. Before any success, trials run to
    ``hard_deadline``, after it to ``deadline``; workers still running then are terminated
    (their trials are not logged). A failure before any success stops new trials; when every
    running one has failed too, the first error stops the search, as in the sequential path.
    With ``spark``, each trial is a Spark task instead, cancelled rather than terminated."""
    from modelyard.automl._pool import SparkPool, WorkerPool

    p = search.params
    size = p.parallelism if p.max_trials is None else min(p.parallelism, p.max_trials)
    setup = (data, plan, p, search.folds)
    pool: Any
    if spark is not None:
        pool = SparkPool(spark, size, _worker_setup, setup)
    else:
        pool = WorkerPool(size, _worker_setup, setup)
    first_error: TrialFailed | None = None
    first_family = "?"
    stopping = False

    def dispatch() -> None:
        nonlocal stopping, first_family
        for worker in pool.idle():
            if stopping or (first_error is not None and not search.trials):
                return
            reason = search.should_stop(running=len(pool.busy()))
            if reason is not None:
                search.stop_reason, stopping = reason, True
                return
            trial, family, config = search.ask()
            first = not search.trials
            if trial.number == 0:
                first_family = family
            limit = (hard_deadline or float("inf")) if first else search.deadline
            can_abort = not first or hard_deadline is not None
            left = limit - time.monotonic()
            worker.submit((trial, family, config), _worker_trial, family, config, left, can_abort)

    try:
        dispatch()
        while pool.busy():
            if search.trials:
                until = search.deadline
            else:
                until = hard_deadline if hard_deadline is not None else float("inf")
            answers = pool.wait(min(until, time.monotonic() + 3600.0))
            if not answers and time.monotonic() >= until:  # cut, do not await
                for worker in pool.busy():  # terminated by pool.close()
                    search.cut(worker.job[0])
                search.stop_reason = "timeout"
                break
            done = []
            for _worker, (trial, family, config), kind, value in answers:
                if kind == "ok":
                    search.record(trial, value)
                    done.append(value)
                elif isinstance(value, _OutOfTime):
                    search.cut(trial)
                    search.stop_reason, stopping = "timeout", True
                else:
                    stop = search.failure(trial, family, config, value)
                    first_error = first_error or stop
            if first_error is not None and not search.trials and not pool.busy():
                raise first_error from first_error.__cause__
            dispatch()  # the free workers get their next trial before the logging
            for result in done:
                search.publish(result)
    finally:
        pool.close()
    if not search.trials:
        raise search.first_trial_too_slow(first_family)


def _beats(ens: TrialResult, best: TrialResult, ev: _Evaluator) -> bool:
    """Keep the ensemble only if it is better out of fold *and* not worse on validation."""
    if ens.cv_score <= best.cv_score:
        return False
    key = f"val_{ev.spec.key}"
    if key not in ens.metrics or key not in best.metrics:
        return True
    return ev.spec.score(ens.metrics[key]) >= ev.spec.score(best.metrics[key])
