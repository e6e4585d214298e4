// Serving endpoints (#/endpoints, #/endpoints/<name>): the list with state and served versions,
// create ("Enable serving", also from a model version page), one endpoint's served models and
// traffic split (edit it), live figures per served version (requests/s, p50/p99 latency, errors;
// refreshed every 5 s while the page is open), the bearer tokens, delete. Data from
// /ajax-api/2.0/serving-endpoints (Databricks' shapes) and .../modelyard/serving-endpoints/tokens.
// The endpoints themselves are served by `modelyard endpoints serve` (same serving home).
import { request } from "../api.js";
import { actionButton, actions } from "../components/action.js";
import { formDialog } from "../components/dialog.js";
import { empty, fmtNum, fmtTime, h, loading, mount, setTitle, table } from "../dom.js";
import { section } from "./run.js";

const BASE = "ajax-api/2.0/";
const call = (method, path, params) => request(method, path, params, { base: BASE });
const enc = encodeURIComponent;
const FIGURES_EVERY_MS = 5000;

function stateBadge(state) {
  const ready = state && state.ready === "READY";
  const live = ((state && state.workers) || []).filter((w) => !w.stale).length;
  return h("span", { class: `badge ${ready ? "st-finished" : "st-scheduled"}`, title: `${live} live worker(s)` }, ready ? "READY" : "NOT READY");
}

/** "3", "Production" or "@champion" as the served entity fields. */
export function targetFields(target) {
  const t = String(target || "").trim();
  if (!t) throw new Error("Give a version number, a stage (Staging, Production) or an alias (@name).");
  if (t.startsWith("@")) return { alias: t.slice(1) };
  if (/^\d+$/.test(t)) return { entity_version: t };
  return { stage: t };
}
const targetText = (e) => (e.entity_version ? `v${e.entity_version}` : e.stage ? e.stage : e.alias ? `@${e.alias}` : "—");

/** What served versions the live workers answer with, per served model name. */
function liveVersions(state) {
  const out = new Map();
  for (const w of (state && state.workers) || []) {
    if (w.stale) continue;
    for (const m of w.served_models || []) out.set(m.name, m.model_version);
  }
  return out;
}

/** The "Enable serving" dialog: creates an endpoint for one model (a version, stage or alias). */
export function enableServingDialog(modelName, target) {
  return formDialog("Enable serving", [
    { name: "name", label: "Endpoint name", value: modelName.replace(/[^A-Za-z0-9_-]/g, "-").slice(0, 63), required: true },
    { name: "target", label: "Serve (version number, stage, or @alias)", value: target || "Production", required: true },
    { name: "workload", label: "Workload size", type: "select", options: ["Small", "Medium", "Large"], value: "Small" },
    { name: "logging", label: "Log requests to the inference table", type: "checkbox", value: true },
  ], async (v) => {
    const entity = { name: "primary", entity_name: modelName, workload_size: v.workload, ...targetFields(v.target) };
    await call("POST", "serving-endpoints", { name: v.name.trim(), config: { served_entities: [entity], inference_logging: v.logging } });
    return v.name.trim();
  }, { confirm: "Create endpoint", note: "Run `modelyard endpoints serve` (same MODELYARD_SERVING_HOME) to answer requests." });
}

export async function endpointsPage(root) {
  mount(root, loading());
  const { endpoints = [] } = await call("GET", "serving-endpoints");
  const create = h("button", { type: "button", class: "primary", onclick: async () => {
    const model = await formDialog("New serving endpoint", [
      { name: "model", label: "Registered model name", required: true },
    ], async (v) => v.model.trim(), { confirm: "Next" });
    if (!model) return;
    const name = await enableServingDialog(model);
    if (name) location.hash = `#/endpoints/${enc(name)}`;
  } }, "Create endpoint…");
  mount(root, h("h1", {}, "Serving endpoints"), actions(create),
    endpoints.length
      ? table(["Name", "State", "Served models (traffic)", "Workload", "Last updated"], endpoints.map((e) => [
        h("a", { href: `#/endpoints/${enc(e.name)}` }, e.name), stateBadge(e.state),
        h("span", {}, e.config.served_entities.map((s, i) => h("span", { class: "chip", title: s.name },
          `${s.entity_name} ${targetText(s)}${s.shadow ? " (shadow)" : ` ${e.config.traffic_config.routes[i]?.traffic_percentage ?? 0}%`}`))),
        e.config.served_entities[0]?.workload_size || "—", fmtTime(e.last_updated_timestamp),
      ]), { class: "endpoints" })
      : empty("No serving endpoints yet: use \"Enable serving\" on a model version, the button above, or 'modelyard endpoints create'."));
}

function splitDialog(ep) {
  const entities = ep.config.served_entities;
  const routes = new Map(ep.config.traffic_config.routes.map((r) => [r.served_model_name, r.traffic_percentage]));
  const fields = entities.map((e) => ({ name: `pct:${e.name}`, label: `${e.name} (${e.entity_name} ${targetText(e)}) %`, value: String(routes.get(e.name) ?? 0) }));
  fields.push({ name: "add_model", label: "Add a served model: registered model name (optional)", value: "" });
  fields.push({ name: "add_target", label: "… its version, stage or @alias", value: "" });
  fields.push({ name: "add_pct", label: "… its traffic %", value: "0" });
  return formDialog(`Traffic split of ${ep.name}`, fields, async (v) => {
    const served = entities.map((e) => {
      const { name, entity_name: entityName, entity_version: version, stage, alias, shadow } = e;
      return { name, entity_name: entityName, entity_version: version, stage, alias, shadow };
    });
    const newRoutes = entities.map((e) => ({ served_model_name: e.name, traffic_percentage: Number(v[`pct:${e.name}`]) }));
    if (v.add_model.trim()) {
      const fields2 = targetFields(v.add_target);
      const name = `${v.add_model.trim()}-${v.add_target.trim().replace(/^@/, "")}`.replace(/[^A-Za-z0-9_.-]/g, "-");
      served.push({ name, entity_name: v.add_model.trim(), ...fields2 });
      newRoutes.push({ served_model_name: name, traffic_percentage: Number(v.add_pct) });
    }
    return call("PUT", `serving-endpoints/${enc(ep.name)}/config`, { served_entities: served, traffic_config: { routes: newRoutes } });
  }, { confirm: "Save split", note: "The shares must add up to 100. Running endpoint servers switch at their next poll, loading new models first." });
}

function figuresTable(fig) {
  if (!fig.variants.length) return empty(`No requests in the last ${Math.round(fig.window_seconds / 60)} minutes.`);
  return table(["Served model", "Version", "Requests", "Requests/s", "p50 latency (ms)", "p99 latency (ms)", "Errors", "Error rate"], fig.variants.map((v) => [
    v.served_model + (v.shadow ? " (shadow)" : ""), v.model_version ?? "—", String(v.requests), fmtNum(v.requests_per_second),
    fmtNum(v.p50_latency_ms), fmtNum(v.p99_latency_ms), String(v.errors), `${(100 * v.error_rate).toFixed(1)} %`,
  ]), { class: "figures" });
}

function tokensSection(name, tokens, refresh) {
  const mine = tokens.filter((t) => !t.endpoint || t.endpoint === name);
  const created = h("div", { class: "token-secret", hidden: true });
  const make = actionButton("Create token", async () => {
    const t = await call("POST", "modelyard/serving-endpoints/tokens/create", { endpoint: name, comment: `UI, ${name}` });
    mount(created, h("p", {}, "Copy the token now, it is not shown again: "), h("code", { class: "mono", id: "new-token" }, t.token));
    created.hidden = false;
    return t;
  });
  return h("div", {}, actions(make), created,
    mine.length
      ? table(["Token", "Scope", "Comment", "Created", "Expires", "State", ""], mine.map((t) => [
        h("span", { class: "mono small" }, t.token_id), t.endpoint || "all endpoints", t.comment || "—", fmtTime(t.creation_timestamp),
        t.expiry_timestamp ? fmtTime(t.expiry_timestamp) : "never", t.revoked ? "revoked" : "active",
        t.revoked ? "" : actionButton("Revoke", () => call("POST", "modelyard/serving-endpoints/tokens/revoke", { token_id: t.token_id }), {
          danger: true, done: refresh, confirm: { title: "Revoke token?", message: `Callers using ${t.token_id} are refused from now on.` } }),
      ]), { class: "tokens" })
      : empty("No token can call this endpoint yet."));
}

export async function endpointPage(root, name, { alive, refresh }) {
  mount(root, loading());
  const [ep, { tokens = [] }] = await Promise.all([
    call("GET", `serving-endpoints/${enc(name)}`), call("GET", "modelyard/serving-endpoints/tokens")]);
  if (!alive()) return;
  setTitle(ep.name, "Serving endpoint");
  const live = liveVersions(ep.state);
  const routes = new Map(ep.config.traffic_config.routes.map((r) => [r.served_model_name, r.traffic_percentage]));
  const figures = h("div", { id: "endpoint-figures" }, loading("Reading the inference table…"));
  // invocations are answered by `modelyard endpoints serve` (default 127.0.0.1:8080), not here
  const url = `http://127.0.0.1:8080/serving-endpoints/${enc(ep.name)}/invocations`;
  mount(root,
    h("p", { class: "crumbs" }, h("a", { href: "#/endpoints" }, "Serving endpoints"), " / ", ep.name),
    h("h1", {}, ep.name, " ", stateBadge(ep.state)),
    actions(
      h("button", { type: "button", onclick: () => splitDialog(ep).then((r) => r && refresh()) }, "Edit traffic split…"),
      actionButton("Delete endpoint", () => call("DELETE", `serving-endpoints/${enc(ep.name)}`), { danger: true, done: () => { location.hash = "#/endpoints"; },
        confirm: { title: "Delete endpoint?", message: `${ep.name} stops answering at the endpoint servers' next poll; its inference table stays on disk.` } })),
    section("Served models", table(["Name", "Model", "Serves", "Version answering now", "Traffic"], ep.config.served_entities.map((e) => [
      e.name, h("a", { href: `#/models/${enc(e.entity_name)}` }, e.entity_name), targetText(e),
      live.has(e.name) ? h("a", { href: `#/models/${enc(e.entity_name)}/versions/${enc(live.get(e.name))}` }, `v${live.get(e.name)}`) : "—",
      e.shadow ? "shadow copy" : `${routes.get(e.name) ?? 0} %`,
    ]), { class: "served" })),
    section("Live figures (last 15 minutes)", figures),
    section("Access tokens", tokensSection(ep.name, tokens, refresh)),
    section("Query it", h("p", { class: "muted small" }, "Through a running `modelyard endpoints serve` (its address; 8080 by default):"), h("pre", { class: "file-text" },
      `curl -X POST ${url} \\\n  -H "Authorization: Bearer <token>" -H "Content-Type: application/json" \\\n  -d '{"dataframe_records": [{...}]}'`)),
    section("Settings", table(["Field", "Value"], [
      ["Workload size", ep.config.served_entities[0]?.workload_size || "—"],
      ["Inference table", ep.config.inference_logging ? "on" : "off"],
      ["Batching", Object.keys(ep.config.batching || {}).length ? JSON.stringify(ep.config.batching) : "default"],
      ["Created", fmtTime(ep.creation_timestamp)], ["Last updated", fmtTime(ep.last_updated_timestamp)],
      ["Live workers", String(((ep.state && ep.state.workers) || []).filter((w) => !w.stale).length)]])));
  const tick = async () => {
    if (!alive()) return;
    try {
      const fig = await call("GET", `serving-endpoints/${enc(ep.name)}/figures`, { minutes: 15 });
      if (!alive()) return;
      figures.dataset.requests = String(fig.requests);
      mount(figures, figuresTable(fig));
    } catch (err) {
      if (alive()) mount(figures, empty(`Figures unavailable: ${err.detail ?? err.message}`));
    }
    if (alive()) setTimeout(tick, FIGURES_EVERY_MS);
  };
  tick();
}
