"""Time windows of a monitor: ``"30 minutes"``, ``"1 hour"``, ``"1 day"``, ``"1 week"``,
``"1 month"``. Windows are aligned to the epoch (weeks start on Monday, months on the 1st), in
UTC."""

from __future__ import annotations

import re
from typing import Any

from modelyard.errors import InvalidParameterValue

__all__ = ["Granularity", "parse_granularity"]

_UNITS = {
    "minute": "min",
    "minutes": "min",
    "min": "min",
    "hour": "h",
    "hours": "h",
    "day": "D",
    "days": "D",
    "week": "W",
    "weeks": "W",
    "month": "M",
    "months": "M",
}


class Granularity:
    def __init__(self, text: str, count: int, unit: str) -> None:
        self.text = text
        self.count = count
        self.unit = unit

    def starts(self, ts: Any) -> Any:
        """Window start of each timestamp (a tz-aware UTC pandas Series)."""
        import pandas as pd

        if self.unit == "M":
            months = ts.dt.year * 12 + (ts.dt.month - 1)
            months = (months // self.count) * self.count
            return pd.to_datetime(
                {"year": months // 12, "month": months % 12 + 1, "day": 1}, utc=True
            )
        if self.unit == "W":
            day = ts.dt.floor("D")
            monday = day - pd.to_timedelta(day.dt.weekday, unit="D")
            if self.count == 1:
                return monday
            epoch_monday = pd.Timestamp("1970-01-05", tz="UTC")
            weeks = (monday - epoch_monday) // pd.Timedelta(weeks=1)
            return epoch_monday + pd.to_timedelta((weeks // self.count) * self.count * 7, unit="D")
        return ts.dt.floor(f"{self.count}{self.unit}")

    def end(self, start: Any) -> Any:
        import pandas as pd

        if self.unit == "M":
            return start + pd.DateOffset(months=self.count)
        if self.unit == "W":
            return start + pd.Timedelta(weeks=self.count)
        return start + pd.Timedelta(f"{self.count}{self.unit}")


def parse_granularity(text: str) -> Granularity:
    m = re.fullmatch(r"\s*(\d+)\s*([A-Za-z]+)\s*", str(text))
    if not m or m.group(2).lower() not in _UNITS or int(m.group(1)) < 1:
        raise InvalidParameterValue(
            f"Invalid granularity {text!r}: expected '<n> <minutes|hours|days|weeks|months>', "
            "e.g. '1 day'."
        )
    return Granularity(str(text).strip(), int(m.group(1)), _UNITS[m.group(2).lower()])
