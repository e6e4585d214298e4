"""Traces on the experiment page and on the run page, in headless chromium."""

from __future__ import annotations

import json
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from ui_browser import chromium_or_skip
from ui_seed import EVIL, open_page

from modelyard.client import MlflowClient
from modelyard.server.config import ServerConfig
from modelyard.server.testing import LiveServer


def _trace(url: str, experiment_id: str, name: str, run_id: str | None, preview: str) -> str:
    trace_id = f"tr-{uuid.uuid4().hex}"
    info = {
        "trace_id": trace_id,
        "trace_location": {
            "type": "MLFLOW_EXPERIMENT",
            "mlflow_experiment": {"experiment_id": experiment_id},
        },
        "request_time": "2026-12-02T06:47:30.065Z",
        "execution_duration": "0.250s",
        "state": "OK",
        "request_preview": preview,
        "trace_metadata": {"mlflow.sourceRun": run_id} if run_id else {},
        "tags": {"mlflow.traceName": name},
    }
    r = httpx.post(f"{url}/api/3.0/mlflow/traces", json={"trace": {"trace_info": info}}, timeout=60)
    assert r.status_code == 200, r.text
    return trace_id


@pytest.fixture(scope="module")
def traced() -> Iterator[tuple[str, dict[str, str]]]:
    chromium_or_skip()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        config = ServerConfig(
            backend_store_uri=f"sqlite:///{root / 's.db'}", artifacts_destination=str(root / "a")
        )
        with LiveServer(config) as url:
            client = MlflowClient(tracking_uri=url)
            exp = client.create_experiment("chatbot")
            run = client.create_run(exp, run_name="eval").info.run_id
            ids = {
                "experiment": exp,
                "run": run,
                "in_run": _trace(url, exp, "answer", run, '{"question": "hi"}'),
                "alone": _trace(url, exp, EVIL, None, EVIL),
            }
            yield url, ids


def _rows(browser, selector: str) -> list[list[str]]:
    return json.loads(
        browser.eval(
            f"JSON.stringify([...document.querySelectorAll({json.dumps(selector)} + ' tbody tr')]"
            ".map((tr) => [...tr.cells].map((c) => c.textContent)))"
        )
    )


def test_experiment_page_lists_its_traces(traced, browser):
    url, ids = traced
    open_page(
        browser,
        url,
        f"#/experiments/{ids['experiment']}",
        "document.querySelector('.experiment-traces table.traces')",
    )
    rows = _rows(browser, ".experiment-traces table.traces")
    assert sorted(r[0] for r in rows) == sorted([ids["in_run"], ids["alone"]])
    names = {r[0]: r[1] for r in rows}
    assert names[ids["in_run"]] == "answer"
    assert names[ids["alone"]] == EVIL  # shown as text
    assert all(r[2] == "OK" and r[4] == "250 ms" for r in rows)
    assert browser.eval("window.__pwned") is None
    assert browser.errors == []


def test_run_page_lists_only_the_runs_traces(traced, browser):
    url, ids = traced
    open_page(
        browser, url, f"#/runs/{ids['run']}", "document.querySelector('.run-traces table.traces')"
    )
    rows = _rows(browser, ".run-traces table.traces")
    assert [(r[0], r[1], r[5]) for r in rows] == [(ids["in_run"], "answer", '{"question": "hi"}')]
    assert browser.errors == []
