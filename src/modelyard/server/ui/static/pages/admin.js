// Admin pages (auth on, admins only; the server refuses everyone else anyway): users (create,
// delete, make or remove admin, reset password), the grants of one user on experiments and
// registered models (grant, change, revoke), and the audit log of authentication events.
import { del, get, patch, post, v3 } from "../api.js";
import { actionButton, actions } from "../components/action.js";
import { formDialog } from "../components/dialog.js";
import { empty, errorBox, errorText, fmtTime, h, loading, mount, table } from "../dom.js";
import { session } from "../session.js";

const PERMISSIONS = ["READ", "USE", "EDIT", "MANAGE", "NO_PERMISSIONS"];
const userHref = (name) => `#/admin/users/${encodeURIComponent(name)}`;

export async function usersPage(root, { alive, refresh }) {
  const username = h("input", { name: "new-username", type: "text", placeholder: "Username", "aria-label": "New username", required: true, autocomplete: "off" });
  const password = h("input", { name: "new-password", type: "password", placeholder: "Password (8+ characters)", "aria-label": "New user's password", required: true, autocomplete: "new-password" });
  const admin = h("input", { name: "new-admin", type: "checkbox", id: "new-admin" });
  const error = h("span", { class: "action-error", role: "alert", hidden: true });
  const form = h("form", { class: "toolbar user-create", onsubmit: async (e) => {
    e.preventDefault();
    error.hidden = true;
    try {
      await post("users/create", { username: username.value.trim(), password: password.value });
      if (admin.checked) await patch("users/update-admin", { username: username.value.trim(), is_admin: true });
      refresh();
    } catch (err) {
      error.textContent = errorText(err);
      error.hidden = false;
    }
  } }, username, password, h("label", { for: "new-admin" }, admin, " admin"), h("button", { type: "submit", class: "primary" }, "Create user"), error);
  const list = h("div", {}, loading());
  mount(root, h("h1", {}, "Users"), form, list);
  try {
    const r = await get("users/list");
    if (!alive()) return;
    const users = (r.users || []).slice().sort((a, b) => a.username.localeCompare(b.username));
    mount(list, table(["Username", "Role", "Actions"], users.map((u) => {
      const self = u.username === session.user?.username;
      return [
        h("a", { href: userHref(u.username) }, u.username),
        u.is_admin ? h("span", { class: "badge admin-badge" }, "admin") : "user",
        actions(
          h("a", { href: userHref(u.username), class: "small" }, "Permissions"),
          self ? null : actionButton(u.is_admin ? "Remove admin" : "Make admin",
            () => patch("users/update-admin", { username: u.username, is_admin: !u.is_admin }), { cls: "small", done: refresh }),
          self ? null : h("button", { type: "button", class: "small", onclick: () => formDialog(`Reset password of ${u.username}`,
            [{ name: "password", label: "New password (8+ characters)", required: true }],
            (v) => patch("users/update-password", { username: u.username, password: v.password }),
            { confirm: "Reset password", note: "Their sessions end; their tokens keep working." }) }, "Reset password"),
          self ? null : actionButton("Delete", () => del("users/delete", { username: u.username }), {
            danger: true, cls: "small", done: refresh,
            confirm: { title: "Delete user?", message: `"${u.username}" can no longer sign in; their tokens and grants are removed.` },
          })),
      ];
    }), { class: "users" }));
  } catch (err) {
    mount(list, errorBox(err, refresh));
  }
}

const RESOURCES = {
  experiment: { label: "Experiment", update: "experiments/permissions/update", field: "experiment_id" },
  registered_model: { label: "Registered model", update: "registered-models/permissions/update", field: "name" },
};

export async function userPermissionsPage(root, username, { alive, refresh }) {
  const list = h("div", {}, loading());
  const kind = h("select", { name: "grant-type", "aria-label": "Resource type" }, Object.entries(RESOURCES).map(([v, r]) => h("option", { value: v }, r.label)));
  const resource = h("input", { name: "grant-resource", type: "text", list: "grant-choices", placeholder: "Experiment ID or model name", "aria-label": "Resource", required: true, autocomplete: "off" });
  const choices = h("datalist", { id: "grant-choices" });
  const permission = h("select", { name: "grant-permission", "aria-label": "Permission" }, PERMISSIONS.map((p) => h("option", { value: p }, p)));
  const error = h("span", { class: "action-error", role: "alert", hidden: true });
  const names = { experiment: new Map(), registered_model: new Map() };
  const fillChoices = () => mount(choices, [...names[kind.value]].map(([id, label]) => h("option", { value: id }, label)));
  kind.addEventListener("change", fillChoices);
  const form = h("form", { class: "toolbar grant-form", onsubmit: async (e) => {
    e.preventDefault();
    error.hidden = true;
    try {
      await v3("POST", "users/permissions/grant", { username, resource_type: kind.value, resource_id: resource.value.trim(), permission: permission.value });
      resource.value = "";
      await load();
    } catch (err) {
      error.textContent = errorText(err);
      error.hidden = false;
    }
  } }, kind, resource, choices, permission, h("button", { type: "submit", class: "primary" }, "Grant"), error);
  mount(root, h("p", { class: "crumbs" }, h("a", { href: "#/admin/users" }, "Users"), " / ", username),
    h("h1", {}, `Permissions of ${username}`), form, list);
  const load = async () => {
    const r = await v3("GET", "users/permissions/list", { username });
    if (!alive()) return;
    const rows = (r.permissions || []).filter((p) => RESOURCES[p.resource_type]);
    const label = (p) => names[p.resource_type].get(p.resource_pattern);
    mount(list,
      r.is_admin ? h("p", { class: "muted" }, `${username} is an admin: admins may do everything, whatever their grants.`) : null,
      rows.length ? table(["Type", "Resource", "Permission", ""], rows.map((p) => {
        const res = RESOURCES[p.resource_type];
        const change = h("select", { "aria-label": `Permission on ${p.resource_pattern}`, class: "grant-change", onchange: async () => {
          try {
            await patch(res.update, { [res.field]: p.resource_pattern, username, permission: change.value });
            await load();
          } catch (err) {
            change.value = p.permission;
            error.textContent = errorText(err);
            error.hidden = false;
          }
        } }, PERMISSIONS.filter((x) => x !== "NO_PERMISSIONS" || p.permission === x).map((x) => h("option", { value: x }, x)));
        change.value = p.permission;
        return [res.label, label(p) ? `${label(p)} (${p.resource_pattern})` : p.resource_pattern, change,
          actionButton("Revoke", () => v3("POST", "users/permissions/revoke", { username, resource_type: p.resource_type, resource_id: p.resource_pattern }),
            { danger: true, cls: "small", done: load, confirm: { title: "Revoke permission?", message: `${username} falls back to the server's default permission on this ${res.label.toLowerCase()}.` } })];
      }), { class: "grants" }) : empty(`${username} has no grants: the server's default permission applies everywhere.`));
  };
  try {
    const [exps, models] = await Promise.all([
      post("experiments/search", { max_results: 1000, view_type: "ALL" }).catch(() => ({})),
      get("registered-models/search", { max_results: 1000 }).catch(() => ({})),
    ]);
    for (const e of exps.experiments || []) names.experiment.set(e.experiment_id, e.name);
    for (const m of models.registered_models || []) names.registered_model.set(m.name, m.name);
    fillChoices();
    await load();
  } catch (err) {
    mount(list, errorBox(err, refresh));
  }
}

export async function auditPage(root, { alive, refresh }) {
  const list = h("div", {}, loading());
  mount(root, h("h1", {}, "Audit log"), h("p", { class: "muted" }, "Sign-ins, tokens, users and permission changes, newest first."), list);
  const events = [];
  let more = true;
  const load = async () => {
    const before = events.length ? events[events.length - 1].id : undefined;
    const r = await get("users/audit/list", { max_results: 100, before_id: before });
    if (!alive()) return;
    const page = r.events || [];
    events.push(...page);
    more = page.length === 100;
    mount(list, events.length ? table(["Time", "Event", "User", "By", "Address", "Detail"], events.map((e) => [
      fmtTime(e.timestamp), h("span", { class: `badge audit-${e.event}` }, e.event), e.username || "", e.actor || "", e.address || "", e.detail || "",
    ]), { class: "audit" }) : empty("No events yet."),
    more ? h("button", { class: "more", onclick: () => load().catch((err) => list.append(errorBox(err))) }, "Older events") : null);
  };
  try { await load(); } catch (err) { mount(list, errorBox(err, refresh)); }
}
