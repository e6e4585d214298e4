// JSON API calls (relative URLs, so the UI works under a static prefix) and readable errors.
const BASE = "ajax-api/2.0/mlflow/";

export class ApiError extends Error {
  constructor(code, message, status) {
    super(`${code}: ${message}`);
    this.code = code;
    this.status = status;
  }
}

async function request(method, path, params) {
  let url = BASE + path;
  const init = { method, headers: { Accept: "application/json" } };
  if (method === "GET") {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(params || {})) {
      if (v === undefined || v === null || v === "") continue;
      for (const item of Array.isArray(v) ? v : [v]) qs.append(k, item);
    }
    if ([...qs].length) url += "?" + qs;
  } else {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(params || {});
  }
  let resp;
  try {
    resp = await fetch(url, init);
  } catch (err) {
    throw new ApiError("NETWORK_ERROR", `Cannot reach the server (${err.message})`, 0);
  }
  const text = await resp.text();
  let body = {};
  try {
    body = text ? JSON.parse(text) : {};
  } catch {
    if (!resp.ok) throw new ApiError(`HTTP_${resp.status}`, text.slice(0, 300), resp.status);
  }
  if (!resp.ok) {
    throw new ApiError(body.error_code || `HTTP_${resp.status}`, body.message || resp.statusText, resp.status);
  }
  return body;
}

export const get = (path, params) => request("GET", path, params);
export const post = (path, body) => request("POST", path, body);

/** URL of one run artifact file: through the artifact proxy when the run stores there. */
export function artifactUrl(rootUri, runId, path) {
  const m = /^mlflow-artifacts:(?:\/\/[^/]*)?\/*(.*)$/.exec(rootUri || "");
  const enc = (p) => p.split("/").map(encodeURIComponent).join("/");
  if (m) return `api/2.0/mlflow-artifacts/artifacts/${enc(m[1].replace(/\/+$/, "") + "/" + path)}`;
  return `get-artifact?${new URLSearchParams({ run_id: runId, path })}`;
}

/** Every point of one metric of one run (follows page tokens). */
export async function metricHistory(runId, key) {
  const points = [];
  let token;
  do {
    const r = await get("metrics/get-history", { run_id: runId, metric_key: key, page_token: token, max_results: 25000 });
    points.push(...(r.metrics || []));
    token = r.next_page_token;
  } while (token);
  return points;
}
