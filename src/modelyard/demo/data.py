"""A realistic, seeded customer-churn data set that modelyard generates itself.

Every column is numeric (the course's scripts fit scikit-learn and XGBoost on the raw frame):
``age, tenure, monthly_charges, total_charges, contract, num_support_calls, senior,
has_internet, paperless_billing, churn``. ``contract`` is a numeric-coded category
(0 = month-to-month, 1 = one year, 2 = two years). Churn is drawn from a logistic model with
interactions, so tree ensembles beat a linear model and accuracy lands around 0.85–0.9.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["FEATURES", "make_churn"]

FEATURES = [
    "age",
    "tenure",
    "monthly_charges",
    "total_charges",
    "contract",
    "num_support_calls",
    "senior",
    "has_internet",
    "paperless_billing",
]


def make_churn(n_rows: int = 5000, seed: int = 42) -> pd.DataFrame:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    age = rng.integers(18, 80, n_rows)
    senior = (age >= 65).astype(int)
    contract = rng.choice([0, 1, 2], size=n_rows, p=[0.55, 0.25, 0.20])
    tenure = np.clip(
        np.round(rng.gamma(shape=1.5 + contract * 1.5, scale=10.0, size=n_rows)), 1, 72
    ).astype(int)
    has_internet = (rng.random(n_rows) < 0.78).astype(int)
    monthly = np.round(
        20 + has_internet * rng.normal(45, 12, n_rows) + rng.normal(8, 6, n_rows).clip(0), 2
    ).clip(18.0, 130.0)
    total = np.round(monthly * tenure * rng.normal(1.0, 0.03, n_rows), 2)
    support = rng.poisson(0.6 + 1.2 * (monthly > 80) + 0.8 * (contract == 0), n_rows)
    paperless = (rng.random(n_rows) < 0.6).astype(int)

    logit = (
        -0.35
        - 0.075 * tenure
        - 1.7 * (contract == 1)
        - 3.2 * (contract == 2)
        + 0.02 * (monthly - 65)
        + 1.6 * (monthly > 85)
        + 0.55 * support
        + 0.5 * senior
        + 0.35 * paperless
        + 0.9 * ((tenure < 6) & (monthly > 75))
        - 0.012 * (age - 45) * (contract == 0)
    )
    p = 1.0 / (1.0 + np.exp(-logit * 1.6))
    churn = (rng.random(n_rows) < p).astype(int)
    return pd.DataFrame(
        {
            "age": age,
            "tenure": tenure,
            "monthly_charges": monthly,
            "total_charges": total,
            "contract": contract,
            "num_support_calls": support,
            "senior": senior,
            "has_internet": has_internet,
            "paperless_billing": paperless,
            "churn": churn,
        }
    )
