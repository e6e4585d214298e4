// The login page (auth on, no session): username and password, POST auth/login, which sets the
// HttpOnly session cookie and answers the CSRF token. Wrong credentials and the rate limit of
// failed logins (HTTP 429) are shown above the form; `onDone()` runs once signed in.
import { authLogin } from "../api.js";
import { errorText, h, mount, setTitle } from "../dom.js";
import { applySession } from "../session.js";

export function loginPage(root, onDone) {
  setTitle("Sign in");
  const username = h("input", { id: "login-username", name: "username", type: "text", autocomplete: "username", required: true });
  const password = h("input", { id: "login-password", name: "password", type: "password", autocomplete: "current-password", required: true });
  const error = h("p", { class: "field-error login-error", role: "alert", hidden: true });
  const submit = h("button", { type: "submit", class: "primary" }, "Sign in");
  const form = h("form", { class: "login card", "aria-labelledby": "login-title", onsubmit: async (e) => {
    e.preventDefault();
    error.hidden = true;
    submit.disabled = true;
    try {
      applySession(await authLogin(username.value, password.value));
      onDone();
    } catch (err) {
      error.textContent = err.status === 429
        ? "Too many failed sign-in attempts: wait a few minutes before trying again."
        : errorText(err);
      error.hidden = false;
      password.value = "";
      password.focus();
    } finally {
      submit.disabled = false;
    }
  } },
  h("h1", { id: "login-title" }, "Sign in to modelyard"),
  h("label", { class: "field", for: "login-username" }, h("span", {}, "Username"), username),
  h("label", { class: "field", for: "login-password" }, h("span", {}, "Password"), password),
  error, h("div", { class: "dialog-actions" }, submit),
  h("p", { class: "muted small" }, "Scripts and the MLflow client sign in with basic auth or a personal access token instead."));
  mount(root, h("div", { class: "page" }, form));
  username.focus();
}
