"""Actions in headless chromium, each checked through the REST API afterwards: rename, delete
(with confirmation) and restore of runs and experiments, tags, descriptions, register a model
from a logged model, stage transitions with archive-existing, aliases, refusals shown next to
the control, and the banner when the server goes away and comes back."""

from __future__ import annotations

import socket
import tempfile
import threading
from pathlib import Path

import uvicorn
from ui_seed import confirm, dialog_fill, open_page

from modelyard.client import MlflowClient
from modelyard.server.app import create_app
from modelyard.server.config import ServerConfig


def test_run_rename_delete_restore_tags_and_description(seeded, browser):
    url, ids = seeded
    client = MlflowClient(tracking_uri=url)
    rid = ids["rf-baseline"]
    open_page(browser, url, f"#/runs/{rid}", "document.querySelector('h1 .badge')")
    browser.click_text("Rename")
    browser.wait("document.querySelector('dialog[open]')")
    dialog_fill(browser, {"name": "rf-renamed"})
    browser.wait(
        "document.querySelector('h1') && document.querySelector('h1').textContent.startsWith('rf-renamed')"
    )
    assert client.get_run(rid).info.run_name == "rf-renamed"
    # tags: add, then remove (confirmed)
    browser.fill("[aria-label='New tag key']", "owner")
    browser.fill("[aria-label='New tag value']", "ana")
    browser.eval("document.querySelector('form.tag-add').requestSubmit()")
    browser.wait(
        "document.querySelector('table.tags') && document.querySelector('table.tags').innerText.includes('owner')"
    )
    assert client.get_run(rid).data.tags["owner"] == "ana"
    browser.eval(
        "[...document.querySelectorAll('table.tags tr')].find((r) => r.innerText.includes('owner'))"
        ".querySelector('button').click()"
    )
    confirm(browser)
    browser.wait("!document.querySelector('table.tags').innerText.includes('owner')")
    assert "owner" not in client.get_run(rid).data.tags
    # a refused tag key: the server's message next to the form
    browser.fill("[aria-label='New tag key']", "bad key!")
    browser.eval("document.querySelector('form.tag-add').requestSubmit()")
    browser.wait("!document.querySelector('form.tag-add .action-error').hidden")
    assert "Invalid tag name" in browser.text("form.tag-add .action-error")
    # description (markdown)
    browser.click_text("Add description")
    browser.wait("document.querySelector('dialog[open] textarea')")
    dialog_fill(browser, {"text": "# Notes\nuses *entropy*"})
    browser.wait("document.querySelector('.markdown h3')")
    assert browser.text(".markdown em") == "entropy"
    assert client.get_run(rid).data.tags["mlflow.note.content"] == "# Notes\nuses *entropy*"
    # delete (confirmed) -> DELETED badge, then restore
    browser.click_text("Delete run")
    confirm(browser)
    browser.wait("document.querySelector('h1 .badge').textContent === 'DELETED'")
    assert client.get_run(rid).info.lifecycle_stage == "deleted"
    browser.click_text("Restore run")
    browser.wait("document.querySelector('h1 .badge').textContent === 'FINISHED'")
    assert client.get_run(rid).info.lifecycle_stage == "active"
    assert browser.errors == []


def test_cancelled_confirmation_does_nothing(seeded, browser):
    url, ids = seeded
    client = MlflowClient(tracking_uri=url)
    rid = ids["trial-0"]
    open_page(browser, url, f"#/runs/{rid}", "document.querySelector('h1 .badge')")
    browser.click_text("Delete run")
    browser.wait("document.querySelector('dialog[open]')")
    browser.key("Escape")
    browser.wait("!document.querySelector('dialog[open]')")
    assert client.get_run(rid).info.lifecycle_stage == "active"


def test_experiment_create_rename_refusal_delete_restore(seeded, browser):
    url, _ = seeded
    client = MlflowClient(tracking_uri=url)
    open_page(browser, url, "#/", "document.querySelector('table.experiments')")
    browser.click_text("New experiment")
    browser.wait("document.querySelector('dialog[open]')")
    dialog_fill(browser, {"name": "ui-made"})
    browser.wait("location.hash.startsWith('#/experiments/')")
    exp = client.get_experiment_by_name("ui-made")
    assert exp is not None and browser.eval("location.hash") == f"#/experiments/{exp.experiment_id}"
    open_page(browser, url, "#/", "document.querySelector('table.experiments')")
    row = "[...document.querySelectorAll('table.experiments tr')].find((r) => r.cells[0].textContent === 'ui-made')"
    browser.eval(f"{row}.querySelector('button').click()")  # Rename
    browser.wait("document.querySelector('dialog[open]')")
    dialog_fill(browser, {"name": "forecasting"})  # taken: refused, shown in the dialog
    browser.wait("!document.querySelector('dialog[open] .field-error').hidden")
    assert "forecasting" in browser.text("dialog[open] .field-error")
    dialog_fill(browser, {"name": "ui-renamed"})
    browser.wait(
        "document.querySelector('table.experiments') && document.querySelector('table.experiments').innerText.includes('ui-renamed')"
    )
    assert client.get_experiment(exp.experiment_id).name == "ui-renamed"
    row = "[...document.querySelectorAll('table.experiments tr')].find((r) => r.cells[0].textContent === 'ui-renamed')"
    browser.eval(f"{row}.querySelectorAll('button')[1].click()")  # Delete
    confirm(browser)
    browser.wait("!document.querySelector('table.experiments').innerText.includes('ui-renamed')")
    assert client.get_experiment(exp.experiment_id).lifecycle_stage == "deleted"
    open_page(browser, url, "#/?view=DELETED_ONLY", "document.querySelector('table.experiments')")
    browser.click_text("Restore")
    browser.wait(
        "!document.querySelector('table.experiments') || !document.querySelector('table.experiments').innerText.includes('ui-renamed')"
    )
    assert client.get_experiment(exp.experiment_id).lifecycle_stage == "active"


def test_runs_table_selection_delete_and_restore(seeded, browser):
    url, ids = seeded
    client = MlflowClient(tracking_uri=url)
    exp = ids["experiment_id"]
    open_page(
        browser, url, f"#/experiments/{exp}", "document.querySelector('#run-count').dataset.total"
    )
    browser.click(f".vt-row[data-run-id='{ids['xgb-tuned']}'] input[type=checkbox]")
    assert browser.eval(
        "[...document.querySelectorAll('button')].some((b) => b.textContent === 'Compare 1 run')"
    )
    browser.click_text("Delete 1 run")
    confirm(browser)
    browser.wait(
        f"!document.querySelector(\".vt-row[data-run-id='{ids['xgb-tuned']}']\") && document.querySelector('#run-count').dataset.total"
    )
    assert client.get_run(ids["xgb-tuned"]).info.lifecycle_stage == "deleted"
    open_page(
        browser,
        url,
        f"#/experiments/{exp}?view=DELETED_ONLY",
        "document.querySelector('#run-count').dataset.total === '1'",
    )
    assert browser.text(".vt-row .badge") == "DELETED"
    browser.click(f".vt-row[data-run-id='{ids['xgb-tuned']}'] input[type=checkbox]")
    browser.click_text("Restore 1 run")
    browser.wait(
        "document.querySelector('#run-count').dataset.total === ''  || !document.querySelector('.vt-row')"
    )
    assert client.get_run(ids["xgb-tuned"]).info.lifecycle_stage == "active"


def test_register_transition_alias_and_model_description(seeded, browser):
    url, ids = seeded
    client = MlflowClient(tracking_uri=url, registry_uri=url)
    open_page(
        browser,
        url,
        f"#/logged-models/{ids['model_id']}",
        "document.querySelector('table.signature')",
    )
    browser.click_text("Register model")
    browser.wait("document.querySelector('dialog[open]')")
    dialog_fill(browser, {"name": "ui-registered"})
    browser.wait("location.hash === '#/models/ui-registered/versions/1'")
    browser.wait("document.querySelector('table.signature')")
    mv = client.get_model_version("ui-registered", "1")
    assert mv.source == f"models:/{ids['model_id']}" and mv.run_id == ids["xgb-tuned"]
    # stage transition with archive-existing: v2 of churn-model is Production, move v1 there
    open_page(
        browser, url, "#/models/churn-model/versions/1", "document.querySelector('table.history')"
    )
    browser.click_text("Transition stage…")
    browser.wait("document.querySelector('dialog[open]')")
    dialog_fill(browser, {"stage": "Production", "archive": True})
    browser.wait(
        "document.querySelector('h1 .badge') && document.querySelector('h1 .badge').textContent === 'Production'"
    )
    assert client.get_model_version("churn-model", "1").current_stage == "Production"
    assert client.get_model_version("churn-model", "2").current_stage == "Archived"
    browser.wait(
        "document.querySelector('table.history') && document.querySelector('table.history').innerText.includes('Production')"
    )
    # alias: set, then remove (confirmed)
    browser.click_text("Set alias…")
    browser.wait("document.querySelector('dialog[open]')")
    dialog_fill(browser, {"alias": "blue"})
    browser.wait("document.querySelector('h1').innerText.includes('@blue')")
    assert client.get_model_version_by_alias("churn-model", "blue").version == "1"
    browser.click_text("× @blue")
    confirm(browser)
    browser.wait(
        "document.querySelector('h1') && !document.querySelector('h1').innerText.includes('@blue')"
    )
    assert "blue" not in client.get_registered_model("churn-model").aliases
    # an alias the server refuses: its message next to the form
    browser.click_text("Set alias…")
    browser.wait("document.querySelector('dialog[open]')")
    dialog_fill(browser, {"alias": "v1"})
    browser.wait("!document.querySelector('dialog[open] .field-error').hidden")
    assert browser.text("dialog[open] .field-error")
    browser.key("Escape")
    # model description and tag
    open_page(browser, url, "#/models/churn-model", "document.querySelector('table.versions')")
    browser.click_text("Edit description")
    browser.wait("document.querySelector('dialog[open] textarea')")
    dialog_fill(browser, {"text": "Churn **v2** <b>not html</b>"})
    browser.wait("document.querySelector('.markdown strong')")
    assert "<b>not html</b>" in browser.text(".markdown")
    assert client.get_registered_model("churn-model").description == "Churn **v2** <b>not html</b>"
    assert browser.errors == []


def _serve_on(port: int, config: ServerConfig) -> tuple[uvicorn.Server, threading.Thread]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    server = uvicorn.Server(
        uvicorn.Config(create_app(config), log_level="warning", access_log=False)
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    for _ in range(500):
        if server.started:
            break
        threading.Event().wait(0.02)
    return server, thread


def test_banner_when_the_server_goes_away_and_recovery(browser):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        config = ServerConfig(
            backend_store_uri=f"sqlite:///{root / 's.db'}", artifacts_destination=str(root / "art")
        )
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
        probe.close()
        server, thread = _serve_on(port, config)
        url = f"http://127.0.0.1:{port}"
        MlflowClient(tracking_uri=url).create_experiment("before-outage")
        browser.goto(f"{url}/#/")
        browser.wait("document.querySelector('table.experiments')")
        assert browser.eval("document.getElementById('offline-banner').hidden")
        server.should_exit = True
        thread.join(timeout=10)
        browser.eval("location.hash = '#/models'")
        browser.wait("!document.getElementById('offline-banner').hidden")
        assert "not answering" in browser.text("#offline-banner")
        assert "NETWORK_ERROR" in browser.text("main")
        server, thread = _serve_on(port, config)
        try:
            browser.wait("document.getElementById('offline-banner').hidden", tries=600)
            browser.wait(
                "document.querySelector('main').innerText.includes('No registered models yet')"
            )
        finally:
            server.should_exit = True
            thread.join(timeout=10)
