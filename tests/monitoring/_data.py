"""Generated tables for the drift scenario tests (small copies of the benchmark's generator)."""

from __future__ import annotations

import numpy as np
import pandas as pd

NUMERIC = [f"x{i:02d}" for i in range(20)]
CATEGORICAL = [f"c{i}" for i in range(5)]
TARGET = "target"
CARD = [3, 5, 8, 12, 30]


def cat_probs(k: int) -> np.ndarray:
    w = 1.0 / np.arange(1, k + 1) ** 0.8
    return w / w.sum()


def labels(name: str, k: int) -> np.ndarray:
    return np.array([f"{name}_v{j}" for j in range(k)], dtype=object)


def make_frame(n: int, seed: int, target_rate: float = 0.3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cols: dict[str, object] = {}
    for i, name in enumerate(NUMERIC):
        kind = i % 5
        if kind == 0:
            cols[name] = rng.normal(10.0 * i, 1.0 + i, n)
        elif kind == 1:
            cols[name] = rng.lognormal(0.0, 0.6, n)
        elif kind == 2:
            cols[name] = rng.standard_t(5, n) * 3.0
        elif kind == 3:
            cols[name] = rng.uniform(-5.0, 5.0, n)
        else:
            cols[name] = np.floor(rng.gamma(3.0, 20.0, n))
    for k, name in zip(CARD, CATEGORICAL, strict=True):
        cols[name] = labels(name, k)[rng.choice(k, size=n, p=cat_probs(k))]
    cols[TARGET] = (rng.random(n) < target_rate).astype(np.int64)
    return pd.DataFrame(cols)


def move_mass(name: str, k: int, n: int, tv: float, rng: np.random.Generator) -> np.ndarray:
    p = cat_probs(k)
    q = p.copy()
    q[0] -= tv
    q[1:] += tv * p[1:] / p[1:].sum()
    return labels(name, k)[rng.choice(k, size=n, p=q)]
