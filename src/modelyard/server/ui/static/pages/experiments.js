// Experiments list: search, Active / Deleted / All, paging; create, rename, delete, restore.
import { post } from "../api.js";
import { actionButton, actions } from "../components/action.js";
import { formDialog } from "../components/dialog.js";
import { empty, errorBox, fmtTime, h, hashQuery, loading, mount, table } from "../dom.js";

const esc = (s) => s.replaceAll("\\", "\\\\").replaceAll("'", "\\'");

export async function experimentsPage(root, { alive, refresh }) {
  const q = hashQuery();
  const search = h("input", { type: "search", placeholder: "Search experiments by name", value: q.get("q") || "", "aria-label": "Search experiments" });
  const view = h("select", { "aria-label": "Lifecycle" },
    h("option", { value: "ACTIVE_ONLY" }, "Active"), h("option", { value: "DELETED_ONLY" }, "Deleted"), h("option", { value: "ALL" }, "All"));
  view.value = q.get("view") || "ACTIVE_ONLY";
  const go = () => { location.hash = `#/?${new URLSearchParams({ q: search.value, view: view.value })}`; };
  const create = h("button", { type: "button", class: "primary", onclick: async () => {
    const r = await formDialog("New experiment", [{ name: "name", label: "Name", required: true }, { name: "artifact_location", label: "Artifact location (optional)" }],
      (v) => post("experiments/create", { name: v.name.trim(), artifact_location: v.artifact_location.trim() || undefined }), { confirm: "Create" });
    if (r) location.hash = `#/experiments/${encodeURIComponent(r.experiment_id)}`;
  } }, "New experiment");
  const form = h("form", { class: "toolbar", onsubmit: (e) => { e.preventDefault(); go(); } }, search, view, h("button", {}, "Search"), h("span", { class: "grow" }), create);
  view.addEventListener("change", go);
  const list = h("div", {}, loading());
  mount(root, h("h1", {}, "Experiments"), form, list);
  const experiments = [];
  let token;
  const rename = (e) => formDialog(`Rename ${e.name}`, [{ name: "name", label: "New name", value: e.name, required: true }],
    (v) => post("experiments/update", { experiment_id: e.experiment_id, new_name: v.name.trim() })).then((r) => r && refresh());
  const load = async () => {
    const filter = search.value.trim() ? `name ILIKE '%${esc(search.value.trim())}%'` : undefined;
    const r = await post("experiments/search", { max_results: 100, filter, view_type: view.value, page_token: token, order_by: ["last_update_time DESC"] });
    if (!alive()) return;
    experiments.push(...(r.experiments || []));
    token = r.next_page_token;
    const rows = experiments.map((e) => {
      const deleted = e.lifecycle_stage === "deleted";
      return [
        h("a", { href: `#/experiments/${encodeURIComponent(e.experiment_id)}` }, e.name),
        e.experiment_id,
        deleted ? h("span", { class: "badge st-deleted" }, "deleted") : "active",
        fmtTime(e.last_update_time || e.creation_time),
        h("span", { class: "mono small" }, e.artifact_location),
        actions(
          deleted ? null : h("button", { type: "button", class: "small", onclick: () => rename(e) }, "Rename"),
          deleted
            ? actionButton("Restore", () => post("experiments/restore", { experiment_id: e.experiment_id }), { done: refresh, cls: "small" })
            : actionButton("Delete", () => post("experiments/delete", { experiment_id: e.experiment_id }), {
              danger: true, cls: "small", done: refresh,
              confirm: { title: "Delete experiment?", message: `"${e.name}" and its runs move to Deleted; it can be restored until the store purges it.` },
            })),
      ];
    });
    mount(list, experiments.length ? table(["Name", "ID", "State", "Last update", "Artifact location", "Actions"], rows, { class: "experiments" })
      : empty(search.value ? "No experiments match." : "No experiments yet: create one with New experiment."),
    token ? h("button", { class: "more", onclick: () => load().catch((e) => list.append(errorBox(e))) }, "Load more") : null);
  };
  try { await load(); } catch (err) { mount(list, errorBox(err, refresh)); }
}
