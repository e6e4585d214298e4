// Selected runs side by side (differences highlighted), overlaid metric charts (one uPlot chart
// per metric with every run) and the cross-run chart view (bars, scatter, parallel coordinates).
import { get } from "../api.js";
import { chartGrid } from "../components/chart.js";
import { runChartsView } from "../components/runcharts.js";
import { empty, fmtNum, fmtTime, h, hashQuery, kv, loading, mount, plural, setTitle, statusBadge } from "../dom.js";

export async function comparePage(root, { alive }) {
  const ids = (hashQuery().get("runs") || "").split(",").filter(Boolean);
  if (ids.length < 1) return mount(root, h("h1", {}, "Compare runs"), empty("Select runs with the checkboxes of an experiment's runs table."));
  mount(root, loading());
  const runs = (await Promise.all(ids.map((id) => get("runs/get", { run_id: id })))).map((r) => r.run);
  if (!alive()) return;
  setTitle(`Compare ${plural(runs.length, "run")}`);
  const label = (r) => r.info.run_name || r.info.run_id.slice(0, 8);
  const params = runs.map((r) => kv(r.data.params));
  const metrics = runs.map((r) => kv(r.data.metrics));
  const keysOf = (maps) => [...new Set(maps.flatMap(Object.keys))].sort();
  const row = (name, values, numeric) => {
    const differs = new Set(values.map(String)).size > 1;
    return h("tr", { class: differs ? "diff" : "" }, h("th", { scope: "row" }, name),
      values.map((v) => h("td", { class: numeric ? "num" : "mono" }, v === undefined ? "—" : numeric ? fmtNum(v) : v)));
  };
  const group = (title) => h("tr", { class: "group" }, h("th", { colspan: runs.length + 1 }, title));
  const onlyDiff = h("input", { type: "checkbox", onchange: (e) => tbl.classList.toggle("only-diff", e.target.checked) });
  const tbl = h("table", { class: "compare" },
    h("thead", {}, h("tr", {}, h("th", {}, "Run"), runs.map((r) => h("th", {}, h("a", { href: `#/runs/${r.info.run_id}` }, label(r)))))),
    h("tbody", {},
      h("tr", {}, h("th", { scope: "row" }, "Status"), runs.map((r) => h("td", {}, statusBadge(r.info.status, r.info.lifecycle_stage)))),
      h("tr", {}, h("th", { scope: "row" }, "Started"), runs.map((r) => h("td", {}, fmtTime(r.info.start_time)))),
      group("Parameters"), keysOf(params).map((k) => row(k, params.map((p) => p[k]))),
      group("Metrics"), keysOf(metrics).map((k) => row(k, metrics.map((m) => m[k]), true))));
  mount(root,
    h("p", { class: "crumbs" }, h("a", { href: `#/experiments/${runs[0].info.experiment_id}` }, "Back to the experiment")),
    h("h1", {}, runs.length === 1 ? "One run" : `Compare ${plural(runs.length, "run")}`),
    h("section", { class: "card" }, h("h2", {}, "Parameters and metrics"), h("label", { class: "small" }, onlyDiff, " only rows that differ"),
      h("div", { class: "table-wrap" }, tbl)),
    h("section", { class: "card" }, h("h2", {}, "Metric charts"),
      keysOf(metrics).length ? chartGrid(keysOf(metrics).slice(0, 24), runs.map((r) => ({ id: r.info.run_id, label: label(r) }))) : empty("No metrics to chart.")),
    h("section", { class: "card" }, h("h2", {}, "Across runs"),
      runChartsView(runs, [...keysOf(metrics).map((key) => ({ kind: "metrics", key })),
        ...keysOf(params).filter((k) => params.some((p) => p[k] !== undefined && Number.isFinite(Number(p[k])))).map((key) => ({ kind: "params", key }))])));
}
