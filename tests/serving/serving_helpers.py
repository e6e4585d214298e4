"""Data and models shared by the serving tests (imported as a plain module)."""

from __future__ import annotations

import socket
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["FEATURES", "fit", "free_port", "row_dicts", "training_data"]

FEATURES = ["age", "tenure", "monthly_charges", "total_charges"]


def training_data() -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(0)
    n = 400
    X = pd.DataFrame(
        {
            "age": rng.uniform(18, 80, n),
            "tenure": rng.uniform(0, 72, n),
            "monthly_charges": rng.uniform(20, 120, n),
            "total_charges": rng.uniform(0, 8000, n),
        }
    )
    y = ((X["monthly_charges"] > 70) & (X["tenure"] < 30)).astype(int).to_numpy()
    return X, y


def fit(flip: bool = False) -> Any:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = training_data()
    return make_pipeline(StandardScaler(), LogisticRegression()).fit(X, 1 - y if flip else y)


def row_dicts(n: int, seed: int = 1) -> list[dict[str, float]]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "age": rng.uniform(18, 80, n),
            "tenure": rng.uniform(0, 72, n),
            "monthly_charges": rng.uniform(20, 120, n),
            "total_charges": rng.uniform(0, 8000, n),
        }
    )
    return X.to_dict("records")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
