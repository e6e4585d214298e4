// Registered models (search, create) and one model: description (markdown), tags, rename,
// delete, versions with stage transitions (archive existing) and aliases, audit trail.
import { del, get, patch, post } from "../api.js";
import { actionButton, actions } from "../components/action.js";
import { formDialog } from "../components/dialog.js";
import { empty, errorBox, fmtTime, guarded, h, hashQuery, loading, mount, setTitle, table } from "../dom.js";
import { descriptionEditor, section, tagEditor } from "./run.js";

export const STAGES = ["None", "Staging", "Production", "Archived"];
export const stage = (s) => h("span", { class: `badge stage-${(s || "None").toLowerCase()}` }, s || "None");
export const aliasChip = (a) => h("span", { class: "chip" }, "@", a);
const esc = (s) => s.replaceAll("\\", "\\\\").replaceAll("'", "\\'");
export const versionHref = (name, v) => `#/models/${encodeURIComponent(name)}/versions/${encodeURIComponent(v)}`;

export function modelsPage(root, { alive, refresh }) {
  const q = hashQuery().get("q") || "";
  const search = h("input", { type: "search", value: q, placeholder: "Search models by name", "aria-label": "Search models" });
  const list = h("div", {}, loading());
  const create = h("button", { type: "button", class: "primary", onclick: async () => {
    const r = await formDialog("New registered model", [{ name: "name", label: "Name", required: true }, { name: "description", label: "Description (markdown)", type: "textarea" }],
      (v) => post("registered-models/create", { name: v.name.trim(), description: v.description || undefined }), { confirm: "Create" });
    if (r) location.hash = `#/models/${encodeURIComponent(r.registered_model.name)}`;
  } }, "New model");
  mount(root, h("h1", {}, "Registered models"),
    h("form", { class: "toolbar", onsubmit: (e) => { e.preventDefault(); location.hash = `#/models?${new URLSearchParams({ q: search.value.trim() })}`; } },
      search, h("button", {}, "Search"), h("span", { class: "grow" }), create),
    list);
  const models = [];
  let token;
  const load = async () => {
    const r = await get("registered-models/search", { filter: q ? `name ILIKE '%${esc(q)}%'` : undefined, max_results: 100, page_token: token, order_by: "name ASC" });
    if (!alive()) return;
    models.push(...(r.registered_models || []));
    token = r.next_page_token;
    const rows = models.map((m) => [
      h("a", { href: `#/models/${encodeURIComponent(m.name)}` }, m.name),
      h("span", {}, (m.latest_versions || []).map((v) => h("a", { class: "ver", href: versionHref(m.name, v.version) }, `v${v.version} `, stage(v.current_stage)))),
      h("span", {}, (m.aliases || []).map((a) => aliasChip(`${a.alias} → v${a.version}`))),
      fmtTime(m.last_updated_timestamp), h("span", { class: "clip" }, (m.description || "").split("\n")[0])]);
    mount(list, models.length ? table(["Name", "Latest versions", "Aliases", "Last modified", "Description"], rows, { class: "models" })
      : empty(q ? "No models match." : "No registered models yet."),
    token ? h("button", { class: "more", onclick: () => load().catch((e) => list.append(errorBox(e))) }, "Load more") : null);
  };
  return load().catch((err) => mount(list, errorBox(err, refresh)));
}

/** Stage transition dialog (with "archive existing versions in that stage"). */
export const transitionDialog = (name, v) => formDialog(`Stage of ${name} v${v.version}`, [
  { name: "stage", label: "New stage", type: "select", options: STAGES, value: v.current_stage === "Production" ? "Archived" : "Production" },
  { name: "archive", label: "Archive the versions now in that stage", type: "checkbox", value: true },
], (f) => post("model-versions/transition-stage", { name, version: String(v.version), stage: f.stage, archive_existing_versions: f.archive }), { confirm: "Transition" });

export const aliasDialog = (name, v) => formDialog(`Alias for ${name} v${v.version}`, [
  { name: "alias", label: "Alias (moves it here if another version holds it)", required: true, placeholder: "champion" },
], (f) => post("registered-models/alias", { name, alias: f.alias.trim(), version: String(v.version) }), { confirm: "Set alias" });

export const removeAlias = (name, alias, done) => actionButton(`× @${alias}`, () => del("registered-models/alias", { name, alias }), {
  cls: "small chip-btn", title: `Remove alias ${alias}`, done, confirm: { title: "Remove alias?", message: `Remove the alias @${alias} of ${name}?`, danger: true },
});

export function historyTable(entries) {
  return entries.length ? table(["When", "Version", "Change", "From", "To", "By"], entries.slice().reverse().map((e) => [
    fmtTime(e.timestamp), `v${e.version}`, e.kind, e.from_value ?? "—", e.to_value ?? "—", e.user_id || "—"]), { class: "history" })
    : empty("No stage or alias changes recorded.");
}

export async function loadHistory(target, name, version) {
  try {
    const r = await get("model-versions/history", { name, version });
    mount(target, historyTable(r.transitions || []));
  } catch (err) {
    mount(target, err.code === "ENDPOINT_NOT_FOUND" ? empty("This server does not record model history.") : errorBox(err));
  }
}

export async function modelPage(root, name, { alive, refresh }) {
  mount(root, loading());
  const [{ registered_model: model }, versions] = await Promise.all([
    get("registered-models/get", { name }),
    get("model-versions/search", { filter: `name='${esc(name)}'`, max_results: 1000 }).then((r) => r.model_versions || []),
  ]);
  if (!alive()) return;
  setTitle(model.name, "Model");
  versions.sort((a, b) => Number(b.version) - Number(a.version));
  const aliasesOf = (v) => [...new Set((model.aliases || []).filter((a) => String(a.version) === String(v.version)).map((a) => a.alias))];
  const history = h("div", {}, loading("Loading history…"));
  const rename = () => formDialog(`Rename ${model.name}`, [{ name: "name", label: "New name", value: model.name, required: true }],
    (f) => post("registered-models/rename", { name: model.name, new_name: f.name.trim() })).then((r) => { if (r) location.hash = `#/models/${encodeURIComponent(r.registered_model.name)}`; });
  mount(root,
    h("p", { class: "crumbs" }, h("a", { href: "#/models" }, "Models"), " / ", model.name),
    h("h1", {}, model.name),
    actions(h("button", { type: "button", onclick: rename }, "Rename"),
      actionButton("Delete model", () => del("registered-models/delete", { name: model.name }), { danger: true, done: () => { location.hash = "#/models"; },
        confirm: { title: "Delete registered model?", message: `"${model.name}" and its ${versions.length} versions are deleted for good (the run artifacts stay).` } })),
    section("Description", descriptionEditor(model.description || "", (text) => patch("registered-models/update", { name: model.name, description: text }), refresh)),
    section("Tags", tagEditor(model.tags || [], {
      set: (key, value) => post("registered-models/set-tag", { name: model.name, key, value }),
      remove: (key) => del("registered-models/delete-tag", { name: model.name, key }), done: refresh,
    })),
    section("Versions", versions.length ? table(["Version", "Stage", "Aliases", "Created", "Source run", "Description", "Actions"],
      versions.map((v) => [h("a", { href: versionHref(model.name, v.version) }, h("strong", {}, `v${v.version}`)), stage(v.current_stage),
        h("span", {}, aliasesOf(v).map((a) => h("span", { class: "alias" }, aliasChip(a), removeAlias(model.name, a, refresh)))),
        fmtTime(v.creation_timestamp), v.run_id ? h("a", { href: `#/runs/${v.run_id}`, class: "mono" }, v.run_id.slice(0, 12)) : h("span", { class: "mono small" }, v.source || "—"),
        h("span", { class: "clip" }, (v.description || "").split("\n")[0]),
        actions(h("button", { type: "button", class: "small", onclick: () => transitionDialog(model.name, v).then((r) => r && refresh()) }, "Stage…"),
          h("button", { type: "button", class: "small", onclick: () => aliasDialog(model.name, v).then((r) => r && refresh()) }, "Alias…"))]), { class: "versions" })
      : empty("No versions yet: register one from a run's logged model (run page → Logged models → Register model).")),
    section("History", history));
  loadHistory(history, name);
}

export { guarded };
