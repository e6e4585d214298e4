// Registered models (search) and one model: versions, stages, aliases, audit trail.
import { get } from "./api.js";
import { empty, errorBox, fmtTime, h, hashQuery, loading, mount, table } from "./dom.js";

const stage = (s) => h("span", { class: `badge stage-${(s || "None").toLowerCase()}` }, s || "None");
const aliasChip = (a) => h("span", { class: "chip" }, "@", a);
const esc = (s) => s.replaceAll("\\", "\\\\").replaceAll("'", "\\'");

export async function modelsPage(root, { alive }) {
  const q = hashQuery().get("q") || "";
  const search = h("input", { type: "search", value: q, placeholder: "Search models by name", "aria-label": "Search models" });
  const list = h("div", {}, loading());
  mount(root, h("h1", {}, "Registered models"),
    h("form", { class: "toolbar", onsubmit: (e) => { e.preventDefault(); location.hash = `#/models?${new URLSearchParams({ q: search.value.trim() })}`; } },
      search, h("button", {}, "Search")),
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
      h("span", {}, (m.latest_versions || []).map((v) => h("span", { class: "ver" }, `v${v.version} `, stage(v.current_stage)))),
      h("span", {}, (m.aliases || []).map((a) => aliasChip(`${a.alias} → v${a.version}`))),
      fmtTime(m.last_updated_timestamp), m.description || ""]);
    mount(list, models.length ? table(["Name", "Latest versions", "Aliases", "Last modified", "Description"], rows, { class: "models" })
      : empty(q ? "No models match." : "No registered models yet."),
      token ? h("button", { class: "more", onclick: () => load().catch((e) => list.append(errorBox(e))) }, "Load more") : null);
  };
  try { await load(); } catch (err) { mount(list, errorBox(err)); }
}

export async function modelPage(root, name, { alive }) {
  mount(root, loading());
  const [{ registered_model: model }, versions] = await Promise.all([
    get("registered-models/get", { name }),
    get("model-versions/search", { filter: `name='${esc(name)}'`, max_results: 1000 }).then((r) => r.model_versions || []),
  ]);
  if (!alive()) return;
  versions.sort((a, b) => Number(b.version) - Number(a.version));
  const aliasesOf = (v) => (model.aliases || []).filter((a) => String(a.version) === String(v.version)).map((a) => a.alias)
    .concat((v.aliases || []).filter((a) => typeof a === "string"));
  const history = h("div", {}, loading("Loading history…"));
  mount(root,
    h("p", { class: "crumbs" }, h("a", { href: "#/models" }, "Models"), " / ", model.name),
    h("h1", {}, model.name),
    model.description ? h("p", { class: "description" }, model.description) : null,
    (model.tags || []).length ? h("p", {}, model.tags.map((t) => h("span", { class: "chip" }, `${t.key}=${t.value}`))) : null,
    h("section", { class: "card" }, h("h2", {}, "Versions"), versions.length ? table(["Version", "Stage", "Aliases", "Created", "Source run", "Description"],
      versions.map((v) => [h("strong", {}, `v${v.version}`), stage(v.current_stage), h("span", {}, [...new Set(aliasesOf(v))].map(aliasChip)),
        fmtTime(v.creation_timestamp), v.run_id ? h("a", { href: `#/runs/${v.run_id}`, class: "mono" }, v.run_id.slice(0, 12)) : h("span", { class: "mono small" }, v.source || "—"),
        v.description || ""]), { class: "versions" }) : empty("No versions.")),
    h("section", { class: "card" }, h("h2", {}, "History"), history));
  try {
    const r = await get("model-versions/history", { name });
    if (!alive()) return;
    const t = r.transitions || [];
    mount(history, t.length ? table(["When", "Version", "Change", "From", "To", "By"], t.slice().reverse().map((e) => [
      fmtTime(e.timestamp), `v${e.version}`, e.kind, e.from_value ?? "—", e.to_value ?? "—", e.user_id || "—"]), { class: "history" })
      : empty("No stage or alias changes recorded."));
  } catch (err) {
    mount(history, err.code === "ENDPOINT_NOT_FOUND" ? empty("This server does not record model history.") : errorBox(err));
  }
}
