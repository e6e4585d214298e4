// Traces of an experiment (or of one run): MLflow 3 traces from the V3 search route, newest
// first, with their name, state, time, duration and request preview. Every value is text.
import { request } from "../api.js";
import { empty, fmtTime, h, mount, table } from "../dom.js";

const V3 = "ajax-api/3.0/mlflow/";
const MAX = 100;

const esc = (s) => s.replaceAll("\\", "\\\\").replaceAll("'", "\\'");
const ms = (t) => (t ? Date.parse(t) : null);

function duration(d) {
  const s = typeof d === "string" ? Number.parseFloat(d) : NaN;
  if (!Number.isFinite(s)) return "—";
  return s < 1 ? `${Math.round(s * 1000)} ms` : `${s.toFixed(2)} s`;
}

function preview(text) {
  if (!text) return "—";
  return text.length > 120 ? `${text.slice(0, 120)}…` : text;
}

/** Fill `target` with the traces of `experimentId` (only those of `runId` when given). */
export async function traceList(target, experimentId, runId) {
  const body = {
    locations: [{ type: "MLFLOW_EXPERIMENT", mlflow_experiment: { experiment_id: String(experimentId) } }],
    max_results: MAX,
    order_by: ["timestamp_ms DESC"],
  };
  if (runId) body.filter = `run_id = '${esc(runId)}'`;
  const r = await request("POST", "traces/search", body, { base: V3 });
  const traces = r.traces || [];
  if (!traces.length) return mount(target, empty(runId ? "No traces from this run." : "No traces in this experiment."));
  mount(target,
    table(["Trace", "Name", "State", "Time", "Duration", "Request"], traces.map((t) => [
      h("span", { class: "mono small" }, t.trace_id),
      (t.tags || {})["mlflow.traceName"] || "—",
      h("span", { class: `badge st-${String(t.state || "").toLowerCase()}` }, t.state || "—"),
      fmtTime(ms(t.request_time)),
      duration(t.execution_duration),
      h("span", { class: "mono small" }, preview(t.request_preview)),
    ]), { class: "traces" }),
    r.next_page_token ? h("p", { class: "muted small" }, `Showing the newest ${MAX} traces.`) : null);
}
