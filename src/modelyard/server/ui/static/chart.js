// A small inline-SVG line chart: step on x, value on y, one polyline path per series.
import { fmtNum, h } from "./dom.js";

const NS = "http://www.w3.org/2000/svg";
export const COLORS = ["#2563eb", "#dc2626", "#16a34a", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#4b5563"];

function s(tag, attrs = {}, text) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  if (text !== undefined) el.textContent = text;
  return el;
}

function ticks(lo, hi, n = 4) {
  if (lo === hi) return [lo];
  const raw = (hi - lo) / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((x) => raw <= x);
  const out = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) out.push(Number(t.toPrecision(12)));
  return out;
}

/**
 * series: [{label, points: [{step, value}]}]. Returns a <figure> holding the SVG and a legend.
 */
export function lineChart(title, series, { width = 420, height = 220 } = {}) {
  const pad = { l: 56, r: 12, t: 10, b: 28 };
  const pts = series.flatMap((x) => x.points).filter((p) => Number.isFinite(p.value));
  const fig = h("figure", { class: "chart" }, h("figcaption", {}, title));
  if (!pts.length) return fig.appendChild(h("p", { class: "empty" }, "No numeric values")) && fig;
  let [x0, x1] = [Math.min(...pts.map((p) => p.step)), Math.max(...pts.map((p) => p.step))];
  let [y0, y1] = [Math.min(...pts.map((p) => p.value)), Math.max(...pts.map((p) => p.value))];
  if (x0 === x1) [x0, x1] = [x0 - 1, x1 + 1];
  if (y0 === y1) [y0, y1] = [y0 - Math.abs(y0 || 1) * 0.1, y1 + Math.abs(y1 || 1) * 0.1];
  const W = width - pad.l - pad.r, H = height - pad.t - pad.b;
  const X = (v) => pad.l + ((v - x0) / (x1 - x0)) * W;
  const Y = (v) => pad.t + H - ((v - y0) / (y1 - y0)) * H;
  const svg = s("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": title, class: "chart-svg" });
  for (const t of ticks(y0, y1)) {
    svg.append(s("line", { x1: pad.l, x2: pad.l + W, y1: Y(t), y2: Y(t), class: "grid" }));
    svg.append(s("text", { x: pad.l - 6, y: Y(t) + 4, "text-anchor": "end", class: "tick" }, fmtNum(t)));
  }
  for (const t of ticks(x0, x1, 5)) {
    if (!Number.isInteger(t) && x1 - x0 > 5) continue;
    svg.append(s("text", { x: X(t), y: height - 8, "text-anchor": "middle", class: "tick" }, fmtNum(t)));
  }
  svg.append(s("line", { x1: pad.l, x2: pad.l, y1: pad.t, y2: pad.t + H, class: "axis" }));
  svg.append(s("line", { x1: pad.l, x2: pad.l + W, y1: pad.t + H, y2: pad.t + H, class: "axis" }));
  series.forEach((ser, i) => {
    const p = ser.points.filter((q) => Number.isFinite(q.value)).sort((a, b) => a.step - b.step || a.timestamp - b.timestamp);
    if (!p.length) return;
    const color = COLORS[i % COLORS.length];
    const d = p.map((q, j) => `${j ? "L" : "M"}${X(q.step).toFixed(1)},${Y(q.value).toFixed(1)}`).join("");
    svg.append(s("path", { d, fill: "none", stroke: color, "stroke-width": 2, class: "series" }));
    if (p.length === 1) svg.append(s("circle", { cx: X(p[0].step), cy: Y(p[0].value), r: 3, fill: color }));
    const last = p[p.length - 1];
    svg.append(s("title", {}, `${ser.label}: last ${fmtNum(last.value)} at step ${last.step}`));
  });
  fig.append(svg);
  if (series.length > 1) {
    fig.append(h("div", { class: "legend" }, series.map((ser, i) => {
      const sw = h("i", { class: "swatch" });
      sw.style.background = COLORS[i % COLORS.length];
      return h("span", {}, sw, ser.label);
    })));
  }
  return fig;
}
