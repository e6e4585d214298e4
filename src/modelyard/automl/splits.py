"""Train / validation / test split of an AutoML dataset (used by the engine and the notebooks).

``split_col`` wins (values ``train``/``validate``/``test``); else with ``time_col`` the
earliest 60% of rows train, the next 20% validate and the latest 20% test; else a seeded random
60/20/20 split, stratified on the target for classification when every class allows it.
"""

from __future__ import annotations

from typing import Any

__all__ = ["split_data"]


def split_data(
    df: Any,
    target_col: str,
    *,
    problem_type: str,
    split_col: str | None = None,
    time_col: str | None = None,
    seed: int = 0,
    fractions: tuple[float, float, float] = (0.6, 0.2, 0.2),
) -> tuple[Any, Any, Any]:
    """``(train, validate, test)`` frames of the rows that have a target value."""
    import numpy as np
    import pandas as pd

    data = df[df[target_col].notna()]
    if split_col is not None:
        labels = data[split_col].astype(str).str.lower()
        return tuple(data[labels == name] for name in ("train", "validate", "test"))
    n = len(data)
    n_val = max(1, int(round(n * fractions[1])))
    n_test = max(1, int(round(n * fractions[2])))
    if time_col is not None:
        order = pd.Series(
            pd.to_datetime(data[time_col], errors="coerce", format="mixed")
            if not pd.api.types.is_numeric_dtype(data[time_col])
            else data[time_col]
        )
        data = data.iloc[np.argsort(order.to_numpy(), kind="stable")]
        return (
            data.iloc[: n - n_val - n_test],
            data.iloc[n - n_val - n_test : n - n_test],
            data.iloc[n - n_test :],
        )
    from sklearn.model_selection import train_test_split

    stratify = None
    if problem_type == "classification":
        counts = data[target_col].value_counts()
        if counts.min() >= 5:
            stratify = data[target_col]
    rest, test = train_test_split(data, test_size=n_test, random_state=seed, stratify=stratify)
    strat_rest = rest[target_col] if stratify is not None else None
    train, val = train_test_split(rest, test_size=n_val, random_state=seed, stratify=strat_rest)
    return train, val, test
