// Personal access tokens of the signed-in user: create (optional name and expiry; the secret is
// shown once, with a copy button), list, revoke (confirmed). Tokens authenticate the MLflow client
// (MLFLOW_TRACKING_TOKEN) and the REST API (Authorization: Bearer <token>).
import { get, post } from "../api.js";
import { actionButton } from "../components/action.js";
import { empty, errorBox, errorText, fmtTime, h, loading, mount, table } from "../dom.js";

const EXPIRY = [["", "Never"], ["86400", "1 day"], ["604800", "7 days"], ["2592000", "30 days"], ["7776000", "90 days"], ["31536000", "1 year"]];

function tokenState(t) {
  if (t.revoked) return h("span", { class: "badge st-deleted" }, "revoked");
  if (t.expiry_time && t.expiry_time <= Date.now()) return h("span", { class: "badge st-failed" }, "expired");
  return h("span", { class: "badge st-finished" }, "active");
}

/** The secret of a new token, shown once, with a copy button. */
function secretBox(secret) {
  const code = h("code", { class: "mono token-secret" }, secret);
  const status = h("span", { class: "muted small", role: "status" });
  const copy = h("button", { type: "button", class: "copy-token", onclick: async () => {
    try {
      await navigator.clipboard.writeText(secret);
      status.textContent = "Copied.";
    } catch {
      getSelection().selectAllChildren(code); // no clipboard access: select it for Ctrl+C
      status.textContent = "Selected: press Ctrl+C to copy.";
    }
  } }, "Copy");
  return h("div", { class: "card token-created", role: "alert" },
    h("p", {}, h("strong", {}, "Your new token."), " Copy it now: it is not shown again."),
    h("p", {}, code, " ", copy, " ", status));
}

export async function tokensPage(root, { alive, refresh }) {
  const name = h("input", { name: "token-name", type: "text", placeholder: "Name (optional)", "aria-label": "Token name", maxlength: 256 });
  const expiry = h("select", { name: "token-expiry", "aria-label": "Expires" }, EXPIRY.map(([v, l]) => h("option", { value: v }, l)));
  const error = h("span", { class: "action-error", role: "alert", hidden: true });
  const created = h("div", {});
  const list = h("div", {}, loading());
  const load = async () => {
    const r = await get("users/tokens/list");
    if (!alive()) return;
    const tokens = (r.tokens || []).slice().sort((a, b) => b.id - a.id);
    mount(list, tokens.length ? table(["Name", "ID", "Created", "Expires", "State", ""], tokens.map((t) => [
      t.name || h("span", { class: "muted" }, "(unnamed)"), String(t.id), fmtTime(t.created_time),
      t.expiry_time ? fmtTime(t.expiry_time) : "never", tokenState(t),
      t.revoked ? "" : actionButton("Revoke", () => post("users/tokens/revoke", { token_id: t.id }), {
        danger: true, cls: "small", done: load,
        confirm: { title: "Revoke token?", message: `Token ${t.name ? `"${t.name}"` : t.id} stops working at once, for every client that uses it.` },
      }),
    ]), { class: "tokens" }) : empty("No tokens yet."));
  };
  const form = h("form", { class: "toolbar token-create", onsubmit: async (e) => {
    e.preventDefault();
    error.hidden = true;
    try {
      const r = await post("users/tokens/create", { name: name.value.trim() || undefined, expires_in_seconds: expiry.value || undefined });
      name.value = "";
      mount(created, secretBox(r.token));
      await load();
    } catch (err) {
      error.textContent = errorText(err);
      error.hidden = false;
    }
  } }, name, expiry, h("button", { type: "submit", class: "primary" }, "Create token"), error);
  mount(root, h("h1", {}, "Access tokens"),
    h("p", { class: "muted" }, "Use a token as MLFLOW_TRACKING_TOKEN, or as Authorization: Bearer <token>."),
    form, created, list);
  try { await load(); } catch (err) { mount(list, errorBox(err, refresh)); }
}
