// One experiment's runs: a virtualized table over every matching run (pages of the server's
// search loaded in the background; the total comes first from the server's count), server-side
// filter and sort, page size, column chooser (attributes, metrics, params, tags; kept per
// experiment in localStorage), parent/child nesting (tag mlflow.parentRunId) with expand and
// collapse, selection with Compare / Delete / Restore, and a chart view of the selection.
import { get, post, request, searchAllRuns } from "../api.js";
import { actionButton } from "../components/action.js";
import { formDialog } from "../components/dialog.js";
import { filterBox } from "../components/filterbox.js";
import { runChartsView } from "../components/runcharts.js";
import { traceList } from "../components/traces.js";
import { virtualTable } from "../components/vtable.js";
import { empty, errorBox, fmtDuration, fmtNum, fmtTime, guarded, h, hashQuery, loading, mount, plural, setTitle, statusBadge } from "../dom.js";

const PARENT = "mlflow.parentRunId";
const ATTRS = {
  status: { label: "Status", width: 110, sort: "attributes.status", render: (r) => statusBadge(r.info.status, r.info.lifecycle_stage) },
  start_time: { label: "Started", width: 160, sort: "attributes.start_time", render: (r) => fmtTime(r.info.start_time) },
  duration: { label: "Duration", width: 90, render: (r) => fmtDuration(r.info.start_time, r.info.end_time) },
  user_id: { label: "User", width: 110, sort: "attributes.user_id", render: (r) => r.info.user_id || "—" },
  end_time: { label: "Ended", width: 160, sort: "attributes.end_time", render: (r) => fmtTime(r.info.end_time) },
  run_id: { label: "Run ID", width: 270, render: (r) => h("span", { class: "mono small" }, r.info.run_id) },
  source: { label: "Source", width: 160, render: (r) => tagOf(r, "mlflow.source.name") ?? "—" },
};
const DEFAULT_ATTRS = ["status", "start_time", "duration", "user_id"];
const quoteKey = (k) => "`" + k.replaceAll("`", "") + "`";
const tagOf = (r, key) => (r.data.tags || []).find((t) => t.key === key)?.value;
const valueOf = (r, kind, key) => (r.data[kind] || []).find((x) => x.key === key)?.value;

function keysOf(runs, kind, skipSystem = false) {
  const set = new Set();
  for (const r of runs) for (const x of r.data[kind] || []) if (!(skipSystem && x.key.startsWith("mlflow."))) set.add(x.key);
  return [...set].sort();
}

/** Rows to show: roots in server order, each followed by its children when expanded. */
export function nestRuns(runs, expanded) {
  const ids = new Set(runs.map((r) => r.info.run_id));
  const children = new Map();
  const roots = [];
  for (const r of runs) {
    const parent = tagOf(r, PARENT);
    if (parent && ids.has(parent) && parent !== r.info.run_id) {
      if (!children.has(parent)) children.set(parent, []);
      children.get(parent).push(r);
    } else roots.push(r);
  }
  const out = [];
  const walk = (r, depth, seen) => {
    const kids = children.get(r.info.run_id) || [];
    out.push({ run: r, depth, kids: kids.length });
    if (expanded.has(r.info.run_id) && !seen.has(r.info.run_id)) {
      seen.add(r.info.run_id);
      for (const k of kids) walk(k, depth + 1, seen);
    }
  };
  for (const r of roots) walk(r, 0, new Set());
  return out;
}

export async function experimentPage(root, experimentId, { alive, refresh }) {
  const q = hashQuery();
  const state = {
    filter: q.get("filter") || "", order: q.get("order") || "attributes.start_time DESC", view: q.get("view") || "ACTIVE_ONLY",
    size: Number(q.get("size")) || 1000, mode: q.get("mode") || "table",
  };
  const setHash = (patch) => {
    const next = { ...state, ...patch };
    location.hash = `#/experiments/${encodeURIComponent(experimentId)}?${new URLSearchParams(next)}`;
  };
  mount(root, loading());
  const { experiment } = await get("experiments/get", { experiment_id: experimentId });
  if (!alive()) return;
  setTitle(experiment.name, "Runs");

  const runs = [];
  const selected = new Set();
  const expanded = new Set();
  let complete = false;
  const colKey = `modelyard.columns.${experimentId}`;
  let chosen;
  try { chosen = JSON.parse(localStorage.getItem(colKey) || "null"); } catch { chosen = null; }

  // ---- toolbar
  const fb = filterBox({ value: state.filter, names: () => ({ metrics: keysOf(runs, "metrics"), params: keysOf(runs, "params"), tags: keysOf(runs, "tags") }) });
  const view = h("select", { "aria-label": "Run lifecycle" }, h("option", { value: "ACTIVE_ONLY" }, "Active runs"), h("option", { value: "DELETED_ONLY" }, "Deleted runs"), h("option", { value: "ALL" }, "All runs"));
  view.value = state.view;
  view.addEventListener("change", () => setHash({ view: view.value }));
  const size = h("select", { "aria-label": "Page size", title: "Runs fetched per request (the first request fetches 100 so rows show at once)" }, [100, 500, 1000, 5000].map((n) => h("option", { value: n }, `${n} per page`)));
  size.value = String(state.size);
  size.addEventListener("change", () => setHash({ size: size.value }));
  const compareBtn = h("button", { type: "button", disabled: true, onclick: () => { location.hash = `#/compare?runs=${[...selected].join(",")}`; } }, "Compare");
  const chartBtn = h("button", { type: "button", "aria-pressed": String(state.mode === "chart"), onclick: () => setHash({ mode: state.mode === "chart" ? "table" : "chart" }) }, state.mode === "chart" ? "Table view" : "Chart view");
  const selActions = h("span", { class: "sel-actions" });
  const count = h("span", { class: "run-count muted", id: "run-count", "aria-live": "polite" }, "Loading…");

  // ---- column chooser: a button + a panel that keeps its DOM (and focus) when toggled
  const colBtn = h("button", { type: "button", "aria-expanded": "false", "aria-controls": "columns-menu" }, "Columns");
  const colMenu = h("div", { class: "menu", id: "columns-menu", role: "group", "aria-label": "Columns", hidden: true });
  const closeMenu = () => { colMenu.hidden = true; colBtn.setAttribute("aria-expanded", "false"); };
  colBtn.addEventListener("click", () => {
    colMenu.hidden = !colMenu.hidden;
    colBtn.setAttribute("aria-expanded", String(!colMenu.hidden));
    if (!colMenu.hidden) { drawMenu(); colMenu.querySelector("input")?.focus(); }
  });
  colMenu.addEventListener("keydown", (e) => { if (e.key === "Escape") { closeMenu(); colBtn.focus(); } });
  const outside = (e) => {
    if (!root.isConnected) return document.removeEventListener("mousedown", outside);
    if (!colMenu.hidden && !columnsBox.contains(e.target)) closeMenu();
  };
  document.addEventListener("mousedown", outside);
  const columnsBox = h("div", { class: "columns" }, colBtn, colMenu);

  const body = h("div", { class: "runs-body" }, loading("Loading runs…"));
  const traces = h("div", { class: "experiment-traces" }, loading("Loading traces…"));
  mount(root,
    h("p", { class: "crumbs" }, h("a", { href: "#/" }, "Experiments"), " / ", experiment.name),
    h("h1", {}, experiment.name, " ", h("span", { class: "muted small" }, `#${experiment.experiment_id}`),
      experiment.lifecycle_stage === "deleted" ? h("span", { class: "badge st-deleted" }, "deleted") : null),
    h("form", { class: "toolbar", onsubmit: (e) => { e.preventDefault(); setHash({ filter: fb.input.value.trim() }); } },
      fb.el, view, h("button", {}, "Filter")),
    h("div", { class: "toolbar" }, count, h("span", { class: "grow" }), size, columnsBox, chartBtn, compareBtn, selActions),
    body,
    h("section", { class: "card" }, h("h2", {}, "Traces"), traces));
  guarded(traces, (target) => traceList(target, experimentId));

  const ensureChosen = () => {
    if (chosen && chosen.attrs) return;
    chosen = { attrs: DEFAULT_ATTRS, metrics: keysOf(runs, "metrics").slice(0, 4), params: keysOf(runs, "params").slice(0, 3), tags: [] };
  };
  const save = () => localStorage.setItem(colKey, JSON.stringify(chosen));

  const drawMenu = () => {
    ensureChosen();
    const group = (title, kind, keys, labelOf = (k) => k) => h("fieldset", {}, h("legend", {}, title),
      keys.length ? keys.map((k) => h("label", {}, h("input", { type: "checkbox", checked: chosen[kind].includes(k), onchange: (e) => {
        chosen[kind] = e.target.checked ? [...chosen[kind], k] : chosen[kind].filter((x) => x !== k);
        save();
        drawTable();
      } }), " ", labelOf(k))) : h("span", { class: "muted small" }, "none"));
    const focused = document.activeElement && colMenu.contains(document.activeElement) ? document.activeElement.parentElement?.textContent : null;
    mount(colMenu,
      group("Attributes", "attrs", Object.keys(ATTRS), (k) => ATTRS[k].label),
      group("Metrics", "metrics", keysOf(runs, "metrics")),
      group("Parameters", "params", keysOf(runs, "params")),
      group("Tags", "tags", keysOf(runs, "tags", true)));
    if (focused) [...colMenu.querySelectorAll("label")].find((l) => l.textContent === focused)?.querySelector("input")?.focus();
  };

  // ---- table
  const sortState = () => { const [key, dir] = state.order.split(/ (?=ASC$|DESC$)/); return { key, dir: dir || "ASC" }; };
  const updateSelection = () => {
    compareBtn.disabled = selected.size < 2;
    compareBtn.textContent = selected.size ? `Compare ${plural(selected.size, "run")}` : "Compare";
    const ids = [...selected];
    const after = () => { selected.clear(); refresh(); };
    mount(selActions, !ids.length ? null : state.view === "DELETED_ONLY"
      ? actionButton(`Restore ${plural(ids.length, "run")}`, () => Promise.all(ids.map((id) => post("runs/restore", { run_id: id }))), { done: after })
      : actionButton(`Delete ${plural(ids.length, "run")}`, () => Promise.all(ids.map((id) => post("runs/delete", { run_id: id }))), {
        danger: true, done: after, confirm: { title: "Delete runs?", message: `${plural(ids.length, "run")} move to Deleted runs; they can be restored.` },
      }));
  };
  const nameCell = (row) => {
    const r = row.run, i = r.info;
    const toggle = row.kids
      ? h("button", { type: "button", class: "twisty", "aria-expanded": String(expanded.has(i.run_id)), "aria-label": `${expanded.has(i.run_id) ? "Collapse" : "Expand"} ${row.kids} child runs of ${i.run_name}`,
        onclick: () => { expanded.has(i.run_id) ? expanded.delete(i.run_id) : expanded.add(i.run_id); drawRows(); } }, expanded.has(i.run_id) ? "▾" : "▸")
      : h("span", { class: "twisty-space" });
    const cell = h("span", { class: "run-name" }, toggle, h("a", { href: `#/runs/${i.run_id}`, title: i.run_name }, i.run_name || i.run_id),
      row.kids ? h("span", { class: "muted small" }, ` (${row.kids})`) : null);
    cell.style.paddingLeft = `${row.depth * 18}px`;
    return cell;
  };
  const selectAll = h("input", { type: "checkbox", "aria-label": "Select all loaded runs", onchange: (e) => {
    if (e.target.checked) runs.forEach((r) => selected.add(r.info.run_id)); else selected.clear();
    updateSelection();
    table.redraw();
  } });
  const columns = () => {
    ensureChosen();
    const keys = { metrics: new Set(keysOf(runs, "metrics")), params: new Set(keysOf(runs, "params")), tags: new Set(keysOf(runs, "tags")) };
    return [
      { id: "sel", label: "", width: 40, header: () => selectAll, render: (row) => h("input", { type: "checkbox", checked: selected.has(row.run.info.run_id), "aria-label": `Select ${row.run.info.run_name}`,
        onchange: (e) => { e.target.checked ? selected.add(row.run.info.run_id) : selected.delete(row.run.info.run_id); updateSelection(); } }) },
      { id: "name", label: "Run name", width: 240, sort: "attributes.run_name", render: nameCell },
      ...chosen.attrs.filter((a) => ATTRS[a]).map((a) => ({ id: a, ...ATTRS[a], render: (row) => ATTRS[a].render(row.run) })),
      ...chosen.metrics.filter((k) => keys.metrics.has(k)).map((k) => ({ id: `m:${k}`, label: k, title: `metric ${k}`, width: 120, cls: "num", sort: `metrics.${quoteKey(k)}`, render: (row) => fmtNum(valueOf(row.run, "metrics", k)) })),
      ...chosen.params.filter((k) => keys.params.has(k)).map((k) => ({ id: `p:${k}`, label: k, title: `param ${k}`, width: 120, sort: `params.${quoteKey(k)}`, render: (row) => valueOf(row.run, "params", k) ?? "—" })),
      ...chosen.tags.filter((k) => keys.tags.has(k)).map((k) => ({ id: `t:${k}`, label: k, title: `tag ${k}`, width: 140, sort: `tags.${quoteKey(k)}`, render: (row) => valueOf(row.run, "tags", k) ?? "—" })),
    ];
  };
  const table = virtualTable([], {
    label: `Runs of ${experiment.name}`, height: Math.max(320, window.innerHeight - 260), sort: sortState(),
    onSort: (key, dir) => setHash({ order: `${key} ${dir}` }),
    rowAttrs: (row) => ({ class: row.run.info.lifecycle_stage === "deleted" ? "deleted" : "", "data-run-id": row.run.info.run_id }),
  });
  const drawRows = () => table.setRows(nestRuns(runs, expanded));
  const drawTable = () => { table.setColumns(columns(), sortState()); drawRows(); };
  // the server's count (POST modelyard/runs/count) gives the total before the pages arrive;
  // data-total stays "every row is here", data-server-total is the server's answer
  let serverTotal = null;
  const drawCount = () => {
    const loaded = runs.length.toLocaleString("en-US");
    if (complete) count.textContent = plural(runs.length, "run");
    else if (serverTotal !== null) count.textContent = `${plural(serverTotal, "run")} (${loaded} loaded)`;
    else count.textContent = `${loaded} runs loaded, counting…`;
    count.dataset.total = complete ? String(runs.length) : "";
    count.dataset.serverTotal = serverTotal === null ? "" : String(serverTotal);
  };
  request("POST", "modelyard/runs/count", { experiment_ids: [experimentId], filter: state.filter, run_view_type: state.view }, { base: "ajax-api/2.0/" })
    .then((r) => { if (alive()) { serverTotal = Number(r.count); drawCount(); } }, () => { /* the search reports the error */ });

  let drawnOnce = false;
  const onPage = (page, done) => {
    runs.push(...page);
    complete = done;
    drawCount();
    if (state.mode === "chart") { if (done) mount(body, chartView()); return; }
    if (!runs.length) return mount(body, empty(state.filter ? "No runs match this filter." : "No runs in this experiment yet."));
    if (!drawnOnce) { drawnOnce = true; mount(body, table.el); drawTable(); } else drawRows();
  };
  const chartView = () => {
    const chosenRuns = selected.size ? runs.filter((r) => selected.has(r.info.run_id)) : runs.slice(0, 500);
    const cols = [...keysOf(chosenRuns, "metrics").map((key) => ({ kind: "metrics", key })),
      ...keysOf(chosenRuns, "params").filter((key) => chosenRuns.some((r) => Number.isFinite(Number(valueOf(r, "params", key))))).map((key) => ({ kind: "params", key }))];
    return h("div", {}, h("p", { class: "muted small" }, selected.size ? `The ${plural(selected.size, "selected run")}.` : `The first ${plural(chosenRuns.length, "run")} (select runs in the table to chart those).`),
      runChartsView(chosenRuns, cols));
  };
  if (state.mode === "chart") mount(body, loading("Loading runs…"));
  try {
    await searchAllRuns({ experiment_ids: [experimentId], filter: state.filter, run_view_type: state.view, order_by: [state.order] }, onPage,
      { firstPage: Math.min(state.size, 100), pageSize: state.size, alive });
  } catch (err) {
    if (alive()) mount(body, errorBox(err, refresh));
  }
}

/** Rename a run (used by the run page). */
export const renameRun = (info) => formDialog(`Rename ${info.run_name || info.run_id}`, [{ name: "name", label: "Run name", value: info.run_name || "", required: true }],
  (v) => post("runs/update", { run_id: info.run_id, run_name: v.name.trim() }));
