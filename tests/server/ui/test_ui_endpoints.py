"""Serving endpoints in headless chromium: "Enable serving" from a model version, the endpoint
page (served models, traffic split edited, live figures from the inference table, tokens
created and revoked), the list, a refusal shown in the dialog, delete. Each step is checked
through the Python API on the same serving home afterwards."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator

import pytest
from ui_seed import confirm, dialog_fill, open_page

from modelyard.serving import endpoints
from modelyard.serving._inference_log import InferenceLogger


@pytest.fixture(scope="module", autouse=True)
def serving_home() -> Iterator[str]:
    """The serving home the in-process live server reads (MODELYARD_SERVING_HOME)."""
    old = os.environ.get("MODELYARD_SERVING_HOME")
    with tempfile.TemporaryDirectory() as home:
        os.environ["MODELYARD_SERVING_HOME"] = home
        try:
            yield home
        finally:
            if old is None:
                os.environ.pop("MODELYARD_SERVING_HOME", None)
            else:
                os.environ["MODELYARD_SERVING_HOME"] = old


def test_enable_serving_split_figures_tokens_delete(seeded, browser):
    url, _ids = seeded
    open_page(browser, url, "#/endpoints", "document.querySelector('main .empty')")
    assert browser.eval("document.title") == "Serving endpoints · modelyard"

    # a refusal (no version 99) stays in the dialog, next to the form
    open_page(browser, url, "#/models/churn-model/versions/1", "document.querySelector('table')")
    browser.click_text("Enable serving…")
    browser.wait("document.querySelector('dialog[open]')")
    dialog_fill(browser, {"name": "churn-ui", "target": "99"})
    browser.wait("document.querySelector('dialog[open] .field-error:not([hidden])')")
    assert "99" in browser.text("dialog[open] .field-error")
    assert endpoints.list_endpoints() == []

    # the same dialog, corrected: the endpoint is created and its page opens
    dialog_fill(browser, {"name": "churn-ui", "target": "1", "workload": "Medium"})
    browser.wait(
        "location.hash === '#/endpoints/churn-ui' && document.querySelector('table.served')"
    )
    assert browser.eval("document.title") == "churn-ui · Serving endpoint · modelyard"
    assert "NOT READY" in browser.text("h1")  # no endpoint server answers yet
    served = endpoints.get_endpoint("churn-ui")
    assert served.workload_size == "medium"
    assert [
        (m["model_name"], m["model_version"], m["traffic_percentage"]) for m in served.served_models
    ] == [("churn-model", "1", 100)]

    # edit the split: 70 % to version 1, a new served model on the Production stage at 30 %
    browser.click_text("Edit traffic split…")
    browser.wait("document.querySelector('dialog[open]')")
    dialog_fill(
        browser,
        {
            "pct:primary": "70",
            "add_model": "churn-model",
            "add_target": "Production",
            "add_pct": "30",
        },
    )
    browser.wait(
        "!document.querySelector('dialog[open]') && document.querySelectorAll('table.served tbody tr').length === 2"
    )
    shares = [
        (m.get("stage"), m["traffic_percentage"])
        for m in endpoints.get_endpoint("churn-ui").served_models
    ]
    assert shares == [(None, 70), ("Production", 30)]

    # a split that does not add up is refused in the dialog; nothing changes
    browser.click_text("Edit traffic split…")
    browser.wait("document.querySelector('dialog[open]')")
    dialog_fill(browser, {"pct:primary": "90"})
    browser.wait("document.querySelector('dialog[open] .field-error:not([hidden])')")
    assert "100" in browser.text("dialog[open] .field-error")
    browser.eval("document.querySelector('dialog[open]').close()")
    assert [m["traffic_percentage"] for m in endpoints.get_endpoint("churn-ui").served_models] == [
        70,
        30,
    ]

    # live figures: requests appended to the endpoint's inference table show up on the page
    log = InferenceLogger(endpoints.inference_table_path("churn-ui"))
    for i in range(5):
        status = 500 if i == 4 else 200
        log.log(f"r{i}", "churn-ui", "primary", "churn-model", "1", status, 10.0 + i, "{}", "{}")
    log.close()
    browser.wait("document.querySelector('#endpoint-figures').dataset.requests === '5'", tries=600)
    figures = browser.text("#endpoint-figures table.figures")
    assert "primary" in figures and "20.0 %" in figures

    # a token for this endpoint: shown once, listed, revoked
    browser.click_text("Create token")
    browser.wait("document.querySelector('#new-token')")
    secret = browser.text("#new-token")
    assert secret.startswith("myd_")
    (token,) = [t for t in endpoints.list_tokens() if t["endpoint"] == "churn-ui"]
    assert "token" not in token
    browser.eval("location.hash = '#/endpoints'")
    open_page(browser, url, "#/endpoints/churn-ui", "document.querySelector('table.tokens')")
    assert token["token_id"] in browser.text("table.tokens")
    browser.click_text("Revoke")
    confirm(browser)
    browser.wait(
        "document.querySelector('table.tokens') && document.querySelector('table.tokens').innerText.includes('revoked')"
    )
    assert [t["revoked"] for t in endpoints.list_tokens() if t["endpoint"] == "churn-ui"] == [True]

    # the list shows it with its served models and shares
    open_page(browser, url, "#/endpoints", "document.querySelector('table.endpoints')")
    listed = browser.text("table.endpoints")
    assert "churn-ui" in listed and "v1 70%" in listed and "Production 30%" in listed

    # delete, confirmed
    open_page(browser, url, "#/endpoints/churn-ui", "document.querySelector('table.served')")
    browser.click_text("Delete endpoint")
    confirm(browser)
    browser.wait("location.hash === '#/endpoints' && document.querySelector('main .empty')")
    assert endpoints.list_endpoints() == []
    assert browser.errors == []
