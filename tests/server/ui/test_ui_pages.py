"""Every page in headless chromium: titles, real values shown, HTML in names shown as text,
runs table (sort, filter completion, columns, nesting, chart view), charts, model pages."""

from __future__ import annotations

import json
import urllib.request

from ui_seed import EVIL, EVIL_FILE, open_page


def _count(b, selector: str) -> int:
    return int(b.eval(f"document.querySelectorAll({json.dumps(selector)}).length"))


def test_titles_favicon_and_no_script_from_names(seeded, browser):
    url, ids = seeded
    open_page(browser, url, "#/", "document.querySelector('table.experiments')")
    assert browser.eval("document.title") == "Experiments · modelyard"
    text = browser.text("main")
    assert "churn-classifier" in text and EVIL in text  # the HTML name is shown as text
    assert browser.eval("window.__pwned") is None
    assert _count(browser, "main img") == 0
    with urllib.request.urlopen(f"{url}/favicon.ico") as resp:
        assert resp.headers["Content-Type"] == "image/svg+xml" and b"<svg" in resp.read()
    routes = {
        f"#/experiments/{ids['experiment_id']}": "churn-classifier · Runs · modelyard",
        f"#/runs/{ids['xgb-tuned']}": "xgb-tuned · Run · modelyard",
        "#/models": "Registered models · modelyard",
        "#/models/churn-model": "churn-model · Model · modelyard",
        "#/models/churn-model/versions/2": "churn-model v2 · Model version · modelyard",
        f"#/compare?runs={ids['rf-baseline']},{ids['xgb-tuned']}": "Compare 2 runs · modelyard",
        "#/nowhere": "Not found · modelyard",
    }
    for route, title in routes.items():
        open_page(browser, url, route, f"document.title === {json.dumps(title)}")
    assert browser.errors == []


def test_runs_table_rows_nesting_and_deleted_badge(seeded, browser):
    url, ids = seeded
    exp = ids["experiment_id"]
    open_page(
        browser, url, f"#/experiments/{exp}", "document.querySelector('#run-count').dataset.total"
    )
    assert browser.eval("document.querySelector('#run-count').dataset.total") == "6"
    names = browser.eval(
        "[...document.querySelectorAll('.vt-row .run-name a')].map((a) => a.textContent)"
    )
    assert set(names) == {"rf-baseline", "xgb-tuned", "automl-parent", EVIL}  # children folded
    assert browser.eval("window.__pwned") is None
    assert "(2)" in browser.text(f".vt-row[data-run-id='{ids['parent']}']")
    browser.click(f".vt-row[data-run-id='{ids['parent']}'] .twisty")
    browser.wait("document.querySelectorAll('.vt-row').length === 6")
    names = browser.eval(
        "[...document.querySelectorAll('.vt-row .run-name a')].map((a) => a.textContent)"
    )
    i = names.index("automl-parent")
    assert sorted(names[i + 1 : i + 3]) == ["trial-0", "trial-1"]
    browser.click(f".vt-row[data-run-id='{ids['parent']}'] .twisty")
    browser.wait("document.querySelectorAll('.vt-row').length === 4")
    # header is pinned: sticky inside the scroll container
    assert browser.eval("getComputedStyle(document.querySelector('.vt-head')).position") == "sticky"


def test_runs_table_sort_filter_and_completion(seeded, browser):
    url, ids = seeded
    exp = ids["experiment_id"]
    open_page(
        browser, url, f"#/experiments/{exp}", "document.querySelector('#run-count').dataset.total"
    )
    browser.click_text("f1_score", ".vt-sort")  # sort by the metric, DESC first
    browser.wait("location.hash.includes('f1_score')")
    browser.wait("document.querySelector('#run-count').dataset.total")
    first = browser.eval("document.querySelector('.vt-row .run-name a').textContent")
    assert first == "xgb-tuned"
    # completion of metric names, accepted with the keyboard
    browser.eval("document.querySelector('[aria-label=\"Run filter\"]').focus()")
    browser.fill("[aria-label='Run filter']", "metrics.f1")
    browser.wait("!document.querySelector('#filter-completions').hidden")
    assert browser.text("#filter-completions") == "f1_score"
    browser.key("Enter")
    assert (
        browser.eval("document.querySelector('[aria-label=\"Run filter\"]').value")
        == "metrics.f1_score "
    )
    browser.fill("[aria-label='Run filter']", "metrics.f1_score > 0.85")
    browser.eval("document.querySelector('form.toolbar').requestSubmit()")
    browser.wait("document.querySelector('#run-count').dataset.total === '1'")
    assert browser.text(".vt-row .run-name") == "xgb-tuned"
    # the syntax help
    browser.click(".help-btn")
    assert "LIKE" in browser.text("#filter-help")
    # a bad filter: the server's message in place of the rows
    open_page(
        browser,
        url,
        f"#/experiments/{exp}?filter=metrics.nope%20%3E%20x",
        "document.querySelector('.error')",
    )
    assert "INVALID_PARAMETER_VALUE" in browser.text(".error")


def test_columns_menu_keyboard_focus_and_persistence(seeded, browser):
    url, ids = seeded
    exp = ids["experiment_id"]
    open_page(
        browser, url, f"#/experiments/{exp}", "document.querySelector('#run-count').dataset.total"
    )
    browser.eval("localStorage.clear()")
    browser.reload()
    browser.wait(
        "document.querySelector('#run-count') && document.querySelector('#run-count').dataset.total"
    )
    browser.click("[aria-controls='columns-menu']")
    assert browser.eval("document.getElementById('columns-menu').contains(document.activeElement)")
    team = "[...document.querySelectorAll('#columns-menu label')].find((l) => l.textContent.trim() === 'team').querySelector('input')"
    browser.eval(f"{team}.focus()")
    browser.key(" ", code="Space", text=" ")  # toggles the checkbox with the keyboard
    browser.wait(f"{team}.checked")
    assert browser.eval(f"document.activeElement === {team}")  # focus kept after the redraw
    headers = browser.eval("[...document.querySelectorAll('.vt-th')].map((t) => t.textContent)")
    assert "team" in headers
    browser.key("Escape")
    assert browser.eval("document.getElementById('columns-menu').hidden")
    assert browser.eval("document.activeElement.getAttribute('aria-controls')") == "columns-menu"
    stored = json.loads(browser.eval(f"localStorage.getItem('modelyard.columns.{exp}')"))
    assert stored["tags"] == ["team"]
    browser.reload()
    browser.wait(
        "document.querySelector('#run-count') && document.querySelector('#run-count').dataset.total"
    )
    assert "team" in browser.eval(
        "[...document.querySelectorAll('.vt-th')].map((t) => t.textContent)"
    )


def test_runs_chart_view_bars_scatter_parallel(seeded, browser):
    url, ids = seeded
    exp = ids["experiment_id"]
    open_page(
        browser,
        url,
        f"#/experiments/{exp}?mode=chart",
        "document.querySelector('.runchart-area canvas')",
    )
    assert (
        browser.eval("document.querySelector('.runchart-area').dataset.bars") == "4"
    )  # runs with f1
    browser.eval(
        "{ const s = document.querySelector('[aria-label=\"Chart type\"]'); s.value = 'parallel'; s.dispatchEvent(new Event('change')); }"
    )
    browser.wait("document.querySelector('.runchart-area svg.parallel')")
    assert browser.eval("document.querySelector('.runchart-area').dataset.lines") == "2"  # lr + f1
    browser.eval(
        "{ const s = document.querySelector('[aria-label=\"Chart type\"]'); s.value = 'scatter'; s.dispatchEvent(new Event('change')); }"
    )
    browser.wait("document.querySelector('.runchart-area').dataset.points")
    assert browser.eval("document.querySelector('.runchart-area').dataset.points") == "2"


def test_run_page_charts_and_safe_description(seeded, browser):
    url, ids = seeded
    open_page(
        browser,
        url,
        f"#/runs/{ids['xgb-tuned']}",
        "document.querySelector('.chart[data-state=ready]')",
    )
    assert (
        browser.eval("document.querySelector('.chart[data-metric=f1_score]').dataset.points")
        == "10"
    )
    assert "last 0.87" in browser.text(".chart[data-metric=f1_score] .chart-note")
    # log scale and wall-time axis redraw the same points
    browser.click(".chart[data-metric=f1_score] input[type=checkbox]")
    browser.eval(
        "{ const s = document.querySelector('.chart[data-metric=f1_score] select'); s.value = 'wall'; s.dispatchEvent(new Event('change')); }"
    )
    assert (
        browser.eval("document.querySelector('.chart[data-metric=f1_score]').dataset.points")
        == "10"
    )
    assert "churn-lm" in browser.text("section:has(.logged-models)")
    open_page(browser, url, f"#/runs/{ids['evil']}", "document.querySelector('.markdown')")
    md = browser.eval("document.querySelector('.markdown').innerHTML")
    assert "<strong>bold</strong>" in md and "&lt;script&gt;" in md and "<script" not in md
    assert browser.eval("document.querySelectorAll('.markdown li').length") == 2
    assert EVIL in browser.text("table.tags")
    browser.wait("document.querySelector('.tree')")
    assert EVIL_FILE in browser.text(".tree")  # an artifact file name, shown as text
    browser.click(".tree button.file")
    browser.wait("document.querySelector('.file-text')")
    assert browser.text(".file-text") == "not markup"
    assert browser.eval("window.__pwned") is None


def test_one_broken_chart_leaves_the_others(seeded, browser):
    url, ids = seeded
    open_page(
        browser,
        url,
        f"#/runs/{ids['xgb-tuned']}",
        "document.querySelector('.chart[data-state=ready]')",
    )
    # a chart of a metric the run does not have, next to a real one: each loads alone
    browser.eval(
        "import('./static-files/components/chart.js').then(({ chartGrid }) => {"
        f" const g = chartGrid(['f1_score', 'no-such'], [{{ id: '{ids['xgb-tuned']}', label: 'x' }}, {{ id: 'bad', label: 'bad' }}]);"
        " g.id = 'probe'; document.querySelector('main').append(g); })"
    )
    browser.wait("document.querySelectorAll('#probe .chart[data-state=error]').length === 2")
    assert "INVALID_PARAMETER_VALUE" in browser.text(
        "#probe .chart .error"
    ) or "RESOURCE_DOES_NOT_EXIST" in browser.text("#probe .chart .error")
    assert _count(browser, "main > .page .chart[data-state=ready]") >= 1


def test_compare_page(seeded, browser):
    url, ids = seeded
    open_page(
        browser,
        url,
        f"#/compare?runs={ids['rf-baseline']},{ids['xgb-tuned']}",
        "document.querySelector('.chart[data-state=ready]')",
    )
    assert browser.eval("document.querySelector('h1').textContent") == "Compare 2 runs"
    assert (
        browser.eval("document.querySelector('.chart[data-metric=f1_score]').dataset.points")
        == "20"
    )
    assert _count(browser, "table.compare tr.diff") >= 1
    open_page(browser, url, f"#/compare?runs={ids['rf-baseline']}", "document.querySelector('h1')")
    assert browser.eval("document.querySelector('h1').textContent") == "One run"


def test_model_version_and_logged_model_pages(seeded, browser):
    url, ids = seeded
    open_page(
        browser, url, "#/models/churn-model/versions/3", "document.querySelector('table.signature')"
    )
    text = browser.text("main")
    assert "tenure" in text and "double" in text and "churn" in text and "long" in text
    assert '"gold"' in text  # the input example
    assert "xgb-tuned" in text  # source run
    open_page(
        browser, url, "#/models/churn-model/versions/2", "document.querySelector('table.history')"
    )
    assert "champion" in browser.text("table.history") and "Production" in browser.text(
        "table.history"
    )
    open_page(
        browser,
        url,
        f"#/logged-models/{ids['model_id']}",
        "document.querySelector('table.signature')",
    )
    assert "churn-lm" in browser.text("h1") and "tenure" in browser.text("table.signature")
    open_page(browser, url, "#/models/churn-model", "document.querySelector('table.versions')")
    assert (
        browser.eval("document.querySelector('table.versions a').getAttribute('href')")
        == "#/models/churn-model/versions/3"
    )
    open_page(browser, url, "#/models/churn-model/versions/99", "document.querySelector('.error')")
    assert "RESOURCE_DOES_NOT_EXIST" in browser.text(".error")


def test_keyboard_skip_link_visible_focus_and_dialog_focus(seeded, browser):
    url, ids = seeded
    browser.goto(f"{url}/#/runs/{ids['xgb-tuned']}")
    browser.wait("document.querySelector('h1 .badge')")
    browser.key("Tab")
    assert browser.eval("document.activeElement.className") == "skip"
    assert browser.eval("getComputedStyle(document.activeElement).outlineStyle") == "solid"
    browser.key("Enter")
    assert browser.eval("document.activeElement.id") == "main"
    # a dialog opened from the keyboard takes focus and gives it back when closed
    rename = "[...document.querySelectorAll('button')].find((b) => b.textContent === 'Rename')"
    browser.eval(f"{rename}.focus()")
    browser.key("Enter")
    browser.wait("document.querySelector('dialog[open]')")
    assert browser.eval("document.activeElement.name") == "name"
    browser.key("Escape")
    browser.wait("!document.querySelector('dialog[open]')")
    assert browser.eval(f"document.activeElement === {rename}")
