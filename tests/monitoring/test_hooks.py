"""The refresh hooks: listeners see each refresh that processed windows; a failing listener
never fails the refresh (its windows are committed)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from modelyard.monitoring import create_monitor, get_monitor, refresh_monitor
from modelyard.monitoring.hooks import add_refresh_listener, remove_refresh_listener


def _table(path) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(0)
    n = 500
    ts = pd.Timestamp("2026-11-01", tz="UTC") + pd.to_timedelta(rng.uniform(0, 2 * 86_400, n), "s")
    pd.DataFrame(
        {"ts": ts, "x": rng.normal(0, 1, n), "prediction": rng.integers(0, 2, n)}
    ).to_parquet(path)


def test_listeners_run_after_a_refresh_and_cannot_break_it(tmp_path) -> None:  # type: ignore[no-untyped-def]
    table = tmp_path / "t.parquet"
    _table(table)
    root = str(tmp_path / "m")
    create_monitor(
        "m", table=str(table), timestamp_col="ts", prediction_col="prediction", root=root
    )
    seen: list[tuple[str, list[str]]] = []

    def good(mon, result) -> None:  # type: ignore[no-untyped-def]
        seen.append((mon.name, list(result["processed"])))

    def bad(mon, result) -> None:  # type: ignore[no-untyped-def]
        raise RuntimeError("listener bug")

    add_refresh_listener(bad)
    add_refresh_listener(good)
    try:
        result = refresh_monitor("m", root=root)
        assert len(result["processed"]) == 2
        assert seen == [("m", result["processed"])]
        assert len(get_monitor("m", root=root).windows) == 2
        refresh_monitor("m", root=root)  # nothing new: listeners are not called
        assert len(seen) == 1
    finally:
        remove_refresh_listener(bad)
        remove_refresh_listener(good)
