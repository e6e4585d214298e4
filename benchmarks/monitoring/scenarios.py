"""Generated data for the drift benchmark: a reference table and one current table per scenario,
with the drifted columns known. 20 numerical columns (normal, skewed, heavy-tailed, bounded,
integer-valued), 5 categorical columns (3 to 30 categories, Zipf-like shares) and a binary target.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["NUMERIC", "CATEGORICAL", "TARGET", "Scenario", "make_frame", "scenarios"]

NUMERIC = [f"x{i:02d}" for i in range(20)]
CATEGORICAL = [f"c{i}" for i in range(5)]
TARGET = "target"
_CARD = [3, 5, 8, 12, 30]


def _cat_probs(k: int) -> np.ndarray:
    w = 1.0 / np.arange(1, k + 1) ** 0.8
    return w / w.sum()


def _numeric(i: int, n: int, rng: np.random.Generator) -> np.ndarray:
    kind = i % 5
    if kind == 0:
        return rng.normal(10.0 * i, 1.0 + i, n)
    if kind == 1:
        return rng.lognormal(0.0, 0.6, n)
    if kind == 2:
        return rng.standard_t(5, n) * 3.0
    if kind == 3:
        return rng.uniform(-5.0, 5.0, n)
    return np.floor(rng.gamma(3.0, 20.0, n))  # integer-valued, many distinct values


def make_frame(n: int, seed: int, target_rate: float = 0.3) -> pd.DataFrame:
    """One table of ``n`` rows with no drift relative to any other seed."""
    rng = np.random.default_rng(seed)
    cols: dict[str, object] = {}
    for i, name in enumerate(NUMERIC):
        cols[name] = _numeric(i, n, rng)
    for k, name in zip(_CARD, CATEGORICAL, strict=True):
        labels = np.array([f"{name}_v{j}" for j in range(k)], dtype=object)
        cols[name] = labels[rng.choice(k, size=n, p=_cat_probs(k))]
    cols[TARGET] = (rng.random(n) < target_rate).astype(np.int64)
    return pd.DataFrame(cols)


def _move_mass(values: np.ndarray, name: str, k: int, tv: float, rng: np.random.Generator):
    """Resample a categorical column so its shares differ from the base ones by ``tv``."""
    p = _cat_probs(k)
    q = p.copy()
    q[0] -= tv  # take tv from the most frequent category, spread it over the others
    q[1:] += tv * p[1:] / p[1:].sum()
    labels = np.array([f"{name}_v{j}" for j in range(k)], dtype=object)
    return labels[rng.choice(k, size=values.size, p=q)]


@dataclass
class Scenario:
    name: str
    current: pd.DataFrame
    drifted: list[str]


def scenarios(n_current: int, seed: int) -> list[Scenario]:
    """Every scenario of the issue, each built from a fresh no-drift table of ``n_current`` rows."""
    out: list[Scenario] = []
    rng = np.random.default_rng(10_000 + seed)

    def base(offset: int) -> pd.DataFrame:
        return make_frame(n_current, seed * 100 + offset)

    for s in range(3):
        out.append(Scenario(f"no drift (seed {s})", base(s), []))
    normals = ["x00", "x05", "x10", "x15", "x03"]
    for k, sigma in enumerate((0.1, 0.25, 0.5)):
        df = base(10 + k)
        cols = ["x00", "x01", "x02", "x03", "x04"]
        for c in cols:
            df[c] = df[c] + sigma * float(df[c].std())
        out.append(Scenario(f"mean shift {sigma} sigma", df, cols))
    df = base(20)
    cols = normals[:3]
    for c in cols:
        m = float(df[c].mean())
        df[c] = m + (df[c] - m) * np.sqrt(1.5)
    out.append(Scenario("variance x1.5", df, cols))
    df = base(21)
    df["c1"] = _move_mass(df["c1"].to_numpy(), "c1", 5, 0.08, rng)
    df["c3"] = _move_mass(df["c3"].to_numpy(), "c3", 12, 0.10, rng)
    out.append(Scenario("categorical TV 0.08-0.10", df, ["c1", "c3"]))
    df = base(22)
    for c in ("x06", "x07"):
        mask = rng.random(n_current) < 0.20
        df.loc[mask, c] = np.nan
    out.append(Scenario("missing spike 20%", df, ["x06", "x07"]))
    df = base(23)
    mask = rng.random(n_current) < 0.05
    df.loc[mask, "c2"] = "c2_NEW"
    out.append(Scenario("new category 5%", df, ["c2"]))
    df = make_frame(n_current, seed * 100 + 24, target_rate=0.36)
    out.append(Scenario("target only (0.30 -> 0.36)", df, [TARGET]))
    return out
