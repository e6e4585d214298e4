// DOM helpers: elements are built with textContent only (never innerHTML), so names, tags and
// descriptions holding HTML or script are shown as text. Also the one loading / empty / error
// pattern every page uses, and formatting.
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

export const loading = (what = "Loading…") => h("p", { class: "loading", role: "status" }, what);
export const empty = (what, ...actions) => h("div", { class: "empty" }, h("p", {}, what), actions.length ? h("p", {}, actions) : null);

/** The message of an error: the server's text for an ApiError, else the JS message. */
export const errorText = (err) => (err && err.detail !== undefined ? err.detail : String((err && err.message) || err));

export function errorBox(err, retry) {
  const code = (err && err.code) || "ERROR";
  return h("div", { class: "error", role: "alert" }, h("strong", {}, code), " ", errorText(err),
    retry ? h("button", { class: "retry", type: "button", onclick: retry }, "Retry") : null);
}

/** Run `load(target)`; on failure show the error (with a Retry button) in `target` only. */
export async function guarded(target, load) {
  try {
    await load(target);
  } catch (err) {
    mount(target, errorBox(err, () => { mount(target, loading()); guarded(target, load); }));
  }
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

/** Run status; a deleted run shows DELETED (red) whatever its status was. */
export function statusBadge(status, lifecycle) {
  if (lifecycle === "deleted") return h("span", { class: "badge st-deleted", title: `deleted (was ${status})` }, "DELETED");
  return h("span", { class: `badge st-${(status || "").toLowerCase()}` }, status || "—");
}

export const plural = (n, one, many = one + "s") => `${n.toLocaleString("en-US")} ${n === 1 ? one : many}`;

/** The document title for a page: "<what> · modelyard". */
export function setTitle(...parts) {
  document.title = [...parts.filter(Boolean), "modelyard"].join(" · ");
}

/** The hash route's query: #/path?a=1 -> URLSearchParams. */
export function hashQuery() {
  const i = location.hash.indexOf("?");
  return new URLSearchParams(i < 0 ? "" : location.hash.slice(i + 1));
}
