// Experiments list and one experiment's runs table (filter, sort, paging, columns, compare).
import { get, post } from "./api.js";
import { empty, errorBox, fmtDuration, fmtNum, fmtTime, h, hashQuery, kv, loading, mount, statusBadge, table } from "./dom.js";

export async function experimentsPage(root, { alive }) {
  const q = hashQuery();
  const search = h("input", { type: "search", placeholder: "Search experiments by name", value: q.get("q") || "", "aria-label": "Search experiments" });
  const view = h("select", { "aria-label": "Lifecycle" },
    h("option", { value: "ACTIVE_ONLY" }, "Active"), h("option", { value: "DELETED_ONLY" }, "Deleted"), h("option", { value: "ALL" }, "All"));
  view.value = q.get("view") || "ACTIVE_ONLY";
  const go = () => { location.hash = `#/?${new URLSearchParams({ q: search.value, view: view.value })}`; };
  const form = h("form", { class: "toolbar", onsubmit: (e) => { e.preventDefault(); go(); } }, search, view, h("button", {}, "Search"));
  view.addEventListener("change", go);
  const list = h("div", {}, loading());
  mount(root, h("h1", {}, "Experiments"), form, list);
  const experiments = [];
  let token;
  const load = async () => {
    const filter = search.value.trim() ? `name ILIKE '%${search.value.trim().replaceAll("'", "\\'")}%'` : undefined;
    const r = await post("experiments/search", { max_results: 100, filter, view_type: view.value, page_token: token, order_by: ["last_update_time DESC"] });
    if (!alive()) return;
    experiments.push(...(r.experiments || []));
    token = r.next_page_token;
    const rows = experiments.map((e) => [
      h("a", { href: `#/experiments/${encodeURIComponent(e.experiment_id)}` }, e.name),
      e.experiment_id,
      e.lifecycle_stage === "deleted" ? h("span", { class: "badge st-killed" }, "deleted") : "active",
      fmtTime(e.last_update_time || e.creation_time),
      h("span", { class: "mono small" }, e.artifact_location),
    ]);
    mount(list, experiments.length ? table(["Name", "ID", "State", "Last update", "Artifact location"], rows, { class: "experiments" }) : empty("No experiments match."),
      token ? h("button", { class: "more", onclick: () => load().catch((e) => list.append(errorBox(e))) }, "Load more") : null);
  };
  try { await load(); } catch (err) { mount(list, errorBox(err)); }
}

const ATTR_SORT = { "Run name": "attributes.run_name", Status: "attributes.status", Started: "attributes.start_time", User: "attributes.user_id" };
const quoteKey = (k) => "`" + k.replaceAll("`", "") + "`";

export async function experimentPage(root, experimentId, { alive }) {
  const q = hashQuery();
  const state = { filter: q.get("filter") || "", order: q.get("order") || "attributes.start_time DESC", view: q.get("view") || "ACTIVE_ONLY" };
  const setHash = (patch) => {
    const next = { ...state, ...patch };
    location.hash = `#/experiments/${encodeURIComponent(experimentId)}?${new URLSearchParams(next)}`;
  };
  mount(root, loading());
  const { experiment } = await get("experiments/get", { experiment_id: experimentId });
  if (!alive()) return;
  const filter = h("input", { type: "search", class: "grow mono", value: state.filter, placeholder: "metrics.f1_score > 0.8 and params.model = 'rf'", "aria-label": "Run filter" });
  const view = h("select", { "aria-label": "Run lifecycle" }, h("option", { value: "ACTIVE_ONLY" }, "Active runs"), h("option", { value: "DELETED_ONLY" }, "Deleted runs"), h("option", { value: "ALL" }, "All runs"));
  view.value = state.view;
  view.addEventListener("change", () => setHash({ view: view.value }));
  const compareBtn = h("button", { disabled: true, onclick: () => { location.hash = `#/compare?runs=${[...selected].join(",")}`; } }, "Compare");
  const columnsBox = h("details", { class: "columns" }, h("summary", {}, "Columns"));
  const body = h("div", {}, loading("Loading runs…"));
  mount(root,
    h("p", { class: "crumbs" }, h("a", { href: "#/" }, "Experiments"), " / ", experiment.name),
    h("h1", {}, experiment.name, " ", h("span", { class: "muted small" }, `#${experiment.experiment_id}`)),
    h("form", { class: "toolbar", onsubmit: (e) => { e.preventDefault(); setHash({ filter: filter.value.trim() }); } },
      filter, view, h("button", {}, "Filter"), columnsBox, compareBtn),
    body);

  const selected = new Set();
  const runs = [];
  let token;
  const colKey = `modelyard.columns.${experimentId}`;
  let chosen = JSON.parse(localStorage.getItem(colKey) || "null");

  const sortHeader = (label, key) => {
    if (!key) return h("th", {}, label);
    const [cur, dir] = state.order.split(/ (?=ASC|DESC$)/);
    const active = cur === key;
    const next = active && dir === "DESC" ? "ASC" : "DESC";
    return h("th", { class: active ? "sorted" : "" },
      h("a", { href: "#", title: `Sort by ${label}`, onclick: (e) => { e.preventDefault(); setHash({ order: `${key} ${next}` }); } },
        label, active ? (dir === "DESC" ? " ▼" : " ▲") : ""));
  };

  const draw = () => {
    const metricKeys = [...new Set(runs.flatMap((r) => (r.data.metrics || []).map((m) => m.key)))].sort();
    const paramKeys = [...new Set(runs.flatMap((r) => (r.data.params || []).map((p) => p.key)))].sort();
    if (!chosen) chosen = { metrics: metricKeys.slice(0, 4), params: paramKeys.slice(0, 3) };
    const toggle = (kind, key) => (e) => {
      chosen[kind] = e.target.checked ? [...chosen[kind], key] : chosen[kind].filter((k) => k !== key);
      localStorage.setItem(colKey, JSON.stringify(chosen));
      draw();
    };
    mount(columnsBox, h("summary", {}, "Columns"), h("div", { class: "menu" },
      h("strong", {}, "Metrics"), metricKeys.map((k) => h("label", {}, h("input", { type: "checkbox", checked: chosen.metrics.includes(k), onchange: toggle("metrics", k) }), k)),
      h("strong", {}, "Params"), paramKeys.map((k) => h("label", {}, h("input", { type: "checkbox", checked: chosen.params.includes(k), onchange: toggle("params", k) }), k))));
    const mCols = chosen.metrics.filter((k) => metricKeys.includes(k));
    const pCols = chosen.params.filter((k) => paramKeys.includes(k));
    const headers = [h("th", {}, ""),
      ...Object.keys(ATTR_SORT).slice(0, 3).map((l) => sortHeader(l, ATTR_SORT[l])), sortHeader("Duration"), sortHeader("User", ATTR_SORT.User),
      ...mCols.map((k) => sortHeader(k, `metrics.${quoteKey(k)}`)), ...pCols.map((k) => sortHeader(k, `params.${quoteKey(k)}`))];
    const rows = runs.map((r) => {
      const m = kv(r.data.metrics), p = kv(r.data.params), i = r.info;
      const box = h("input", { type: "checkbox", checked: selected.has(i.run_id), "aria-label": `Select ${i.run_name}`, onchange: (e) => {
        e.target.checked ? selected.add(i.run_id) : selected.delete(i.run_id);
        compareBtn.disabled = selected.size < 2;
        compareBtn.textContent = `Compare (${selected.size})`;
      } });
      return h("tr", {}, [box, h("a", { href: `#/runs/${i.run_id}` }, i.run_name || i.run_id), statusBadge(i.status), fmtTime(i.start_time),
        fmtDuration(i.start_time, i.end_time), i.user_id || "—", ...mCols.map((k) => h("span", { class: "num" }, fmtNum(m[k]))), ...pCols.map((k) => p[k] ?? "—")].map((c) => h("td", {}, c)));
    });
    mount(body, runs.length ? table(headers, rows, { class: "runs" }) : empty(state.filter ? "No runs match this filter." : "No runs in this experiment yet."),
      token ? h("button", { class: "more", onclick: () => load().catch((e) => body.append(errorBox(e))) }, "Load more runs") : null);
  };

  const load = async () => {
    const r = await post("runs/search", { experiment_ids: [experimentId], filter: state.filter, run_view_type: state.view, max_results: 50, order_by: [state.order], page_token: token });
    if (!alive()) return;
    runs.push(...(r.runs || []));
    token = r.next_page_token;
    draw();
  };
  try { await load(); } catch (err) { mount(body, errorBox(err)); }
}
