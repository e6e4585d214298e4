"""Input validation and dataset loading, done before any training starts.

Every problem raises :class:`~modelyard.errors.InvalidParameterValue` naming the parameter.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from modelyard.errors import InvalidParameterValue

__all__ = [
    "FRAMEWORKS",
    "MIN_TRIAL_SECONDS",
    "SupervisedParams",
    "check_parallelism",
    "load_dataset",
    "validate_supervised",
]

FRAMEWORKS = ("sklearn", "xgboost", "lightgbm")
MIN_TRIAL_SECONDS = 3.0
DEFAULT_TIMEOUT_MINUTES = 120.0


@dataclass
class SupervisedParams:
    """Validated arguments of ``classify``/``regress``."""

    problem_type: str
    target_col: str
    primary_metric: str
    timeout_seconds: float
    max_trials: int | None
    exclude_cols: list[str] = field(default_factory=list)
    exclude_frameworks: list[str] = field(default_factory=list)
    pos_label: Any = None
    time_col: str | None = None
    split_col: str | None = None
    sample_weight_col: str | None = None
    imputers: dict[str, Any] = field(default_factory=dict)
    seed: int = 0
    ensemble: bool = True
    parallelism: int = 1


def load_dataset(dataset: Any) -> Any:
    """A pandas DataFrame from a DataFrame, a Spark DataFrame or a CSV/Parquet path."""
    import pandas as pd

    if isinstance(dataset, pd.DataFrame):
        return dataset
    if hasattr(dataset, "toPandas") and callable(dataset.toPandas):
        return dataset.toPandas()
    if hasattr(dataset, "to_pandas") and callable(dataset.to_pandas):
        return dataset.to_pandas()
    if isinstance(dataset, str | Path):
        path = Path(str(dataset).removeprefix("file://"))
        if not path.exists():
            raise InvalidParameterValue(f"Parameter 'dataset': file {str(path)!r} does not exist")
        suffix = path.suffix.lower()
        if path.is_dir() or suffix in (".parquet", ".pq"):
            return pd.read_parquet(path)
        if suffix in (".csv", ".txt", ".tsv"):
            return pd.read_csv(path, sep="\t" if suffix == ".tsv" else ",")
        raise InvalidParameterValue(
            f"Parameter 'dataset': unsupported file type {suffix!r} (use .csv or .parquet)"
        )
    raise InvalidParameterValue(
        "Parameter 'dataset' must be a pandas DataFrame, a Spark DataFrame or a path to a "
        f"CSV/Parquet file, got {type(dataset).__name__}"
    )


def _as_list(value: Any, name: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    try:
        return [str(v) for v in value]
    except TypeError:
        raise InvalidParameterValue(f"Parameter {name!r} must be a list of strings") from None


def check_column(df: Any, col: str | None, name: str) -> None:
    if col is not None and col not in df.columns:
        raise InvalidParameterValue(
            f"Parameter {name!r}: column {col!r} is not in the dataset "
            f"(columns: {list(map(str, df.columns))[:20]})"
        )


def _check_weights(s: Any, name: str, target_col: str) -> None:
    import numpy as np
    import pandas as pd

    if name == target_col:
        raise InvalidParameterValue("Parameter 'sample_weight_col' must not be 'target_col'")
    if not pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
        raise InvalidParameterValue(
            f"Parameter 'sample_weight_col': column {name!r} must be numeric, has dtype {s.dtype}"
        )
    values = s.to_numpy(dtype=float, na_value=np.nan)
    if not np.all(np.isfinite(values)) or (values < 0).any() or not (values > 0).any():
        raise InvalidParameterValue(
            f"Parameter 'sample_weight_col': column {name!r} must hold finite, non-negative "
            "weights (no missing values), at least one of them positive"
        )


def timeout_seconds(timeout_minutes: Any) -> float:
    if timeout_minutes is None:
        return DEFAULT_TIMEOUT_MINUTES * 60.0
    if (
        isinstance(timeout_minutes, bool)
        or not isinstance(timeout_minutes, int | float)
        or not math.isfinite(timeout_minutes)
    ):
        raise InvalidParameterValue(
            f"Parameter 'timeout_minutes' must be a positive number, got {timeout_minutes!r}"
        )
    seconds = float(timeout_minutes) * 60.0
    if seconds < MIN_TRIAL_SECONDS:
        raise InvalidParameterValue(
            f"Parameter 'timeout_minutes'={timeout_minutes!r} ({seconds:.1f} s) is too small for "
            f"one trial: the minimum is {MIN_TRIAL_SECONDS / 60:.2f} minutes "
            f"({MIN_TRIAL_SECONDS:.0f} s)"
        )
    return seconds


def check_max_trials(max_trials: Any) -> int | None:
    if max_trials is None:
        return None
    if isinstance(max_trials, bool) or not isinstance(max_trials, int) or max_trials < 1:
        raise InvalidParameterValue(
            f"Parameter 'max_trials' must be a positive integer, got {max_trials!r}"
        )
    return max_trials


def check_parallelism(parallelism: Any, stacklevel: int = 2) -> int:
    """A positive int; more than ``os.cpu_count()`` is capped with a warning (``stacklevel``
    points it at the user's call)."""
    import os
    import warnings

    if isinstance(parallelism, bool) or not isinstance(parallelism, int) or parallelism < 1:
        raise InvalidParameterValue(
            f"Parameter 'parallelism' must be a positive integer, got {parallelism!r}"
        )
    cores = os.cpu_count() or 1
    if parallelism > cores:
        warnings.warn(
            f"Parameter 'parallelism'={parallelism} is more than the {cores} CPU core(s) of this "
            f"machine; using {cores}",
            UserWarning,
            stacklevel=stacklevel,
        )
        return cores
    return parallelism


def check_seed(seed: Any) -> int:
    if seed is None:
        return 0
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise InvalidParameterValue(f"Parameter 'seed' must be a non-negative int, got {seed!r}")
    return seed


def validate_supervised(
    df: Any,
    *,
    problem_type: str,
    target_col: Any,
    primary_metric: str,
    timeout_minutes: Any,
    max_trials: Any,
    exclude_cols: Any,
    exclude_frameworks: Any,
    pos_label: Any,
    time_col: Any,
    split_col: Any,
    imputers: Any,
    seed: Any,
    ensemble: bool,
    sample_weight_col: Any = None,
    parallelism: Any = 1,
) -> SupervisedParams:
    """Check every argument against the data; raise before any work."""
    from modelyard.automl.metrics import metric_spec

    if not isinstance(target_col, str) or not target_col:
        raise InvalidParameterValue("Parameter 'target_col' must be a non-empty column name")
    check_column(df, target_col, "target_col")
    spec = metric_spec(problem_type, primary_metric)
    excluded = _as_list(exclude_cols, "exclude_cols")
    for col in excluded:
        check_column(df, col, "exclude_cols")
    if target_col in excluded:
        raise InvalidParameterValue("Parameter 'exclude_cols' must not contain 'target_col'")
    frameworks = [f.lower() for f in _as_list(exclude_frameworks, "exclude_frameworks")]
    unknown = sorted(set(frameworks) - set(FRAMEWORKS))
    if unknown:
        raise InvalidParameterValue(
            f"Parameter 'exclude_frameworks': unknown framework(s) {unknown}; "
            f"expected a subset of {list(FRAMEWORKS)}"
        )
    if set(frameworks) >= set(FRAMEWORKS):
        raise InvalidParameterValue("Parameter 'exclude_frameworks' excludes every framework")
    check_column(df, time_col, "time_col")
    check_column(df, split_col, "split_col")
    check_column(df, sample_weight_col, "sample_weight_col")
    if sample_weight_col is not None:
        _check_weights(df[sample_weight_col], sample_weight_col, target_col)
    if split_col is not None:
        values = set(df[split_col].dropna().astype(str).str.lower().unique())
        bad = sorted(values - {"train", "validate", "test"})
        if bad or "train" not in values:
            raise InvalidParameterValue(
                f"Parameter 'split_col': column {split_col!r} must hold 'train', 'validate' and "
                f"'test' (found {sorted(values)[:10]})"
            )
    if imputers is None:
        imputers = {}
    if not isinstance(imputers, dict):
        raise InvalidParameterValue("Parameter 'imputers' must be a dict {column: strategy}")
    for col, strategy in imputers.items():
        check_column(df, col, "imputers")
        kind = strategy.get("strategy") if isinstance(strategy, dict) else strategy
        if kind not in ("mean", "median", "most_frequent", "constant"):
            raise InvalidParameterValue(
                f"Parameter 'imputers': strategy {strategy!r} for {col!r} must be one of "
                "'mean', 'median', 'most_frequent' or {'strategy': 'constant', 'fill_value': v}"
            )
    y = df[target_col]
    if y.isna().all():
        raise InvalidParameterValue(f"Parameter 'target_col': column {target_col!r} is all missing")
    n_labeled = int(y.notna().sum())
    if n_labeled < 10:
        raise InvalidParameterValue(
            f"Parameter 'dataset': only {n_labeled} rows have a target value; at least 10 needed"
        )
    if problem_type == "classification":
        classes = y.dropna().unique()
        if len(classes) < 2:
            raise InvalidParameterValue(
                f"Parameter 'target_col': column {target_col!r} has a single class "
                f"({classes[0]!r}); classification needs at least two"
            )
        counts = y.value_counts()
        lone = counts[counts < 2]
        if len(lone):
            raise InvalidParameterValue(
                f"Parameter 'target_col': class(es) {lone.index.tolist()[:10]!r} of "
                f"{target_col!r} have a single row; a class needs at least 2 rows to be learned "
                "and evaluated (drop those rows or merge the class into another)"
            )
        if pos_label is not None and pos_label not in set(classes.tolist()):
            raise InvalidParameterValue(
                f"Parameter 'pos_label': {pos_label!r} is not a value of {target_col!r}"
            )
        if pos_label is not None and len(classes) != 2:
            raise InvalidParameterValue("Parameter 'pos_label' only applies to binary targets")
    else:
        import pandas as pd

        if not pd.api.types.is_numeric_dtype(y) or pd.api.types.is_bool_dtype(y):
            raise InvalidParameterValue(
                f"Parameter 'target_col': regression needs a numeric target, {target_col!r} "
                f"has dtype {y.dtype}"
            )
        if y.nunique() < 2:
            raise InvalidParameterValue(
                f"Parameter 'target_col': column {target_col!r} is constant"
            )
    return SupervisedParams(
        problem_type=problem_type,
        target_col=target_col,
        primary_metric=spec.name,
        timeout_seconds=timeout_seconds(timeout_minutes),
        max_trials=check_max_trials(max_trials),
        exclude_cols=excluded,
        exclude_frameworks=frameworks,
        pos_label=pos_label,
        time_col=time_col,
        split_col=split_col,
        sample_weight_col=sample_weight_col,
        imputers=dict(imputers),
        seed=check_seed(seed),
        ensemble=bool(ensemble),
        parallelism=check_parallelism(parallelism, stacklevel=5),
    )
