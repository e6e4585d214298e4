// JSON API calls (relative URLs, so the UI works under a static prefix), readable errors, and
// the connection watch: a request that cannot reach the server raises the "server unreachable"
// banner (see app.js), which polls /health and clears itself when the server is back.
// With auth on, every state-changing call carries the session's CSRF token (X-CSRF-Token) and a
// 401 sends the UI back to its login page (onUnauthenticated).
const BASE = "ajax-api/2.0/mlflow/";

/** Headers of every UI call (a plain GET through fetch() included). */
export const UI_HEADERS = { "X-Requested-With": "modelyard-ui" };
let csrfToken = "";
/** The CSRF token of the current session ("" when signed out or auth is off). */
export function setCsrfToken(token) {
  csrfToken = token || "";
}
const unauthListeners = new Set();
/** fn(error) is called when the server answers 401 (no session, or it ended). */
export function onUnauthenticated(fn) {
  unauthListeners.add(fn);
  return () => unauthListeners.delete(fn);
}

export class ApiError extends Error {
  constructor(code, message, status) {
    super(`${code}: ${message}`);
    this.code = code;
    this.detail = message;
    this.status = status;
  }
}

const listeners = new Set();
/** fn(online: boolean) is called when the server stops or starts answering. */
export function onConnection(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}
let online = true;
function setOnline(value) {
  if (online === value) return;
  online = value;
  for (const fn of listeners) fn(value);
}
export const isOnline = () => online;

/** Poll /health until it answers; resolves when the server is back. */
export async function waitForServer(intervalMs = 1500) {
  for (;;) {
    try {
      const r = await fetch("health", { cache: "no-store" });
      if (r.ok) return setOnline(true);
    } catch { /* still away */ }
    await new Promise((res) => setTimeout(res, intervalMs));
  }
}

function query(params) {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) {
    if (v === undefined || v === null || v === "") continue;
    for (const item of Array.isArray(v) ? v : [v]) qs.append(k, item);
  }
  return [...qs].length ? "?" + qs : "";
}

/** `rawBody` (a File or Blob) is sent as the body as it is, `params` then go in the query. */
export async function request(method, path, params, { base = BASE, noAuthRedirect = false, rawBody } = {}) {
  let url = base + path;
  // X-Requested-With: the server then omits its basic-auth challenge (no browser password prompt)
  const init = { method, headers: { Accept: "application/json", ...UI_HEADERS } };
  if (method === "GET") {
    url += query(params);
  } else if (rawBody !== undefined) {
    url += query(params);
    init.headers["Content-Type"] = "application/octet-stream";
    if (csrfToken) init.headers["X-CSRF-Token"] = csrfToken;
    init.body = rawBody;
  } else {
    init.headers["Content-Type"] = "application/json";
    if (csrfToken) init.headers["X-CSRF-Token"] = csrfToken;
    init.body = JSON.stringify(params || {});
  }
  let resp;
  try {
    resp = await fetch(url, init);
  } catch (err) {
    setOnline(false);
    throw new ApiError("NETWORK_ERROR", `Cannot reach the server (${err.message})`, 0);
  }
  if (resp.status === 502 || resp.status === 503 || resp.status === 504) setOnline(false);
  else setOnline(true);
  const text = await resp.text();
  let body = {};
  try {
    body = text ? JSON.parse(text) : {};
  } catch {
    if (!resp.ok) throw new ApiError(`HTTP_${resp.status}`, text.slice(0, 300), resp.status);
  }
  if (!resp.ok) {
    const err = new ApiError(body.error_code || `HTTP_${resp.status}`, body.message || resp.statusText, resp.status);
    if (resp.status === 401 && !noAuthRedirect) for (const fn of unauthListeners) fn(err);
    throw err;
  }
  return body;
}

export const get = (path, params) => request("GET", path, params);
export const post = (path, body) => request("POST", path, body);
export const patch = (path, body) => request("PATCH", path, body);
export const del = (path, body) => request("DELETE", path, body);

// The session (absolute routes, outside ajax-api): GET auth/session answers auth_enabled and,
// with a valid cookie, {user, csrf_token}; login answers the same and sets the cookie.
export const authSession = () => request("GET", "auth/session", {}, { base: "" });
export const authLogin = (username, password) => request("POST", "auth/login", { username, password }, { base: "", noAuthRedirect: true });
export const authLogout = () => request("POST", "auth/logout", {}, { base: "" });
/** The MLflow 3.x per-user grant routes (ajax-api/3.0). */
export const v3 = (method, path, params) => request(method, path, params, { base: "ajax-api/3.0/mlflow/" });

/** URL of one run artifact file: through the artifact proxy when the run stores there. */
export function artifactUrl(rootUri, runId, path) {
  const m = /^mlflow-artifacts:(?:\/\/[^/]*)?\/*(.*)$/.exec(rootUri || "");
  const enc = (p) => p.split("/").map(encodeURIComponent).join("/");
  if (m) return `api/2.0/mlflow-artifacts/artifacts/${enc(m[1].replace(/\/+$/, "") + "/" + path)}`;
  return `get-artifact?${new URLSearchParams({ run_id: runId, path })}`;
}

/** A text file through the artifact proxy or /get-artifact; null when missing. */
export async function fetchText(url) {
  const resp = await fetch(url, { headers: UI_HEADERS });
  if (resp.status === 404) return null;
  const text = await resp.text();
  if (!resp.ok) {
    let code = `HTTP_${resp.status}`, msg = text.slice(0, 300);
    try { const b = JSON.parse(text); code = b.error_code || code; msg = b.message || msg; } catch { /* not JSON */ }
    throw new ApiError(code, msg, resp.status);
  }
  return text;
}

/**
 * One metric of several runs, downsampled by the server (get-history-bulk-interval):
 * at most `maxResults` points per run, optionally within [startStep, endStep].
 * Returns Map(runId -> points sorted by step).
 */
export async function metricIntervals(runIds, key, { maxResults = 1000, startStep, endStep } = {}) {
  const byRun = new Map(runIds.map((id) => [id, []]));
  for (let i = 0; i < runIds.length; i += 100) {
    const r = await get("metrics/get-history-bulk-interval", {
      run_ids: runIds.slice(i, i + 100), metric_key: key, max_results: maxResults, start_step: startStep, end_step: endStep,
    });
    for (const m of r.metrics || []) byRun.get(m.run_id)?.push(m);
  }
  return byRun;
}

/** Every run of a search (follows page tokens), `onPage(runs, done)` after each page. The
 * next page is requested as soon as a page's token is known, before its rows are processed. */
export async function searchAllRuns(body, onPage, { pageSize = 1000, firstPage = 100, alive = () => true, limit = 200000 } = {}) {
  let count = 0;
  let next = post("runs/search", { ...body, max_results: firstPage });
  while (next) {
    const r = await next;
    if (!alive()) return;
    const runs = r.runs || [];
    count += runs.length;
    const token = r.next_page_token;
    const more = token && count < limit;
    next = more ? post("runs/search", { ...body, max_results: pageSize, page_token: token }) : null;
    onPage(runs, !more);
  }
}
