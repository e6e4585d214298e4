"""Model families, their known-good defaults and their Optuna search spaces.

A *family* is one estimator type of one framework (``sklearn``, ``xgboost``, ``lightgbm``).
:func:`default_params` gives the configuration tried first; :func:`suggest_params` samples a
configuration from an Optuna trial (parameter names prefixed ``<family>__`` so conditional
spaces do not collide); :func:`make_estimator` builds the unfitted estimator. Libraries are
imported inside the functions.
"""

from __future__ import annotations

import os
from typing import Any

__all__ = [
    "DEFAULT_ORDER",
    "FAMILY_FRAMEWORK",
    "default_params",
    "describe",
    "families_for",
    "make_estimator",
    "set_threads",
    "suggest_params",
]

FAMILY_FRAMEWORK: dict[str, str] = {
    "lightgbm": "lightgbm",
    "random_forest": "sklearn",
    "xgboost": "xgboost",
    "linear": "sklearn",
    "hist_gradient_boosting": "sklearn",
    "extra_trees": "sklearn",
}
DEFAULT_ORDER = tuple(FAMILY_FRAMEWORK)
SCALED_FAMILIES = frozenset({"linear"})

_NAMES = {
    ("lightgbm", "classification"): "LGBMClassifier",
    ("lightgbm", "regression"): "LGBMRegressor",
    ("xgboost", "classification"): "XGBClassifier",
    ("xgboost", "regression"): "XGBRegressor",
    ("random_forest", "classification"): "RandomForestClassifier",
    ("random_forest", "regression"): "RandomForestRegressor",
    ("extra_trees", "classification"): "ExtraTreesClassifier",
    ("extra_trees", "regression"): "ExtraTreesRegressor",
    ("hist_gradient_boosting", "classification"): "HistGradientBoostingClassifier",
    ("hist_gradient_boosting", "regression"): "HistGradientBoostingRegressor",
    ("linear", "classification"): "LogisticRegression",
    ("linear", "regression"): "Ridge",
}


def families_for(exclude_frameworks: list[str]) -> list[str]:
    """Families whose framework is not excluded, in default order."""
    return [f for f in DEFAULT_ORDER if FAMILY_FRAMEWORK[f] not in exclude_frameworks]


def describe(family: str, problem_type: str) -> str:
    return _NAMES[(family, problem_type)]


def default_params(family: str, problem_type: str) -> dict[str, Any]:
    """The library defaults (inside the search space), tried before tuning."""
    if family == "lightgbm":
        return {
            "n_estimators": 100,
            "learning_rate": 0.1,
            "num_leaves": 31,
            "min_child_samples": 20,
            "subsample": 1.0,
            "colsample_bytree": 1.0,
            "reg_lambda": 1e-3,
        }
    if family == "xgboost":
        return {
            "n_estimators": 100,
            "learning_rate": 0.3,
            "max_depth": 6,
            "min_child_weight": 1.0,
            "subsample": 1.0,
            "colsample_bytree": 1.0,
            "reg_lambda": 1.0,
        }
    if family in ("random_forest", "extra_trees"):
        return {
            "n_estimators": 100,
            "max_features": "sqrt" if problem_type == "classification" else 1.0,
            "min_samples_leaf": 1,
        }
    if family == "hist_gradient_boosting":
        return {
            "learning_rate": 0.1,
            "max_iter": 100,
            "max_leaf_nodes": 31,
            "min_samples_leaf": 20,
            "l2_regularization": 1e-4,
        }
    if family == "linear":
        return {"C": 1.0} if problem_type == "classification" else {"alpha": 1.0}
    raise KeyError(family)


def suggest_params(trial: Any, family: str, problem_type: str) -> dict[str, Any]:
    """Sample one configuration of ``family`` from an Optuna trial."""

    def f(name: str, low: float, high: float, log: bool = False) -> float:
        return trial.suggest_float(f"{family}__{name}", low, high, log=log)

    def i(name: str, low: int, high: int, log: bool = False) -> int:
        return trial.suggest_int(f"{family}__{name}", low, high, log=log)

    if family == "lightgbm":
        return {
            "n_estimators": i("n_estimators", 20, 1000, log=True),
            "learning_rate": f("learning_rate", 0.01, 0.3, log=True),
            "num_leaves": i("num_leaves", 4, 256, log=True),
            "min_child_samples": i("min_child_samples", 2, 100, log=True),
            "subsample": f("subsample", 0.5, 1.0),
            "colsample_bytree": f("colsample_bytree", 0.3, 1.0),
            "reg_lambda": f("reg_lambda", 1e-3, 10.0, log=True),
        }
    if family == "xgboost":
        return {
            "n_estimators": i("n_estimators", 20, 1000, log=True),
            "learning_rate": f("learning_rate", 0.01, 0.3, log=True),
            "max_depth": i("max_depth", 2, 12),
            "min_child_weight": f("min_child_weight", 0.5, 20.0, log=True),
            "subsample": f("subsample", 0.5, 1.0),
            "colsample_bytree": f("colsample_bytree", 0.3, 1.0),
            "reg_lambda": f("reg_lambda", 1e-3, 10.0, log=True),
        }
    if family in ("random_forest", "extra_trees"):
        return {
            "n_estimators": i("n_estimators", 50, 400, log=True),
            "max_features": trial.suggest_categorical(
                f"{family}__max_features", ["sqrt", "log2", 0.5, 1.0]
            ),
            "min_samples_leaf": i("min_samples_leaf", 1, 20, log=True),
        }
    if family == "hist_gradient_boosting":
        return {
            "learning_rate": f("learning_rate", 0.01, 0.3, log=True),
            "max_iter": i("max_iter", 50, 500, log=True),
            "max_leaf_nodes": i("max_leaf_nodes", 4, 128, log=True),
            "min_samples_leaf": i("min_samples_leaf", 2, 100, log=True),
            "l2_regularization": f("l2_regularization", 1e-4, 10.0, log=True),
        }
    if family == "linear":
        if problem_type == "classification":
            return {"C": f("C", 1e-3, 100.0, log=True)}
        return {"alpha": f("alpha", 1e-3, 100.0, log=True)}
    raise KeyError(family)


def prefixed(family: str, params: dict[str, Any]) -> dict[str, Any]:
    """``params`` as an Optuna ``enqueue_trial`` dict for ``family``."""
    return {"family": family, **{f"{family}__{k}": v for k, v in params.items()}}


_THREADS: list[int] = []


def set_threads(n: int) -> None:
    """Threads per model from now on in this process (a parallel-trial worker's share)."""
    _THREADS[:] = [max(1, n)]


def _threads() -> int:
    return _THREADS[0] if _THREADS else max(1, os.cpu_count() or 1)


def make_estimator(
    family: str, params: dict[str, Any], problem_type: str, seed: int = 0, n_classes: int = 2
) -> Any:
    """An unfitted estimator of ``family`` with ``params``."""
    clf = problem_type == "classification"
    if family == "lightgbm":
        import lightgbm as lgb

        cls = lgb.LGBMClassifier if clf else lgb.LGBMRegressor
        return cls(
            **params,
            subsample_freq=1 if params.get("subsample", 1.0) < 1.0 else 0,
            random_state=seed,
            n_jobs=_threads(),
            verbose=-1,
        )
    if family == "xgboost":
        import xgboost as xgb

        cls = xgb.XGBClassifier if clf else xgb.XGBRegressor
        return cls(**params, tree_method="hist", random_state=seed, n_jobs=_threads())
    if family in ("random_forest", "extra_trees"):
        from sklearn import ensemble

        name = ("RandomForest" if family == "random_forest" else "ExtraTrees") + (
            "Classifier" if clf else "Regressor"
        )
        return getattr(ensemble, name)(**params, random_state=seed, n_jobs=_threads())
    if family == "hist_gradient_boosting":
        from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

        cls = HistGradientBoostingClassifier if clf else HistGradientBoostingRegressor
        return cls(**params, random_state=seed)
    if family == "linear":
        if clf:
            from sklearn.linear_model import LogisticRegression

            return LogisticRegression(**params, max_iter=2000)
        from sklearn.linear_model import Ridge

        return Ridge(**params)
    raise KeyError(family)
