"""The pyfunc model of a forecast: a fitted StatsForecast object that forecasts on demand."""

from __future__ import annotations

from typing import Any

from modelyard.pyfunc import PythonModel

__all__ = ["AutoMLForecastModel"]


class AutoMLForecastModel(PythonModel):
    """Input: a frame with the future time stamps (``time_col``, plus the identity columns for
    several series) or a one-row frame ``{"horizon": h}``. Output: ``time_col``, identity
    columns, ``yhat``, ``yhat_lower``, ``yhat_upper``."""

    def __init__(
        self, sf: Any, column: str, time_col: str, ids: list[str], horizon: int, level: int
    ) -> None:
        self.sf, self.column, self.time_col = sf, column, time_col
        self.ids, self.horizon, self.level = ids, horizon, level

    def forecast(self, h: int | None = None) -> Any:
        out = self.sf.predict(h=h or self.horizon, level=[self.level]).reset_index(drop=False)
        if "index" in out.columns:
            out = out.drop(columns=["index"])
        c, lv = self.column, self.level
        frame = out.rename(
            columns={
                "ds": self.time_col,
                c: "yhat",
                f"{c}-lo-{lv}": "yhat_lower",
                f"{c}-hi-{lv}": "yhat_upper",
            }
        )
        if self.ids:
            parts = frame["unique_id"].str.split("|", expand=True)
            for i, col in enumerate(self.ids):
                frame[col] = parts[i]
        return frame.drop(columns=["unique_id"])[
            [*self.ids, self.time_col, "yhat", "yhat_lower", "yhat_upper"]
        ]

    def future_frame(self) -> Any:
        return self.forecast()[[*self.ids, self.time_col]]

    def predict(self, context: Any, model_input: Any, params: dict[str, Any] | None = None) -> Any:
        import pandas as pd

        frame = pd.DataFrame(model_input)
        if self.time_col not in frame.columns:
            h = int(frame["horizon"].iloc[0]) if "horizon" in frame.columns else self.horizon
            return self.forecast(h)
        wanted = pd.to_datetime(frame[self.time_col])
        h = self.horizon
        while True:
            full = self.forecast(h)
            if full[self.time_col].max() >= wanted.max() or h > 10_000:
                break
            h *= 2
        keys = frame[self.ids].astype(str).assign(**{self.time_col: wanted})
        full = full.assign(**{c: full[c].astype(str) for c in self.ids})
        return keys.merge(full, on=[*self.ids, self.time_col], how="left")
