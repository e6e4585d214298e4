"""Semantic type detection and the feature pipeline of AutoML models.

:func:`detect_column_types` looks at the raw feature columns and decides, per column, how it is
used (numeric, categorical by cardinality, datetime, free text) or why it is dropped (all
missing, constant, an identifier). :class:`AutoFeaturizer` turns raw frames into a numeric
matrix following that plan; it is the first step of every logged model, so models predict on
raw input frames.

This module defines a scikit-learn estimator, so importing it imports scikit-learn; nothing in
``modelyard`` imports it at package import time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from modelyard.automl._transformers import (
    DatetimeFeatures,
    FrequencyEncoder,
    TextFeatures,
    _BaseEstimator,
    _TransformerMixin,
)

__all__ = ["MISSING", "AutoFeaturizer", "ColumnPlan", "detect_column_types"]

MISSING = "__missing__"
LOW_CARDINALITY = 32
NUMERIC_CATEGORY_MAX = 10
MAX_GUESSED_CLASSES = 50
_PARSE_SAMPLE = 200


@dataclass
class ColumnPlan:
    """How each raw feature column is used."""

    columns: list[str]
    numeric: list[str] = field(default_factory=list)
    categorical_low: list[str] = field(default_factory=list)
    categorical_high: list[str] = field(default_factory=list)
    datetime: list[str] = field(default_factory=list)
    text: list[str] = field(default_factory=list)
    numeric_coded: list[str] = field(default_factory=list)
    string_numeric: list[str] = field(default_factory=list)
    string_datetime: list[str] = field(default_factory=list)
    dropped: dict[str, str] = field(default_factory=dict)
    imputers: dict[str, Any] = field(default_factory=dict)

    @property
    def used(self) -> list[str]:
        seen: dict[str, None] = {}
        for group in (
            self.numeric,
            self.categorical_low,
            self.categorical_high,
            self.datetime,
            self.text,
        ):
            seen.update(dict.fromkeys(group))
        return list(seen)

    @property
    def conversions(self) -> dict[str, str]:
        """Semantic types that differ from the storage type (Databricks reports these)."""
        out = {c: "numeric" for c in self.string_numeric}
        out.update({c: "datetime" for c in self.string_datetime})
        out.update({c: "categorical" for c in self.numeric_coded})
        out.update({c: "text" for c in self.text})
        return out

    def describe(self) -> dict[str, Any]:
        return {
            "numeric": self.numeric,
            "categorical_one_hot": self.categorical_low,
            "categorical_target_and_frequency": self.categorical_high,
            "datetime": self.datetime,
            "text": self.text,
            "dropped": self.dropped,
            "conversions": self.conversions,
        }


def _is_integer_valued(values: Any) -> bool:
    import numpy as np

    arr = np.asarray(values, dtype=float)
    return bool(np.all(np.isfinite(arr)) and np.all(arr == np.round(arr)))


def _looks_like_dates(sample: Any) -> bool:
    import pandas as pd

    text = sample.astype(str)
    if not text.str.contains(r"\d", regex=True).mean() > 0.95:
        return False
    if not text.str.contains(r"[-/:.T ]", regex=True).mean() > 0.95:
        return False
    if text.str.len().max() > 40:
        return False
    parsed = pd.to_datetime(text, errors="coerce", format="mixed", utc=True)
    return bool(parsed.notna().mean() >= 0.95)


def detect_column_types(
    features: Any, imputers: dict[str, Any] | None = None, *, text_min_words: float = 4.0
) -> ColumnPlan:
    """Decide the role of every column of the raw feature frame ``features``."""
    import pandas as pd
    from pandas.api import types as pdt

    plan = ColumnPlan(columns=[str(c) for c in features.columns], imputers=dict(imputers or {}))
    n_rows = len(features)
    for col in features.columns:
        s = features[col]
        name = str(col)
        non_null = s.dropna()
        if non_null.empty:
            plan.dropped[name] = "all values are missing"
            continue
        n_unique = int(non_null.nunique())
        if n_unique <= 1:
            value = non_null.iloc[0]
            value = value.item() if hasattr(value, "item") else value
            plan.dropped[name] = f"constant column (single value {value!r})"
            continue
        if pdt.is_bool_dtype(s):
            plan.categorical_low.append(name)
        elif pdt.is_datetime64_any_dtype(s):
            plan.datetime.append(name)
        elif pdt.is_numeric_dtype(s):
            integer = _is_integer_valued(non_null)
            if (
                integer
                and n_unique == len(non_null) == n_rows
                and n_rows >= 20
                and int(non_null.max() - non_null.min()) == n_rows - 1
            ):
                plan.dropped[name] = "identifier (a distinct consecutive integer per row)"
                continue
            plan.numeric.append(name)
            if integer and 2 < n_unique <= NUMERIC_CATEGORY_MAX and n_rows >= 5 * n_unique:
                plan.numeric_coded.append(name)
                plan.categorical_low.append(name)
        else:
            text = non_null.astype(str)
            sample = text.iloc[:_PARSE_SAMPLE]
            if pd.to_numeric(sample, errors="coerce").notna().mean() >= 0.95:
                plan.string_numeric.append(name)
                plan.numeric.append(name)
                continue
            if isinstance(s.dtype, pd.CategoricalDtype):
                looks_date = False
            else:
                looks_date = _looks_like_dates(sample)
            if looks_date:
                plan.string_datetime.append(name)
                plan.datetime.append(name)
                continue
            words = float(sample.str.split().str.len().mean())
            if words >= text_min_words and n_unique > 0.3 * len(non_null):
                plan.text.append(name)
            elif n_unique == len(non_null) == n_rows and n_rows >= 20:
                plan.dropped[name] = "identifier (a distinct value per row)"
            elif n_unique <= LOW_CARDINALITY:
                plan.categorical_low.append(name)
            else:
                plan.categorical_high.append(name)
    return plan


def _as_category_strings(s: Any, fill: str = MISSING) -> Any:
    import numpy as np
    import pandas as pd
    from pandas.api import types as pdt

    if pdt.is_numeric_dtype(s) and not pdt.is_bool_dtype(s):
        arr = s.to_numpy(dtype=float, na_value=np.nan)
        out = np.where(
            np.isnan(arr),
            fill,
            np.where(arr == np.round(arr), np.char.mod("%d", np.nan_to_num(arr)), arr.astype(str)),
        )
        return pd.Series(out, index=s.index, dtype=object)
    out = s.astype(object).where(s.notna(), fill)
    return out.map(str)


class AutoFeaturizer(_TransformerMixin, _BaseEstimator):
    """Raw frame → numeric matrix following a :class:`ColumnPlan`.

    numeric: imputation (median, or the column's ``imputers`` strategy) with missing-value
    indicators, optionally standardized (``scale=True`` for linear models); low-cardinality
    categoricals: one-hot (rare levels grouped); high-cardinality categoricals: cross-fitted
    target encoding plus frequency encoding; datetimes: calendar features; text: length,
    word count and a TF-IDF/SVD embedding.

    ``problem_type`` (``"classification"`` or ``"regression"``) decides how the target encoder
    reads ``y``; without it, a target with at most 50 integer values is taken for classes.
    The target encoder's inner folds are stratified only for classes of at least 5 rows each.
    """

    def __init__(
        self,
        plan: ColumnPlan,
        scale: bool = False,
        random_state: int = 0,
        problem_type: str | None = None,
    ):
        self.plan = plan
        self.scale = scale
        self.random_state = random_state
        self.problem_type = problem_type

    def _coerce(self, X: Any) -> Any:
        import pandas as pd

        plan = self.plan
        frame = X if isinstance(X, pd.DataFrame) else pd.DataFrame(X, columns=plan.columns)
        missing = [c for c in plan.used if c not in frame.columns]
        if missing:
            from modelyard.errors import InvalidParameterValue

            raise InvalidParameterValue(f"Input is missing required column(s) {missing}")
        out: dict[str, Any] = {}
        for c in plan.numeric:
            s = frame[c]
            out[c] = pd.to_numeric(s, errors="coerce").astype("float64")
        for c in plan.categorical_low + plan.categorical_high:
            key = f"{c}__cat" if c in plan.numeric else c
            fill = plan.imputers.get(c)
            fill_value = fill.get("fill_value") if isinstance(fill, dict) else None
            out[key] = _as_category_strings(
                frame[c], MISSING if fill_value is None else str(fill_value)
            )
        for c in plan.datetime:
            s = frame[c]
            if not pd.api.types.is_datetime64_any_dtype(s):
                s = pd.to_datetime(s.astype(object), errors="coerce", format="mixed", utc=True)
            if getattr(s.dt, "tz", None) is not None:
                s = s.dt.tz_convert("UTC").dt.tz_localize(None)
            out[c] = s.astype("datetime64[ns]")
        for c in plan.text:
            out[c] = frame[c].astype(object).where(frame[c].notna(), "").map(str)
        return pd.DataFrame(out, index=frame.index)

    def _build(self, n_classes: int, min_class_count: int = 0) -> Any:
        from sklearn.compose import ColumnTransformer
        from sklearn.impute import SimpleImputer
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import OneHotEncoder, StandardScaler, TargetEncoder

        plan = self.plan
        parts: list[tuple[str, Any, list[str]]] = []
        by_strategy: dict[str, list[str]] = {}
        for c in plan.numeric:
            choice = plan.imputers.get(c, "median")
            key = choice.get("strategy") if isinstance(choice, dict) else choice
            if key == "constant":
                parts.append(
                    (
                        f"num_const_{c}",
                        self._maybe_scaled(
                            SimpleImputer(
                                strategy="constant",
                                fill_value=float(choice.get("fill_value", 0.0)),
                                add_indicator=True,
                                keep_empty_features=True,
                            )
                        ),
                        [c],
                    )
                )
            else:
                by_strategy.setdefault(str(key), []).append(c)
        for key, cols in by_strategy.items():
            imputer = SimpleImputer(strategy=key, add_indicator=True, keep_empty_features=True)
            parts.append((f"num_{key}", self._maybe_scaled(imputer), cols))
        low = [f"{c}__cat" if c in plan.numeric else c for c in plan.categorical_low]
        if low:
            onehot = OneHotEncoder(
                handle_unknown="infrequent_if_exist", min_frequency=5, sparse_output=False
            )
            parts.append(("onehot", onehot, low))
        if plan.categorical_high:
            from sklearn.model_selection import KFold, StratifiedKFold

            # stratified inner folds only for a classification whose every class can fill
            # them; a regression target is never stratified (nor seen as classes)
            stratify = n_classes > 0 and min_class_count >= 5
            splitter = StratifiedKFold if stratify else KFold
            target = TargetEncoder(
                target_type="auto" if n_classes else "continuous",
                cv=splitter(5, shuffle=True, random_state=self.random_state),
            )
            parts.append(("target", self._maybe_scaled(target), plan.categorical_high))
            parts.append(
                ("frequency", self._maybe_scaled(FrequencyEncoder()), plan.categorical_high)
            )
        if plan.datetime:
            dates = make_pipeline(DatetimeFeatures(), SimpleImputer(keep_empty_features=True))
            if self.scale:
                dates.steps.append(("scale", StandardScaler()))
            parts.append(("datetime", dates, plan.datetime))
        for c in plan.text:
            parts.append(
                (f"text_{c}", self._maybe_scaled(TextFeatures(random_state=self.random_state)), [c])
            )
        return ColumnTransformer(parts, remainder="drop", sparse_threshold=0.0)

    def _maybe_scaled(self, step: Any) -> Any:
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        return make_pipeline(step, StandardScaler()) if self.scale else step

    def fit(self, X: Any, y: Any = None) -> AutoFeaturizer:
        self.fit_transform(X, y)
        return self

    def fit_transform(self, X: Any, y: Any = None, **fit_params: Any) -> Any:
        import numpy as np

        frame = self._coerce(X)
        n_classes = min_count = 0
        if y is not None and self.problem_type != "regression":
            from sklearn.utils.multiclass import type_of_target

            _, counts = np.unique(np.asarray(y), return_counts=True)
            # without a problem type, integer-valued targets with many values (prices, counts)
            # are a regression, not hundreds of classes
            if self.problem_type == "classification" or (
                type_of_target(y) in ("binary", "multiclass") and len(counts) <= MAX_GUESSED_CLASSES
            ):
                n_classes, min_count = len(counts), int(counts.min())
        self.transformer_ = self._build(n_classes, min_count)
        out = self.transformer_.fit_transform(frame, y)
        self.n_features_out_ = out.shape[1]
        return np.asarray(out, dtype="float64")

    def transform(self, X: Any) -> Any:
        import numpy as np

        return np.asarray(self.transformer_.transform(self._coerce(X)), dtype="float64")

    def get_feature_names_out(self, input_features: Any = None) -> Any:
        import numpy as np

        names = self.transformer_.get_feature_names_out()
        return np.asarray([n.split("__", 1)[-1] for n in names], dtype=object)
