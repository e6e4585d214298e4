"""AutoML from the UI in headless chromium: a CSV chosen in the file input (uploaded), target
and metric picked, the search started and followed until it finishes (after a page reload in
the middle), the trials table, "Register model" of the best trial; a server path outside the
allowed folders refused in the form."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sklearn.datasets import load_breast_cancer
from ui_browser import Browser, chromium_or_skip
from ui_seed import open_page

from modelyard.client import MlflowClient
from modelyard.server.config import ServerConfig
from modelyard.server.testing import LiveServer


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    chromium_or_skip()
    root = tmp_path_factory.mktemp("ui-automl")
    mp = pytest.MonkeyPatch()
    mp.setenv("MODELYARD_AUTOML_HOME", str(root / "automl"))
    config = ServerConfig(
        backend_store_uri=f"sqlite:///{root / 's.db'}", artifacts_destination=str(root / "art")
    )
    try:
        with LiveServer(config) as url:
            yield url, root
    finally:
        mp.undo()


def _set_file(b: Browser, selector: str, path: Path) -> None:
    """Choose ``path`` in a file input, as the file picker does (fires its change event)."""
    doc = b.send("DOM.getDocument")
    node = b.send("DOM.querySelector", nodeId=doc["root"]["nodeId"], selector=selector)
    b.send("DOM.setFileInputFiles", files=[str(path)], nodeId=node["nodeId"])


def _value(b: Browser, selector: str, value: str) -> None:
    b.eval(
        f"(() => {{ const el = document.querySelector({json.dumps(selector)}); el.value = "
        f"{json.dumps(value)}; el.dispatchEvent(new Event('change', {{bubbles: true}})); }})()"
    )


def test_cancel_from_the_progress_page(server, browser):
    url, root = server
    frame = load_breast_cancer(as_frame=True).frame.sample(200, random_state=7)
    data = root / "uploads-cancel.csv"
    frame[["mean radius", "worst area", "target"]].to_csv(data, index=False)
    open_page(browser, url, "#/automl", "document.querySelector('form.automl-form')")
    _set_file(browser, "#automl-file", data)
    browser.wait("document.querySelector('#automl-data-info').textContent.includes('200 rows')")
    browser.fill("#automl-timeout", "30")
    browser.eval("document.querySelector('form.automl-form').requestSubmit()")
    browser.wait(
        "location.hash.startsWith('#/automl/') && document.querySelector('.automl-status')"
    )
    run_id = browser.eval("location.hash.slice('#/automl/'.length)")
    browser.click_text("Cancel search")
    browser.wait("document.querySelector('dialog[open]')")
    browser.eval("document.querySelector('dialog[open] .dialog-actions button:last-child').click()")
    browser.wait("document.querySelector('.automl-status').dataset.status === 'KILLED'")
    assert MlflowClient(url).get_run(run_id).info.status == "KILLED"
    assert "cancelled by" in browser.text("main")
    assert browser.errors == []


def test_start_follow_and_register(server, browser):
    url, root = server
    frame = load_breast_cancer(as_frame=True).frame.sample(240, random_state=5)
    data = root / "cancer.csv"
    frame[["mean radius", "mean texture", "worst area", "target"]].to_csv(data, index=False)

    open_page(browser, url, "#/automl", "document.querySelector('form.automl-form')")
    assert browser.eval("document.title") == "AutoML · modelyard"
    assert browser.eval("document.querySelector('form.automl-form button[type=submit]').disabled")
    # the forecasting fields show only for forecasts
    time_col_shown = "document.querySelector('#automl-time-col').offsetParent !== null"
    assert browser.eval(time_col_shown) is False
    _value(browser, "#automl-problem", "forecast")
    assert browser.eval(time_col_shown) is True
    assert "smape" in browser.text("#automl-metric")
    _value(browser, "#automl-problem", "classification")
    assert browser.eval(time_col_shown) is False

    # a file on the server outside the allowed folders: refused, the message in the form
    browser.fill("#automl-path", "/etc/hostname")
    browser.click_text("Read columns")
    browser.wait("document.querySelector('form.automl-form .field-error:not([hidden])')")
    assert "outside the folders" in browser.text("form.automl-form .field-error")

    _set_file(browser, "#automl-file", data)
    browser.wait("document.querySelector('#automl-data-info').textContent.includes('240 rows')")
    assert browser.eval("document.querySelector('#automl-target').value") == "target"
    _value(browser, "#automl-metric", "roc_auc")
    browser.fill("#automl-max-trials", "2")
    browser.fill("#automl-timeout", "5")
    browser.fill("#automl-experiment", "ui-started")
    browser.eval("document.querySelector('form.automl-form').requestSubmit()")
    browser.wait(
        "location.hash.startsWith('#/automl/') ||"
        " document.querySelector('form.automl-form .field-error:not([hidden])')"
    )
    assert browser.eval("location.hash.startsWith('#/automl/')"), browser.errors or browser.text(
        "form.automl-form .field-error"
    )
    browser.wait("document.querySelector('.automl-status')")
    run_id = browser.eval("location.hash.slice('#/automl/'.length)")

    # the search runs in its own process: a reload loses nothing
    browser.reload()
    browser.wait("document.querySelector('.automl-status')")
    browser.wait(
        "document.querySelector('.automl-status').dataset.status !== 'RUNNING'",
        tries=2400,
        every=0.25,
    )
    assert browser.eval("document.querySelector('.automl-status').dataset.status") == "FINISHED"
    assert int(browser.eval("document.querySelector('.automl-status').dataset.trials")) >= 2
    trials = browser.text("table.automl-trials")
    assert "val_roc_auc" in trials and "trial_" in trials

    client = MlflowClient(url)
    run = client.get_run(run_id)
    best = run.data.tags["automl.best_run_id"]
    assert client.get_experiment(run.info.experiment_id).name == "ui-started"

    browser.click_text("Register model")
    browser.wait("document.querySelector('dialog[open]')")
    browser.eval("document.querySelector('dialog[open] [name=name]').value = 'ui-cancer'")
    browser.eval("document.querySelector('dialog[open] form').requestSubmit()")
    browser.wait("location.hash === '#/models/ui-cancer/versions/1'")
    version = client.get_model_version("ui-cancer", "1")
    assert version.run_id == best
    assert version.source.endswith("/model") or version.source.startswith("models:/")

    open_page(browser, url, "#/automl", "document.querySelector('table.automl-recent')")
    assert "ui-started" in browser.text("table.automl-recent")
    assert browser.errors == []
