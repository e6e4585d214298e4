"""Monitor pages in headless chromium: the list, the drift heat map, the Refresh action."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from ui_browser import chromium_or_skip
from ui_seed import open_page

from modelyard.monitoring import create_monitor, refresh_monitor
from modelyard.server.config import ServerConfig
from modelyard.server.testing import LiveServer


@pytest.fixture(scope="module")
def monitored() -> Iterator[str]:
    chromium_or_skip()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        rng = np.random.default_rng(11)
        n = 1500
        frames = []
        for d in range(3):
            frames.append(
                pd.DataFrame(
                    {
                        "ts": pd.Timestamp("2026-11-01", tz="UTC")
                        + pd.to_timedelta(rng.uniform(0, 86_399, n) + d * 86_400, unit="s"),
                        "x": rng.normal(1.5 if d == 2 else 0.0, 1.0, n),
                        "y": rng.normal(0.0, 1.0, n),
                    }
                )
            )
        table = root / "metrics.parquet"
        pd.concat(frames).to_parquet(table)
        reference = pd.DataFrame({"x": rng.normal(0, 1, 5000), "y": rng.normal(0, 1, 5000)})
        monitors = str(root / "monitors")
        old = os.environ.get("MODELYARD_MONITORS_ROOT")
        os.environ["MODELYARD_MONITORS_ROOT"] = monitors
        try:
            create_monitor(
                "sensors",
                table=str(table),
                profile="time_series",
                timestamp_col="ts",
                baseline=reference,
                root=monitors,
            )
            refresh_monitor("sensors", root=monitors)
            config = ServerConfig(
                backend_store_uri=f"sqlite:///{root / 's.db'}",
                artifacts_destination=str(root / "a"),
            )
            with LiveServer(config) as url:
                yield url
        finally:
            if old is None:
                os.environ.pop("MODELYARD_MONITORS_ROOT", None)
            else:
                os.environ["MODELYARD_MONITORS_ROOT"] = old


def test_list_and_heat_map(monitored, browser):
    url = monitored
    open_page(browser, url, "#/monitors", "document.querySelector('table.monitors')")
    assert browser.eval("document.title") == "Monitors · modelyard"
    assert "sensors" in browser.text("table.monitors")
    open_page(browser, url, "#/monitors/sensors", "document.querySelector('table.drift-heatmap')")
    assert browser.eval("document.title") == "sensors · Monitor · modelyard"
    cells = json.loads(
        browser.eval(
            "JSON.stringify([...document.querySelectorAll('table.drift-heatmap tbody tr')]"
            ".map((tr) => [tr.cells[0].textContent,"
            " [...tr.querySelectorAll('td')].map((td) => td.dataset.drift)]))"
        )
    )
    assert cells == [["x", ["false", "false", "true"]], ["y", ["false", "false", "false"]]]
    assert "No model-quality metrics yet" in browser.text("main")
    assert browser.errors == []


def test_refresh_button(monitored, browser):
    url = monitored
    open_page(browser, url, "#/monitors/sensors", "document.querySelector('table.drift-heatmap')")
    browser.eval(
        "[...document.querySelectorAll('button')].find((b) => b.textContent === 'Refresh').click()"
    )
    browser.wait(
        "document.querySelector('table.drift-heatmap') && !document.querySelector('.action-error:not([hidden])')"
    )
    assert browser.errors == []
