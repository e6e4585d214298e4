"""The web UI: static routes, then headless chromium against a live, seeded server.

The browser part needs Debian's chromium (``apt-get install -y chromium``): it is skipped
when ``/usr/bin/chromium`` is missing, except in CI (``CI=true``) where it fails loudly.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import struct
import subprocess
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from modelyard.client import MlflowClient
from modelyard.server.config import ServerConfig
from modelyard.server.testing import LiveServer

CHROMIUM = "/usr/bin/chromium"


def _png(width: int = 96, height: int = 64) -> bytes:
    """A tiny valid RGB PNG (a red/blue gradient), built without an imaging library."""
    rows = b"".join(
        b"\x00"
        + b"".join(bytes((x * 255 // width, 90, 255 - y * 255 // height)) for x in range(width))
        for y in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def seed(url: str, workdir: Path) -> dict[str, str]:
    """Experiments, runs with metric histories, artifacts and a registered model."""
    client = MlflowClient(tracking_uri=url, registry_uri=url)
    exp_id = client.create_experiment("churn-classifier")
    client.create_experiment("forecasting")
    runs: dict[str, str] = {}
    for name, lr, depth, final in (("rf-baseline", 0.1, 6, 0.81), ("xgb-tuned", 0.05, 8, 0.87)):
        run = client.create_run(exp_id, run_name=name)
        rid = run.info.run_id
        runs[name] = rid
        client.log_param(rid, "learning_rate", lr)
        client.log_param(rid, "max_depth", depth)
        client.log_param(rid, "model", "forest")
        for step in range(10):
            client.log_metric(
                rid, "f1_score", round(final - 0.3 * (0.7**step - 0.7**9), 4), step=step
            )
            client.log_metric(rid, "loss", round(1.0 * 0.75**step, 4), step=step)
        client.log_metric(rid, "accuracy", final + 0.05, step=9)
        client.set_tag(rid, "team", "growth")
        client.set_terminated(rid, "FINISHED")
    rid = runs["xgb-tuned"]
    client.log_text(rid, "precision 0.88\nrecall 0.86\n", "report/summary.txt")
    client.log_dict(rid, {"features": ["tenure", "plan"], "threshold": 0.5}, "config.json")
    img = workdir / "confusion.png"
    img.write_bytes(_png())
    client.log_artifact(rid, str(img), "plots")
    client.create_registered_model("churn-model", description="Predicts customer churn.")
    for name in ("rf-baseline", "xgb-tuned"):
        client.create_model_version("churn-model", f"runs:/{runs[name]}/model", run_id=runs[name])
    client.transition_model_version_stage("churn-model", "1", "Staging")
    client.transition_model_version_stage("churn-model", "2", "Production")
    client.set_registered_model_alias("churn-model", "champion", "2")
    return {"experiment_id": exp_id, **runs}


@pytest.fixture(scope="module")
def live() -> Iterator[tuple[str, dict[str, str]]]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        config = ServerConfig(
            backend_store_uri=f"sqlite:///{root / 's.db'}",
            artifacts_destination=str(root / "art"),
        )
        with LiveServer(config) as url:
            yield url, seed(url, root)


def _get(url: str) -> tuple[int, str, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=60) as resp:
            return resp.status, resp.headers.get("Content-Type", ""), resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers.get("Content-Type", ""), err.read()


# ------------------------------------------------------------------ static routes
def test_index_and_static_files(live):
    url, _ = live
    status, ctype, body = _get(f"{url}/")
    assert status == 200
    assert ctype.startswith("text/html")
    assert b'src="static-files/app.js"' in body
    for name, kind in (
        ("app.js", "text/javascript"),
        ("app.css", "text/css"),
        ("components/chart.js", "text/javascript"),
        ("pages/runs_table.js", "text/javascript"),
        ("vendor/uplot/uPlot.iife.min.js", "text/javascript"),
        ("vendor/uplot/uPlot.min.css", "text/css"),
        ("favicon.svg", "image/svg+xml"),
    ):
        status, ctype, body = _get(f"{url}/static-files/{name}")
        assert (status, ctype.split(";")[0]) == (200, kind), name
        assert body


@pytest.mark.parametrize(
    "path",
    [
        "/static-files/../__init__.py",
        "/static-files/%2e%2e/__init__.py",
        "/static-files/..%2f__init__.py",
        "/static-files/%2e%2e%2f%2e%2e%2fapp.py",
        "/static-files//etc/passwd",
        "/static-files/missing.js",
    ],
)
def test_static_files_stay_inside_the_static_dir(live, path):
    url, _ = live
    status, ctype, body = _get(url + path)
    assert status == 404
    assert ctype.startswith("application/json")
    assert b"ENDPOINT_NOT_FOUND" in body or b"RESOURCE_DOES_NOT_EXIST" in body
    assert b"import" not in body and b"root:" not in body


def test_ui_under_a_static_prefix(tmp_path):
    config = ServerConfig(
        backend_store_uri=f"sqlite:///{tmp_path / 's.db'}",
        artifacts_destination=str(tmp_path / "art"),
        static_prefix="/yard",
    )
    with LiveServer(config) as url:
        assert url.endswith("/yard")
        status, ctype, body = _get(url)  # redirected to /yard/
        assert (status, ctype.split(";")[0]) == (200, "text/html")
        status, ctype, _ = _get(f"{url}/static-files/app.js")
        assert (status, ctype.split(";")[0]) == (200, "text/javascript")


def test_api_still_answers_json(live):
    url, _ = live
    status, ctype, _ = _get(f"{url}/ajax-api/2.0/mlflow/experiments/get?experiment_id=0")
    assert (status, ctype) == (200, "application/json")


# ------------------------------------------------------------------ headless chromium
def _chromium() -> str:
    if not os.path.exists(CHROMIUM):
        message = f"{CHROMIUM} is missing: apt-get update && apt-get install -y chromium"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return CHROMIUM


def dump_dom(
    url: str,
    budget_ms: int = 4000,
    screenshot: Path | None = None,
    width: int = 1280,
    height: int = 1000,
) -> str:
    """The DOM chromium renders for ``url`` once the page's fetches have settled.

    ``budget_ms`` is chromium's *virtual* time, which stands still while fetches are pending, so
    a slow machine or server does not cut the page short."""
    profile = tempfile.mkdtemp(prefix="modelyard-ui-chromium-")
    try:
        args = [
            _chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            f"--user-data-dir={profile}",
            f"--window-size={width},{height}",
            f"--virtual-time-budget={budget_ms}",
        ]
        args += [f"--screenshot={screenshot}"] if screenshot else ["--dump-dom"]
        done = subprocess.run(args + [url], capture_output=True, text=True, timeout=180)
        assert done.returncode == 0, done.stderr[-2000:]
        return done.stdout
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def test_experiments_page(live):
    url, ids = live
    dom = dump_dom(f"{url}/#/")
    assert "churn-classifier" in dom and "forecasting" in dom
    assert f'href="#/experiments/{ids["experiment_id"]}"' in dom
    dom = dump_dom(f"{url}/#/?q=CHURN")
    assert "churn-classifier" in dom and "forecasting" not in dom


def test_experiment_runs_table_filter_and_sort(live):
    url, ids = live
    dom = dump_dom(f"{url}/#/experiments/{ids['experiment_id']}")
    assert "rf-baseline" in dom and "xgb-tuned" in dom
    assert "0.87" in dom and "FINISHED" in dom  # latest f1_score, status badge
    assert "2 runs" in dom  # the total count
    flt = urllib.parse.quote("filter=metrics.f1_score > 0.85", safe="=")
    dom = dump_dom(f"{url}/#/experiments/{ids['experiment_id']}?{flt}")
    assert "xgb-tuned" in dom and "rf-baseline" not in dom
    dom = dump_dom(f"{url}/#/experiments/{ids['experiment_id']}?filter=metrics.nope%20%3E%20x")
    assert 'class="error"' in dom and "INVALID_PARAMETER_VALUE" in dom
    order = urllib.parse.quote("order=metrics.`f1_score` ASC", safe="=")
    dom = dump_dom(f"{url}/#/experiments/{ids['experiment_id']}?{order}")
    assert dom.index("rf-baseline") < dom.index("xgb-tuned")


def test_run_page(live):
    url, ids = live
    dom = dump_dom(f"{url}/#/runs/{ids['xgb-tuned']}")
    assert "xgb-tuned" in dom
    assert "learning_rate" in dom and "0.05" in dom  # a param
    assert "0.87" in dom  # f1_score latest value
    assert "growth" in dom  # a tag
    assert 'data-metric="f1_score" data-state="ready" data-points="10"' in dom  # a uPlot chart
    assert "<canvas" in dom
    assert "report" in dom and "config.json" in dom and "plots" in dom  # artifact tree


def test_run_artifact_previews(live):
    url, ids = live
    run = f"{url}/#/runs/{ids['xgb-tuned']}?file="
    dom = dump_dom(run + "report/summary.txt")
    assert 'class="file-text">precision 0.88' in dom
    dom = dump_dom(run + "config.json")
    assert '"threshold": 0.5' in dom  # pretty-printed JSON
    dom = dump_dom(run + "plots/confusion.png")
    src = re.search(r'<img src="([^"]+)"[^>]*class="artifact-img"', dom)
    assert src is not None and src.group(1).startswith("api/2.0/mlflow-artifacts/artifacts/")
    status, ctype, body = _get(f"{url}/{html.unescape(src.group(1))}")
    assert (status, ctype) == (200, "image/png")
    assert body.startswith(b"\x89PNG")


def test_compare_page(live):
    url, ids = live
    dom = dump_dom(f"{url}/#/compare?runs={ids['rf-baseline']},{ids['xgb-tuned']}")
    assert "rf-baseline" in dom and "xgb-tuned" in dom
    assert 'class="diff"' in dom  # learning_rate differs
    assert "Compare 2 runs" in dom
    assert dom.count('data-state="ready" data-points="20"') >= 2  # 2 runs x (f1_score, loss)


def test_models_pages(live):
    url, _ = live
    dom = dump_dom(f"{url}/#/models")
    assert "churn-model" in dom and "Production" in dom
    dom = dump_dom(f"{url}/#/models/churn-model")
    assert "Predicts customer churn." in dom
    assert "Staging" in dom and "Production" in dom and "champion" in dom
    assert "v2" in dom


def test_missing_run_shows_the_api_error(live):
    url, _ = live
    dom = dump_dom(f"{url}/#/runs/0123456789abcdef0123456789abcdef")
    assert "RESOURCE_DOES_NOT_EXIST" in dom
