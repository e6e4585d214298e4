"""The UI at scale in headless chromium: a 10,000-run table (virtualized, exact count, scroll
to the last run, server-side sort) and a 1,000,000-point metric chart (downsampled by the
server, drawn, zoomable). The data is written straight through the SQL store (one
transaction per run, 50,000 points per batch) before the server starts."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from ui_browser import chromium_or_skip
from ui_seed import open_page

from modelyard.entities import Metric, Param, RunTag
from modelyard.server.config import ServerConfig
from modelyard.server.testing import LiveServer
from modelyard.store.tracking.sql import SqlTrackingStore

N_RUNS = 10_000
N_POINTS = 1_000_000


def write_scale_data(db_uri: str, artifact_root: str, n_runs: int, n_points: int) -> dict[str, str]:
    store = SqlTrackingStore(db_uri, artifact_root)
    exp = store.create_experiment("scale")
    for i in range(n_runs):
        run = store.create_run(exp, "bench", 1_700_000_000_000 + i, [], f"run-{i:05d}")
        store.log_batch(
            run.info.run_id,
            metrics=[Metric("acc", i / n_runs, 1_700_000_000_000 + i, 0)],
            params=[Param("i", str(i)), Param("model", "rf" if i % 2 else "xgb")],
            tags=[RunTag("team", f"t{i % 3}")],
        )
    big_exp = store.create_experiment("long-history")
    big = store.create_run(big_exp, "bench", 1_700_000_000_000, [], "long-run").info.run_id
    for start in range(0, n_points, 50_000):
        stop = min(n_points, start + 50_000)
        store.log_batch(
            big,
            metrics=[
                Metric("loss", 1.0 / (i + 1), 1_700_000_000_000 + i, i) for i in range(start, stop)
            ],
        )
    return {"experiment_id": exp, "big_run": big}


@pytest.fixture(scope="module")
def scale() -> Iterator[tuple[str, dict[str, str]]]:
    chromium_or_skip()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        db = f"sqlite:///{root / 's.db'}"
        ids = write_scale_data(db, str(root / "art"), N_RUNS, N_POINTS)
        config = ServerConfig(backend_store_uri=db, artifacts_destination=str(root / "art"))
        with LiveServer(config) as url:
            yield url, ids


def test_10000_runs_virtualized_count_scroll_and_sort(scale, browser):
    url, ids = scale
    exp = ids["experiment_id"]
    open_page(browser, url, f"#/experiments/{exp}", "document.querySelector('.vt-row')")
    assert browser.text(".vt-row .run-name a") == "run-09999"  # newest first
    # the server's count names the total while pages are still arriving
    browser.wait("document.querySelector('#run-count').dataset.serverTotal === '10000'")
    browser.wait("document.querySelector('#run-count').dataset.total", tries=1200)
    assert browser.text("#run-count") == "10,000 runs"
    assert int(browser.eval("document.querySelectorAll('.vt-row').length")) < 100  # virtualized
    browser.eval(
        "{ const s = document.querySelector('.vt-scroll'); s.scrollTop = s.scrollHeight; }"
    )
    browser.wait(
        "[...document.querySelectorAll('.vt-row .run-name a')].some((a) => a.textContent === 'run-00000')"
    )
    last = browser.eval("[...document.querySelectorAll('.vt-row')].pop().innerText")
    assert "run-00000" in last and "xgb" in last
    # server-side sort: acc ascending puts run-00000 first
    open_page(
        browser,
        url,
        f"#/experiments/{exp}?order=metrics.%60acc%60%20ASC",
        "document.querySelector('.vt-row')",
    )
    assert browser.text(".vt-row .run-name a") == "run-00000"
    # server-side filter
    flt = "params.model%20%3D%20%27rf%27%20and%20metrics.acc%20%3E%3D%200.999"
    open_page(
        browser,
        url,
        f"#/experiments/{exp}?filter={flt}",
        "document.querySelector('#run-count').dataset.total",
    )
    assert browser.text("#run-count") == "5 runs"
    assert browser.eval("document.querySelector('#run-count').dataset.serverTotal") == "5"
    assert browser.errors == []


def test_1000000_point_chart_draws_downsampled(scale, browser):
    url, ids = scale
    open_page(
        browser,
        url,
        f"#/runs/{ids['big_run']}",
        "document.querySelector('.chart[data-metric=loss]')?.dataset.state === 'ready'",
    )
    fig = ".chart[data-metric=loss]"
    assert browser.eval(f"document.querySelector('{fig}').dataset.points") == "1000"
    note = browser.text(f"{fig} .chart-note")
    assert "last 1.0000e-6" in note and "downsampled by the server" in note
    assert browser.eval(f"!!document.querySelector('{fig} canvas')")
    # zoom by dragging over the plot: the window is fetched again from the server
    browser.drag(f"{fig} .u-over", 0.05, 0.3)
    browser.wait(f"document.querySelector('{fig} .chart-note').textContent.includes('steps ')")
    browser.wait(f"document.querySelector('{fig}').dataset.state === 'ready'")
    assert int(browser.eval(f"document.querySelector('{fig}').dataset.points")) > 0
    assert browser.errors == []
