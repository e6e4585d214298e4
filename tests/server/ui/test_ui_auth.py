"""The web UI with auth on, in headless chromium: the login page (a refusal, then success), the
"who am I" menu, tokens created and revoked in the UI (then refused by the REST API), the CSRF
token on the UI's writes, an admin creating a user and granting a permission, that user seeing
only what they may read, the login rate-limit message; and with auth off, none of it."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from ui_browser import Browser, chromium_or_skip

from modelyard.server.config import ServerConfig
from modelyard.server.testing import LiveServer

API = "/api/2.0/mlflow"
ADMIN = ("admin", "admin-password-1")


def _auth_server(root: Path) -> LiveServer:
    ini = root / "auth.ini"
    ini.write_text(f"[mlflow]\nadmin_password = {ADMIN[1]}\n")
    return LiveServer(
        ServerConfig(
            backend_store_uri=f"sqlite:///{root / 's.db'}",
            artifacts_destination=str(root / "art"),
            auth=True,
            auth_config=str(ini),
        )
    )


@pytest.fixture(scope="module")
def auth_url() -> Iterator[str]:
    chromium_or_skip()
    with tempfile.TemporaryDirectory() as tmp, _auth_server(Path(tmp)) as url:
        yield url


@pytest.fixture
def page() -> Iterator[Browser]:  # a fresh browser per test: no cookie carried over
    chromium_or_skip()
    with Browser() as b:
        yield b


def _login(b: Browser, url: str, username: str, password: str) -> None:
    if b.eval("location.origin") != url:
        b.goto(f"{url}/#/")
    b.wait("document.querySelector('#login-username')")
    b.fill("#login-username", username)
    b.fill("#login-password", password)
    b.eval("document.querySelector('form.login').requestSubmit()")


def _sign_out(b: Browser) -> None:
    b.click(".whoami-button")
    b.click(".whoami-menu .signout")
    b.wait("document.querySelector('#login-username')")


def _confirm(b: Browser) -> None:
    b.wait("document.querySelector('dialog[open]')")
    b.eval("document.querySelector('dialog[open] .dialog-actions button:last-child').click()")


def _row_click(b: Browser, table: str, row_text: str, button: str) -> None:
    found = b.eval(
        f"(() => {{ const r = [...document.querySelectorAll({json.dumps(table + ' tbody tr')})]"
        f".find((tr) => tr.innerText.includes({json.dumps(row_text)})); if (!r) return false;"
        f" const btn = [...r.querySelectorAll('button')].find((x) => x.textContent === {json.dumps(button)});"
        " if (!btn) return false; btn.click(); return true; })()"
    )
    assert found, (table, row_text, button)


def test_login_refusal_then_success_tokens_and_csrf(auth_url: str, page: Browser) -> None:
    b, url = page, auth_url
    b.goto(f"{url}/#/")
    b.wait("document.querySelector('#login-username')")
    assert b.eval("document.querySelector('.whoami').children.length") == 0
    _login(b, url, "admin", "not-the-password")
    b.wait("!document.querySelector('.login-error').hidden")
    assert "Invalid username or password" in b.text(".login-error")
    assert b.eval("document.querySelector('#login-password').value") == ""
    _login(b, url, *ADMIN)
    b.wait("document.querySelector('.whoami-name')")
    assert b.text(".whoami-name") == "admin"
    assert b.text(".whoami .admin-badge") == "admin"
    b.wait("document.querySelector('h1')?.textContent === 'Experiments'")
    # the session cookie is HttpOnly: the page cannot read it
    assert "modelyard_session" not in b.eval("document.cookie")
    # a write without the CSRF header is refused, the UI's own writes carry it
    refused = b.eval(
        "fetch('ajax-api/2.0/mlflow/experiments/create', {method: 'POST', headers: "
        "{'Content-Type': 'application/json'}, body: JSON.stringify({name: 'no-csrf'})})"
        ".then((r) => r.status)"
    )
    assert refused == 403
    # the menu has the token and admin pages
    b.click(".whoami-button")
    menu = b.text(".whoami-menu")
    assert "Access tokens" in menu and "Users and permissions" in menu and "Audit log" in menu
    b.click(".whoami-menu a[href='#/tokens']")
    b.wait("document.querySelector('form.token-create')")
    assert b.eval("document.querySelector('.whoami-menu').hidden")
    b.fill("[name=token-name]", "ci-token")
    b.eval("document.querySelector('[name=token-expiry]').value = '86400'")
    b.eval("document.querySelector('form.token-create').requestSubmit()")
    b.wait("document.querySelector('.token-secret')")
    secret = b.text(".token-secret")
    assert secret.startswith("myt_")
    b.wait("document.querySelector('table.tokens')?.innerText.includes('ci-token')")
    row = b.eval(
        "[...document.querySelectorAll('table.tokens tbody tr')]"
        ".find((r) => r.innerText.includes('ci-token')).innerText"
    )
    assert "active" in row and "never" not in row  # the expiry is shown
    bearer = {"Authorization": f"Bearer {secret}"}
    assert httpx.get(f"{url}{API}/users/current", headers=bearer).json()["user"]["username"] == (
        "admin"
    )
    # shown once: after a reload the list has the token, the page has no secret
    b.reload()
    b.wait("document.querySelector('table.tokens')?.innerText.includes('ci-token')")
    assert b.eval("document.querySelector('.token-secret')") is None
    assert secret not in b.text()
    _row_click(b, "table.tokens", "ci-token", "Revoke")
    _confirm(b)
    b.wait(
        "[...document.querySelectorAll('table.tokens tbody tr')]"
        ".find((r) => r.innerText.includes('ci-token'))?.innerText.includes('revoked')"
    )
    refused_token = httpx.get(f"{url}{API}/users/current", headers=bearer)
    assert refused_token.status_code == 401
    assert "revoked" in refused_token.json()["message"]
    # the audit page shows the events of this test
    b.eval("location.hash = '#/admin/audit'")
    b.wait("document.querySelector('table.audit')")
    audit = b.text("table.audit")
    for event in ("login_failure", "login_success", "token_created", "token_revoked"):
        assert event in audit
    _sign_out(b)
    assert b.eval("document.querySelector('.whoami').children.length") == 0
    # the session is over on the server too: a reload shows the login page again
    b.reload()
    b.wait("document.querySelector('#login-username')")
    assert b.errors == []


def test_admin_creates_user_who_sees_only_what_they_may(auth_url: str, page: Browser) -> None:
    b, url = page, auth_url
    with httpx.Client(base_url=url, auth=ADMIN) as admin:
        private = admin.post(f"{API}/experiments/create", json={"name": "private-exp"}).json()
        shared = admin.post(f"{API}/experiments/create", json={"name": "shared-exp"}).json()
    private_id, shared_id = private["experiment_id"], shared["experiment_id"]
    _login(b, url, *ADMIN)
    b.wait("document.querySelector('.whoami-name')")
    navs = "[...document.querySelectorAll('[data-nav]')].filter((a) => !a.hidden).length"
    assert b.eval(navs) == 5  # an admin gets every section
    b.eval("location.hash = '#/admin/users'")
    b.wait("document.querySelector('form.user-create') && document.querySelector('table.users')")
    # a refusal (password too short) next to the form, then the user is created
    b.fill("[name=new-username]", "ana")
    b.fill("[name=new-password]", "short")
    b.eval("document.querySelector('form.user-create').requestSubmit()")
    b.wait("!document.querySelector('form.user-create .action-error').hidden")
    assert "at least 8 characters" in b.text("form.user-create .action-error")
    b.fill("[name=new-password]", "ana-password-1")
    b.eval("document.querySelector('form.user-create').requestSubmit()")
    b.wait("document.querySelector('table.users')?.innerText.includes('ana')")
    # make admin, then back
    _row_click(b, "table.users", "ana", "Make admin")
    b.wait(
        "[...document.querySelectorAll('table.users tbody tr')]"
        ".find((r) => r.innerText.includes('ana'))?.innerText.includes('Remove admin')"
    )
    assert httpx.get(f"{url}{API}/users/get?username=ana", auth=ADMIN).json()["user"]["is_admin"]
    _row_click(b, "table.users", "ana", "Remove admin")
    b.wait(
        "[...document.querySelectorAll('table.users tbody tr')]"
        ".find((r) => r.innerText.includes('ana'))?.innerText.includes('Make admin')"
    )
    assert not httpx.get(f"{url}{API}/users/get?username=ana", auth=ADMIN).json()["user"][
        "is_admin"
    ]
    # grant READ on the shared experiment on ana's permissions page
    b.eval("location.hash = '#/admin/users/ana'")
    b.wait(
        "document.querySelector('form.grant-form') && document.querySelector('#grant-choices option')"
    )
    b.fill("[name=grant-resource]", shared_id)
    b.eval("document.querySelector('[name=grant-permission]').value = 'READ'")
    b.eval("document.querySelector('form.grant-form').requestSubmit()")
    b.wait("document.querySelector('table.grants')?.innerText.includes('shared-exp')")
    got = httpx.get(
        f"{url}{API}/experiments/permissions/get",
        params={"experiment_id": shared_id, "username": "ana"},
        auth=ADMIN,
    ).json()
    assert got["experiment_permission"]["permission"] == "READ"
    # the same grant again: the refusal is shown next to the form
    b.fill("[name=grant-resource]", shared_id)
    b.eval("document.querySelector('form.grant-form').requestSubmit()")
    b.wait("!document.querySelector('form.grant-form .action-error').hidden")
    _sign_out(b)
    # ana signs in: no admin badge or admin pages; the private experiment is not listed
    _login(b, url, "ana", "ana-password-1")
    b.wait("document.querySelector('.whoami-name')?.textContent === 'ana'")
    assert b.eval("document.querySelector('.whoami .admin-badge')") is None
    # the admin-only sections (monitors, AutoML, serving) are not offered in the header
    shown = "[...document.querySelectorAll('[data-nav]')].filter((a) => !a.hidden).map((a) => a.dataset.nav)"
    assert b.eval(shown) == ["experiments", "models"]
    b.wait("document.querySelector('table.experiments')")
    listed = b.text("table.experiments")
    assert "shared-exp" in listed and "private-exp" not in listed
    b.click(".whoami-button")
    assert "Users" not in b.text(".whoami-menu")
    b.eval(f"location.hash = '#/experiments/{private_id}'")
    b.wait("document.querySelector('.error')")
    assert "PERMISSION_DENIED" in b.text(".error")
    b.eval("location.hash = '#/admin/users'")
    b.wait("document.querySelector('h1')?.textContent === 'Not found'")
    # a password reset by the admin ends ana's session: the UI goes back to the login page
    httpx.patch(
        f"{url}{API}/users/update-password",
        json={"username": "ana", "password": "ana-password-2"},
        auth=ADMIN,
    ).raise_for_status()
    b.eval(f"location.hash = '#/experiments/{shared_id}'")
    b.wait("document.querySelector('#login-username')")


def test_login_rate_limit_message(page: Browser) -> None:
    with tempfile.TemporaryDirectory() as tmp, _auth_server(Path(tmp)) as url:
        for _ in range(10):
            r = httpx.post(f"{url}/auth/login", json={"username": "admin", "password": "wrong-one"})
            assert r.status_code == 401
        _login(page, url, *ADMIN)  # the right password, but too many failures before
        page.wait("!document.querySelector('.login-error').hidden")
        assert "Too many failed sign-in attempts" in page.text(".login-error")
        assert page.eval("document.querySelector('.whoami').children.length") == 0


def test_auth_off_has_no_login_menu_or_admin_pages(page: Browser) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        config = ServerConfig(
            backend_store_uri=f"sqlite:///{root / 's.db'}", artifacts_destination=str(root / "a")
        )
        with LiveServer(config) as url:
            assert httpx.get(f"{url}/auth/session").json() == {"auth_enabled": False}
            page.goto(f"{url}/#/")
            page.wait("document.querySelector('h1')?.textContent === 'Experiments'")
            assert page.eval("document.querySelector('#login-username')") is None
            assert page.eval("document.querySelector('.whoami').children.length") == 0
            for route in ("#/tokens", "#/admin/users", "#/admin/audit"):
                page.eval(f"location.hash = {json.dumps(route)}")
                page.wait("document.querySelector('h1')?.textContent === 'Not found'")
            assert page.errors == []
