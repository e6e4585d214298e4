// The one line-chart component (uPlot, vendored in vendor/uplot): several runs per chart, hover
// values in the legend, drag to zoom (double-click resets), log scale, smoothing (EMA), and a
// step / wall-time / relative-time x axis. Histories are downsampled by the server
// (get-history-bulk-interval); zooming in on steps fetches the window again at full detail.
// Every chart loads and fails on its own: an error replaces that chart only.
import { metricIntervals } from "../api.js";
import { errorBox, errorText, fmtNum, h, loading, mount } from "../dom.js";

export const COLORS = ["#2563eb", "#dc2626", "#16a34a", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#4b5563", "#65a30d", "#9333ea"];
export const color = (i) => COLORS[i % COLORS.length];
const POINTS_PER_RUN = 1000;

/** Exponential moving average with TensorBoard's debiasing; nulls stay null. */
export function smooth(values, weight) {
  if (!weight) return values;
  let last = 0, n = 0;
  return values.map((v) => {
    if (v === null || !Number.isFinite(v)) return v;
    last = last * weight + (1 - weight) * v;
    n++;
    return last / (1 - weight ** n);
  });
}

function minMax(arr) {
  let lo = Infinity, hi = -Infinity; // a loop, never Math.min(...arr): no call-stack limit
  for (const v of arr) if (v !== null && Number.isFinite(v)) { if (v < lo) lo = v; if (v > hi) hi = v; }
  return [lo, hi];
}
const padRange = (lo, hi) => {
  if (!Number.isFinite(lo)) return [0, 1];
  if (lo === hi) { const d = Math.abs(lo) * 0.1 || 1; return [lo - d, hi + d]; }
  return [lo, hi];
};

function xOf(points, mode) {
  if (mode === "wall") return points.map((p) => Number(p.timestamp) / 1000);
  if (mode === "relative") { const t0 = Number(points[0]?.timestamp || 0); return points.map((p) => (Number(p.timestamp) - t0) / 1000); }
  return points.map((p) => Number(p.step));
}
const num = (v) => (typeof v === "number" ? v : v === "NaN" || v === "Infinity" || v === "-Infinity" ? Number(v) : Number(v));

/** Align per-run series on one x array (uPlot's data table): [xs, ys_run0, ys_run1, ...]. */
export function alignSeries(seriesList) {
  const index = new Map();
  for (const s of seriesList) for (const x of s.x) index.set(x, 0);
  const xs = [...index.keys()].sort((a, b) => a - b);
  xs.forEach((x, i) => index.set(x, i));
  const ys = seriesList.map((s) => {
    const col = new Array(xs.length).fill(null);
    s.x.forEach((x, i) => { col[index.get(x)] = s.y[i]; });
    return col;
  });
  return [xs, ...ys];
}

/**
 * metricChart({key, runs: [{id, label}], title}) -> <figure class="chart">.
 * The figure carries data-state (loading|ready|empty|error) and data-points (points drawn).
 */
export function metricChart({ key, runs, title = key, height = 220, fetchPoints = metricIntervals }) {
  const fig = h("figure", { class: "chart", "data-metric": key, "data-state": "loading" });
  const opts = { x: "step", log: false, smooth: 0 };
  const xSel = h("select", { "aria-label": `${key}: x axis`, onchange: () => { opts.x = xSel.value; draw(); } },
    h("option", { value: "step" }, "Step"), h("option", { value: "wall" }, "Wall time"), h("option", { value: "relative" }, "Relative time"));
  const logBox = h("input", { type: "checkbox", "aria-label": `${key}: log scale`, onchange: () => { opts.log = logBox.checked; draw(); } });
  const smoothIn = h("input", { type: "range", min: 0, max: 0.99, step: 0.01, value: 0, "aria-label": `${key}: smoothing`, oninput: () => { opts.smooth = Number(smoothIn.value); draw(); } });
  const reset = h("button", { type: "button", class: "small", onclick: () => { window_ = null; load(); } }, "Reset zoom");
  const caption = h("figcaption", {}, h("span", { class: "chart-title" }, title),
    h("span", { class: "chart-tools" }, xSel, h("label", { class: "small" }, logBox, " log"), h("label", { class: "small" }, "smooth ", smoothIn), reset));
  const body = h("div", { class: "chart-body" }, loading("Loading…"));
  const note = h("p", { class: "chart-note muted small" });
  fig.append(caption, body, note);
  body.addEventListener("dblclick", () => { if (window_) { window_ = null; load(); } });
  if (window.ResizeObserver) {
    let lastWidth = 0;
    new ResizeObserver(() => {
      const width = Math.max(260, fig.clientWidth - 4);
      if (plot && Math.abs(width - lastWidth) > 8) { lastWidth = width; plot.setSize({ width, height }); }
    }).observe(fig);
  }
  let data = new Map(); // runId -> points
  let window_ = null; // [startStep, endStep] when zoomed in on steps
  let plot = null;

  const draw = () => {
    if (plot) { plot.destroy(); plot = null; }
    const present = runs.filter((r) => (data.get(r.id) || []).length);
    if (!present.length) {
      fig.dataset.state = "empty";
      fig.dataset.points = "0";
      return mount(body, h("p", { class: "empty" }, "No values logged."));
    }
    const series = present.map((r) => {
      const pts = data.get(r.id);
      let y = pts.map((p) => num(p.value));
      if (opts.log) y = y.map((v) => (v > 0 ? v : null));
      return { x: xOf(pts, opts.x), y: smooth(y, opts.smooth), label: r.label, color: color(runs.indexOf(r)) };
    });
    const table = alignSeries(series);
    const total = series.reduce((n, s) => n + s.x.length, 0);
    const few = total <= 2 * present.length || table[0].length < 3;
    const width = Math.max(260, (fig.clientWidth || 420) - 4);
    const [ylo, yhi] = minMax(series.flatMap((s) => s.y));
    const uopts = {
      width, height,
      scales: {
        x: { time: opts.x === "wall", range: (u, lo, hi) => padRange(lo, hi) },
        y: opts.log ? { distr: 3 } : { range: () => padRange(ylo, yhi) },
      },
      axes: [
        { label: opts.x === "relative" ? "seconds" : opts.x === "step" ? "step" : undefined, size: 36 },
        { values: (u, splits) => splits.map(fmtNum), size: 60 },
      ],
      cursor: { drag: { x: true, y: false } },
      legend: { live: true },
      series: [
        { label: opts.x === "step" ? "step" : "time", value: (u, v) => (v == null ? "—" : opts.x === "wall" ? new Date(v * 1000).toISOString().replace("T", " ").slice(0, 19) : fmtNum(v)) },
        ...series.map((s) => ({ label: s.label, stroke: s.color, width: 2, spanGaps: true, points: { show: few, size: 6, fill: s.color }, value: (u, v) => (v == null ? "—" : fmtNum(v)) })),
      ],
      hooks: {
        setSelect: [(u) => {
          if (opts.x !== "step" || u.select.width < 2) return;
          const lo = Math.floor(u.posToVal(u.select.left, "x")), hi = Math.ceil(u.posToVal(u.select.left + u.select.width, "x"));
          window_ = [Math.max(0, lo), Math.max(lo, hi)];
          load();
        }],
      },
    };
    if (opts.x === "step") uopts.cursor.drag.setScale = false; // refetch the window instead
    mount(body);
    plot = new window.uPlot(uopts, table, body);
    fig.dataset.state = "ready";
    fig.dataset.points = String(total);
    const last = series[0].y[series[0].y.length - 1];
    const sampled = present.some((r) => data.get(r.id).length >= POINTS_PER_RUN);
    note.textContent = `${present.length > 1 ? `${present.length} runs · ` : ""}last ${fmtNum(last)}` +
      (window_ ? ` · steps ${window_[0]}–${window_[1]}` : "") + (sampled ? " · downsampled by the server" : "");
  };

  const load = async () => {
    mount(body, loading("Loading…"));
    fig.dataset.state = "loading";
    try {
      data = await fetchPoints(runs.map((r) => r.id), key, { maxResults: POINTS_PER_RUN, startStep: window_?.[0], endStep: window_?.[1] });
      draw();
    } catch (err) {
      fig.dataset.state = "error";
      mount(body, errorBox(err, load));
      note.textContent = "";
      console.warn(`chart ${key}: ${errorText(err)}`);
    }
  };
  fig.load = load;
  return fig;
}

/** A grid of metric charts; each one loads (and fails) independently. */
export function chartGrid(keys, runs) {
  const grid = h("div", { class: "charts" });
  const figs = keys.map((key) => metricChart({ key, runs }));
  grid.append(...figs);
  requestAnimationFrame(() => figs.forEach((f) => f.load())); // after layout: charts know their width
  return grid;
}
