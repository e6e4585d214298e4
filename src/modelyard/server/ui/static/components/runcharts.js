// Charts of a set of runs (the runs table's selection): one column per run as bars, a scatter
// of any two columns, and parallel coordinates over several columns. Bars and scatter use
// uPlot; parallel coordinates are an SVG (axis labels set with textContent).
import { fmtNum, h, mount } from "../dom.js";
import { color } from "./chart.js";

const NS = "http://www.w3.org/2000/svg";
const svg = (tag, attrs = {}, text) => {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  if (text !== undefined) el.textContent = text;
  return el;
};

/** A numeric value of column `col` ({kind, key}) for a run, or null. */
export function columnValue(run, col) {
  const list = run.data[col.kind] || [];
  const hit = list.find((x) => x.key === col.key);
  if (!hit) return null;
  const v = Number(hit.value);
  return Number.isFinite(v) ? v : null;
}
const label = (r) => r.info.run_name || r.info.run_id.slice(0, 8);
const colName = (c) => `${c.kind}.${c.key}`;

function uplot(target, opts, data) {
  mount(target);
  opts.width = Math.max(300, (target.clientWidth || 640) - 4);
  return new window.uPlot(opts, data, target);
}

export function barsChart(target, runs, col) {
  const pts = runs.map((r) => [r, columnValue(r, col)]).filter(([, v]) => v !== null);
  if (!pts.length) return mount(target, h("p", { class: "empty" }, `No run has ${colName(col)}.`));
  const xs = pts.map((_, i) => i), ys = pts.map(([, v]) => v);
  const names = pts.map(([r]) => label(r));
  uplot(target, {
    height: 300,
    scales: { x: { time: false, range: (u, lo, hi) => [lo - 0.6, hi + 0.6] }, y: { range: (u, lo, hi) => [Math.min(0, lo), hi === lo ? hi + 1 : hi] } },
    axes: [{ values: (u, splits) => splits.map((s) => (Number.isInteger(s) && names[s] !== undefined ? names[s] : "")), rotate: -30, size: 60 }, { values: (u, s) => s.map(fmtNum), size: 60 }],
    series: [{ label: "run", value: (u, v) => (v == null ? "—" : names[v] ?? "") },
      { label: colName(col), fill: "#93c5fd", stroke: "#2563eb", paths: window.uPlot.paths.bars({ size: [0.7, 80] }), points: { show: false }, value: (u, v) => (v == null ? "—" : fmtNum(v)) }],
  }, [xs, ys]);
  target.dataset.bars = String(pts.length);
}

export function scatterChart(target, runs, xc, yc) {
  const pts = runs.map((r) => [columnValue(r, xc), columnValue(r, yc), r]).filter(([x, y]) => x !== null && y !== null).sort((a, b) => a[0] - b[0]);
  if (!pts.length) return mount(target, h("p", { class: "empty" }, `No run has both ${colName(xc)} and ${colName(yc)}.`));
  uplot(target, {
    height: 320,
    mode: 1,
    scales: { x: { time: false, range: (u, lo, hi) => (lo === hi ? [lo - 1, hi + 1] : [lo, hi]) }, y: { range: (u, lo, hi) => (lo === hi ? [lo - 1, hi + 1] : [lo, hi]) } },
    axes: [{ label: colName(xc), values: (u, s) => s.map(fmtNum) }, { label: colName(yc), values: (u, s) => s.map(fmtNum), size: 60 }],
    series: [{ label: colName(xc), value: (u, v) => (v == null ? "—" : fmtNum(v)) },
      { label: colName(yc), stroke: "#2563eb", paths: () => null, points: { show: true, size: 8, fill: "#2563eb" }, value: (u, v) => (v == null ? "—" : fmtNum(v)) }],
  }, [pts.map((p) => p[0]), pts.map((p) => p[1])]);
  target.dataset.points = String(pts.length);
}

export function parallelChart(target, runs, cols) {
  const usable = cols.filter((c) => runs.some((r) => columnValue(r, c) !== null));
  if (usable.length < 2) return mount(target, h("p", { class: "empty" }, "Choose at least two numeric columns."));
  const W = Math.max(480, (target.clientWidth || 800) - 4), H = 320, pad = { l: 40, r: 40, t: 28, b: 20 };
  const ranges = usable.map((c) => {
    let lo = Infinity, hi = -Infinity;
    for (const r of runs) { const v = columnValue(r, c); if (v !== null) { lo = Math.min(lo, v); hi = Math.max(hi, v); } }
    return lo === hi ? [lo - 1, hi + 1] : [lo, hi];
  });
  const X = (i) => pad.l + (i * (W - pad.l - pad.r)) / (usable.length - 1);
  const Y = (v, [lo, hi]) => pad.t + (H - pad.t - pad.b) * (1 - (v - lo) / (hi - lo));
  const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, class: "parallel", role: "img", "aria-label": `Parallel coordinates of ${runs.length} runs` });
  let lines = 0;
  runs.slice(0, 2000).forEach((r, ri) => {
    const pts = usable.map((c, i) => { const v = columnValue(r, c); return v === null ? null : `${X(i).toFixed(1)},${Y(v, ranges[i]).toFixed(1)}`; });
    if (pts.some((p) => p === null)) return;
    const line = svg("polyline", { points: pts.join(" "), fill: "none", stroke: color(ri), "stroke-opacity": 0.6, "stroke-width": 1.5, class: "pc-line" });
    line.append(svg("title", {}, label(r)));
    root.append(line);
    lines++;
  });
  usable.forEach((c, i) => {
    root.append(svg("line", { x1: X(i), x2: X(i), y1: pad.t, y2: H - pad.b, class: "pc-axis" }));
    root.append(svg("text", { x: X(i), y: 14, "text-anchor": "middle", class: "pc-label" }, colName(c)));
    root.append(svg("text", { x: X(i) + 4, y: pad.t + 4, class: "tick" }, fmtNum(ranges[i][1])));
    root.append(svg("text", { x: X(i) + 4, y: H - pad.b, class: "tick" }, fmtNum(ranges[i][0])));
  });
  mount(target, root);
  target.dataset.lines = String(lines);
}

/** The chart view: a mode switch and column pickers over `runs` with numeric `cols`. */
export function runChartsView(runs, cols) {
  const area = h("div", { class: "runchart-area" });
  const opt = (c) => h("option", { value: colName(c) }, colName(c));
  const find = (name) => cols.find((c) => colName(c) === name);
  const mode = h("select", { "aria-label": "Chart type" }, h("option", { value: "bars" }, "Bars per run"), h("option", { value: "scatter" }, "Scatter"), h("option", { value: "parallel" }, "Parallel coordinates"));
  const a = h("select", { "aria-label": "Column" }, cols.map(opt));
  const b = h("select", { "aria-label": "Second column" }, cols.map(opt));
  if (cols.length > 1) b.value = colName(cols[1]);
  const draw = () => {
    b.hidden = mode.value !== "scatter";
    a.hidden = mode.value === "parallel";
    if (!cols.length) return mount(area, h("p", { class: "empty" }, "These runs have no numeric metrics or params."));
    if (mode.value === "bars") barsChart(area, runs, find(a.value));
    else if (mode.value === "scatter") scatterChart(area, runs, find(a.value), find(b.value));
    else parallelChart(area, runs, cols.slice(0, 8));
  };
  for (const s of [mode, a, b]) s.addEventListener("change", draw);
  const el = h("div", { class: "runcharts" }, h("div", { class: "toolbar" }, mode, a, b, h("span", { class: "muted small" }, `${runs.length} runs`)), area);
  requestAnimationFrame(draw);
  return el;
}
