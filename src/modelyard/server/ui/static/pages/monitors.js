// Monitors: the list, and one monitor's drift per feature over time (a heat map of the effect
// size against the baseline, drifted cells marked), model quality per window and version, and
// a Refresh action. Data from /ajax-api/2.0/modelyard/monitors/*.
import { request } from "../api.js";
import { actionButton, actions } from "../components/action.js";
import { empty, fmtNum, h, loading, mount, setTitle, table } from "../dom.js";

const BASE = "ajax-api/2.0/modelyard/";
const call = (method, path, params) => request(method, `monitors/${path}`, params, { base: BASE });
const section = (title, ...children) => h("section", { class: "card" }, h("h2", {}, title), ...children);
const day = (t) => String(t || "").replace("T", " ").slice(0, 16);

export async function monitorsPage(root) {
  mount(root, loading());
  const { monitors = [] } = await call("GET", "list");
  mount(root, h("h1", {}, "Monitors"),
    monitors.length
      ? table(["Name", "Profile", "Windows of", "Windows", "Last refresh", "Table"], monitors.map((m) => [
        h("a", { href: `#/monitors/${encodeURIComponent(m.name)}` }, m.name), m.profile,
        (m.granularities || []).join(", ") || "—", String(Object.keys(m.windows || {}).length),
        m.last_refresh ? day(m.last_refresh) : "never", h("span", { class: "mono small" }, m.table),
      ]), { class: "monitors" })
      : empty("No monitors yet: create one with 'modelyard monitors create' or modelyard.monitoring.create_monitor."));
}

function heatMap(rows) {
  const base = rows.filter((r) => r.drift_type === "baseline" && r.slice_key === ":all");
  if (!base.length) return empty("No drift against a baseline yet (the monitor has no baseline, or no window was refreshed).");
  const windows = [...new Set(base.map((r) => day(r.window_start)))].sort();
  const columns = [...new Set(base.map((r) => r.column_name))].sort();
  const cell = new Map(base.map((r) => [`${r.column_name}|${day(r.window_start)}`, r]));
  const max = Math.max(1e-9, ...base.map((r) => Number(r.effect_size) || 0));
  return table(["Column", ...windows], columns.map((c) => h("tr", {}, h("th", { scope: "row" }, c), windows.map((w) => {
    const r = cell.get(`${c}|${w}`);
    if (!r) return h("td", { class: "muted" }, "—");
    const level = Math.min(1, (Number(r.effect_size) || 0) / max);
    return h("td", {
      class: r.drift ? "heat drifted" : "heat",
      style: `background: rgba(220, 38, 38, ${(0.08 + 0.6 * level).toFixed(2)})`,
      title: `${r.method} · p=${fmtNum(r.p_value_adjusted)} · ${r.effect_name || "effect"}=${fmtNum(r.effect_size)}`,
      "data-drift": String(Boolean(r.drift)),
    }, fmtNum(r.effect_size), r.drift ? " ⚠" : "");
  }))), { class: "drift-heatmap" });
}

function qualityTable(rows) {
  if (!rows.length) return empty("No model-quality metrics yet (no labels joined).");
  const metricNames = ["accuracy", "precision", "recall", "f1", "roc_auc", "rmse", "mae", "r2", "mape"].filter((k) => rows.some((r) => r[k] !== null && r[k] !== undefined));
  const all = rows.filter((r) => r.slice_key === ":all");
  return table(["Window", "Model version", "Rows", ...metricNames], all.map((r) => [
    day(r.window_start), r.model_version ?? "all", fmtNum(r.count), ...metricNames.map((k) => fmtNum(r[k])),
  ]), { class: "quality" });
}

export async function monitorPage(root, name, { alive, refresh }) {
  mount(root, loading());
  const [{ monitor }, drift, quality] = await Promise.all([
    call("GET", "get", { name }), call("GET", "drift", { name }), call("GET", "quality", { name }),
  ]);
  if (!alive()) return;
  setTitle(monitor.name, "Monitor");
  const rows = drift.drift_metrics || [];
  const findings = rows.filter((r) => r.drift_type === "baseline" && r.slice_key === ":all" && (r.missing_share_current > 0 || r.unseen_share > 0));
  mount(root,
    h("p", { class: "crumbs" }, h("a", { href: "#/monitors" }, "Monitors"), " / ", monitor.name),
    h("h1", {}, monitor.name, " ", h("span", { class: "badge" }, monitor.profile)),
    actions(actionButton("Refresh", () => call("POST", "refresh", { name }), { done: refresh })),
    section("Drift against the baseline, per column and window", heatMap(rows)),
    section("Model quality", qualityTable(quality.quality_metrics || [])),
    section("Data quality", findings.length
      ? table(["Window", "Column", "Missing (current)", "Unseen categories"], findings.map((r) => [
        day(r.window_start), r.column_name, fmtNum(r.missing_share_current), fmtNum(r.unseen_share)]), { class: "findings" })
      : empty("No missing values or unseen categories in the current windows.")),
    section("Settings", table(["Field", "Value"], [
      ["Table", h("span", { class: "mono small" }, monitor.table)], ["Timestamp column", monitor.timestamp_col || "—"],
      ["Windows of", (monitor.granularities || []).join(", ") || "—"], ["Model", monitor.model_name || "—"],
      ["Prediction / label", `${monitor.prediction_col || "—"} / ${monitor.label_col || "—"}`],
      ["Last refresh", monitor.last_refresh ? day(monitor.last_refresh) : "never"]])));
}
