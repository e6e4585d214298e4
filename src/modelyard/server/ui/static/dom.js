// Tiny DOM helpers: elements built with textContent only (no HTML injection), formatting.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else if (k in el && typeof v !== "string") el[k] = v;
    else el.setAttribute(k, v === true ? "" : v);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
}

export function mount(target, ...children) {
  target.replaceChildren();
  append(target, children);
}

export const loading = (what = "Loading…") => h("p", { class: "loading" }, what);
export const empty = (what) => h("p", { class: "empty" }, what);

export function errorBox(err) {
  const code = err.code || "ERROR";
  const msg = err.code ? err.message.slice(code.length + 2) : String(err.message || err);
  return h("div", { class: "error", role: "alert" }, h("strong", {}, code), " ", msg);
}

export function fmtTime(ms) {
  if (!ms) return "—";
  const d = new Date(Number(ms));
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export function fmtDuration(start, end) {
  if (!start || !end) return "—";
  let s = Math.max(0, (Number(end) - Number(start)) / 1000);
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  s = Math.round(s % 60);
  return m < 60 ? `${m}m ${s}s` : `${Math.floor(m / 60)}h ${m % 60}m`;
}

export function fmtNum(v) {
  if (typeof v !== "number") return v === undefined ? "—" : String(v);
  if (Number.isInteger(v)) return String(v);
  return Math.abs(v) >= 1e5 || Math.abs(v) < 1e-4 ? v.toExponential(4) : String(Number(v.toPrecision(6)));
}

export function fmtSize(n) {
  if (n === undefined) return "";
  const units = ["B", "KB", "MB", "GB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) (n /= 1024), i++;
  return `${i ? n.toFixed(1) : n} ${units[i]}`;
}

/** A table from column labels and rows of cells (strings or nodes). */
export function table(headers, rows, attrs = {}) {
  return h("div", { class: "table-wrap" },
    h("table", attrs,
      h("thead", {}, h("tr", {}, headers.map((c) => (c instanceof Node ? c : h("th", {}, c))))),
      h("tbody", {}, rows.map((r) => (r instanceof Node ? r : h("tr", {}, r.map((c) => h("td", {}, c))))))));
}

export const kv = (list) => Object.fromEntries((list || []).map((x) => [x.key, x.value]));

export function statusBadge(status) {
  return h("span", { class: `badge st-${(status || "").toLowerCase()}` }, status || "—");
}

/** The hash route's query: #/path?a=1 -> URLSearchParams. */
export function hashQuery() {
  const i = location.hash.indexOf("?");
  return new URLSearchParams(i < 0 ? "" : location.hash.slice(i + 1));
}
