// AutoML from the UI (#/automl, #/automl/<run_id>), as the course's section 4 does it on
// Databricks: a form (data uploaded from the browser or a file already on the server, problem
// type, target, primary metric, time budget, max trials), then a progress view that follows the
// search (it runs in a child process on the server, so a page reload or a closed tab loses
// nothing: the view is rebuilt from the tracking data), and the result: the trials with their
// metrics, the best model with "Register model", its SHAP summary and the generated notebooks.
// Routes: /ajax-api/2.0/modelyard/automl/{upload,columns,start,log} and the MLflow run API.
import { artifactUrl, get, post, request } from "../api.js";
import { actionButton, actions } from "../components/action.js";
import { empty, errorText, fmtNum, fmtTime, fmtDuration, h, kv, loading, mount, setTitle, statusBadge, table } from "../dom.js";
import { registerDialog, section } from "./run.js";

const BASE = "ajax-api/2.0/modelyard/automl/";
const enc = encodeURIComponent;
const POLL_MS = 3000;
export const METRICS = {
  classification: ["f1", "log_loss", "precision", "accuracy", "roc_auc"],
  regression: ["r2", "mae", "rmse", "mse"],
  forecast: ["smape", "mse", "rmse", "mae", "mdape"],
};
const LAUNCHED = "modelyard.automl.launched";

const upload = (file) => request("POST", "upload", { filename: file.name }, { base: BASE, rawBody: file });

const field = (label, input, hint) => h("label", { class: "field" }, h("span", {}, label), input, hint ? h("span", { class: "muted small" }, hint) : null);
const select = (id, options, value) => {
  const el = h("select", { id, name: id }, options.map((o) => (Array.isArray(o) ? h("option", { value: o[0] }, o[1]) : h("option", { value: o }, o))));
  if (value !== undefined) el.value = value;
  return el;
};

export async function automlPage(root, { alive }) {
  mount(root, loading());
  const recent = await recentSearches().catch(() => []);
  if (!alive()) return;
  let described = null;
  const fileInput = h("input", { type: "file", id: "automl-file", accept: ".csv,.parquet" });
  const pathInput = h("input", { type: "text", id: "automl-path", placeholder: "/data/train.parquet", autocomplete: "off" });
  const dataInfo = h("p", { class: "muted small", id: "automl-data-info", "aria-live": "polite" }, "No data chosen yet.");
  const problem = select("automl-problem", [["classification", "Classification"], ["regression", "Regression"], ["forecast", "Forecasting"]], "classification");
  const target = select("automl-target", []);
  const timeCol = select("automl-time-col", []);
  const metric = select("automl-metric", METRICS.classification);
  const budget = h("input", { type: "number", id: "automl-timeout", min: "0.1", step: "any", value: "5" });
  const trials = h("input", { type: "number", id: "automl-max-trials", min: "1", step: "1", placeholder: "no limit" });
  const parallel = h("input", { type: "number", id: "automl-parallelism", min: "1", step: "1", value: "1" });
  const horizon = h("input", { type: "number", id: "automl-horizon", min: "1", step: "1", value: "7" });
  const frequency = select("automl-frequency", [["D", "Daily"], ["W", "Weekly"], ["M", "Monthly"], ["Q", "Quarterly"], ["Y", "Yearly"], ["h", "Hourly"]], "D");
  const experiment = h("input", { type: "text", id: "automl-experiment", placeholder: "automl_<problem>_<time> if empty", autocomplete: "off" });
  const error = h("p", { class: "field-error", role: "alert", hidden: true });
  const forecastOnly = h("div", { class: "grid2", hidden: true },
    field("Time column", timeCol), field("Horizon (steps)", horizon), field("Frequency", frequency));
  const startBtn = h("button", { type: "submit", class: "primary", disabled: true }, "Start AutoML");

  const showColumns = (d) => {
    described = d;
    const names = d.columns.map((c) => c.name);
    mount(target, names.map((n) => h("option", { value: n }, n)));
    target.value = names[names.length - 1];
    mount(timeCol, names.map((n) => h("option", { value: n }, n)));
    const ts = d.columns.find((c) => /date|time/i.test(c.dtype) || /date|time|^ds$/i.test(c.name));
    if (ts) timeCol.value = ts.name;
    dataInfo.textContent = `${d.path.split("/").pop()}: ${d.rows.toLocaleString("en-US")} rows, ${names.length} columns`;
    startBtn.disabled = false;
  };
  const fail = (err) => { error.textContent = errorText(err); error.hidden = false; };
  fileInput.addEventListener("change", async () => {
    const file = fileInput.files && fileInput.files[0];
    if (!file) return;
    error.hidden = true;
    dataInfo.textContent = `Uploading ${file.name}…`;
    try { showColumns(await upload(file)); } catch (err) { dataInfo.textContent = "No data chosen yet."; fail(err); }
  });
  const readPath = h("button", { type: "button", onclick: async () => {
    error.hidden = true;
    try { showColumns(await request("GET", "columns", { path: pathInput.value.trim() }, { base: BASE })); } catch (err) { fail(err); }
  } }, "Read columns");
  problem.addEventListener("change", () => {
    mount(metric, METRICS[problem.value].map((m) => h("option", { value: m }, m)));
    forecastOnly.hidden = problem.value !== "forecast";
  });

  const form = h("form", { class: "card automl-form", onsubmit: async (e) => {
    e.preventDefault();
    if (!described) return;
    error.hidden = true;
    startBtn.disabled = true;
    const body = {
      data_path: described.path, problem_type: problem.value, target_col: target.value, primary_metric: metric.value,
      timeout_minutes: budget.value ? Number(budget.value) : undefined, max_trials: trials.value ? Number(trials.value) : undefined,
      experiment_name: experiment.value.trim() || undefined, parallelism: parallel.value ? Number(parallel.value) : undefined,
    };
    if (problem.value === "forecast") Object.assign(body, { time_col: timeCol.value, horizon: Number(horizon.value), frequency: frequency.value });
    try {
      const r = await request("POST", "start", body, { base: BASE });
      location.hash = `#/automl/${enc(r.run_id)}`;
    } catch (err) {
      fail(err);
    } finally {
      startBtn.disabled = !described;
    }
  } },
  h("h2", {}, "1. Data"),
  h("div", { class: "grid2" }, field("Upload a CSV or Parquet file", fileInput), field("…or a file on the server", h("span", { class: "inline" }, pathInput, readPath))),
  dataInfo,
  h("h2", {}, "2. Problem"),
  h("div", { class: "grid2" }, field("Problem type", problem), field("Target column (prediction target)", target), field("Primary metric", metric)),
  forecastOnly,
  h("h2", {}, "3. Budget"),
  h("div", { class: "grid2" }, field("Time budget (minutes)", budget, "the whole search, refit and reports included"), field("Max trials", trials), field("Parallel trials (worker processes)", parallel, "at most the server's cores"), field("Experiment name", experiment)),
  error, h("div", { class: "dialog-actions" }, startBtn));

  mount(root, h("h1", {}, "AutoML"), form,
    section("Searches started here", recent.length
      ? table(["Run", "Experiment", "Problem", "Target", "Status", "Started"], recent.map(({ run, experiment: exp }) => [
        h("a", { href: `#/automl/${enc(run.info.run_id)}` }, run.info.run_name || run.info.run_id), exp ? exp.name : run.info.experiment_id,
        tag(run, "modelyard.automl.problem_type") || "—", tag(run, "modelyard.automl.target_col") || "—", statusBadge(run.info.status), fmtTime(run.info.start_time),
      ]), { class: "automl-recent" })
      : empty("No AutoML search was started from the UI yet.")));
}

const tag = (run, key) => kv(run.data && run.data.tags)[key];
const metricsOf = (run) => kv(run.data && run.data.metrics);
const paramsOf = (run) => kv(run.data && run.data.params);

async function recentSearches() {
  const { experiments = [] } = await post("experiments/search", { max_results: 1000 });
  if (!experiments.length) return [];
  const byId = new Map(experiments.map((e) => [e.experiment_id, e]));
  const { runs = [] } = await post("runs/search", {
    experiment_ids: experiments.map((e) => e.experiment_id), filter: `tags.\`${LAUNCHED}\` = 'background'`,
    order_by: ["attributes.start_time DESC"], max_results: 20,
  });
  return runs.map((run) => ({ run, experiment: byId.get(run.info.experiment_id) }));
}

/** The validation metric key of the primary metric in the trials' metrics (val_f1_score ...). */
export function primaryKey(trials, metric) {
  const keys = new Set(trials.flatMap((t) => Object.keys(metricsOf(t))).filter((k) => k.startsWith("val_")));
  return [...keys].find((k) => k === `val_${metric}`) || [...keys].find((k) => k.startsWith(`val_${metric}`)) || [...keys][0] || null;
}
const lowerIsBetter = (metric) => /loss|mae|mse|rmse|smape|mdape|mape/.test(metric || "");

export async function automlRunPage(root, runId, { alive }) {
  mount(root, loading());
  const frame = h("div", {});
  let first = true;
  const draw = async () => {
    const { run } = await get("runs/get", { run_id: runId });
    const { runs: children = [] } = await post("runs/search", {
      experiment_ids: [run.info.experiment_id], filter: `tags.mlflow.parentRunId = '${runId}'`, max_results: 1000,
    });
    if (!alive()) return null;
    const params = paramsOf(run);
    const metric = params.primary_metric || tag(run, "modelyard.automl.primary_metric") || "";
    const trials = children.filter((c) => (c.info.run_name || "").startsWith("trial_"));
    const key = primaryKey(trials, metric);
    const sign = lowerIsBetter(metric) ? 1 : -1;
    const score = (t) => metricsOf(t)[key];
    trials.sort((a, b) => (score(a) === undefined) - (score(b) === undefined) || sign * (score(a) - score(b)));
    const failed = trials.filter((t) => t.info.status === "FAILED").length;
    const done = run.info.status !== "RUNNING";
    const bestId = tag(run, "automl.best_run_id") || (trials.find((t) => score(t) !== undefined) || {}).info?.run_id;
    const best = trials.find((t) => t.info.run_id === bestId);
    if (first) { setTitle(run.info.run_name || runId, "AutoML"); first = false; }
    const maxTrials = params.max_trials && params.max_trials !== "None" ? params.max_trials : "";
    const budgetMin = Number(params.timeout_minutes || 0);
    const status = h("div", { class: "automl-status", "data-status": run.info.status, "data-trials": String(trials.length) },
      statusBadge(run.info.status), " ",
      `${trials.length} trial${trials.length === 1 ? "" : "s"}${maxTrials ? ` of at most ${maxTrials}` : ""}`,
      failed ? ` (${failed} failed)` : "", " · ", `elapsed ${fmtDuration(run.info.start_time, run.info.end_time || Date.now())}`,
      budgetMin ? ` of a ${fmtNum(budgetMin)} min budget` : "",
      best && key ? [" · best ", h("strong", {}, `${key} = ${fmtNum(score(best))}`)] : "");
    const progress = budgetMin && !done
      ? h("progress", { max: "100", value: String(Math.min(100, (100 * (Date.now() - run.info.start_time)) / (budgetMin * 60000))) })
      : null;
    const error = tag(run, "modelyard.automl.error");
    const logBox = h("div", {});
    if (run.info.status === "FAILED") {
      request("GET", "log", { run_id: runId }, { base: BASE }).then((r) => alive() && mount(logBox, h("pre", { class: "file-text" }, r.log || "(no output)")), () => null);
    }
    const bestSection = best && done ? section("Best model",
      h("p", {}, h("a", { href: `#/runs/${best.info.run_id}` }, best.info.run_name), ` · ${key} = ${fmtNum(score(best))} · `, h("span", { class: "mono small" }, `runs:/${best.info.run_id}/model`)),
      actions(h("button", { type: "button", class: "primary", onclick: async () => {
        const v = await registerDialog({ source: `runs:/${best.info.run_id}/model`, runId: best.info.run_id, suggested: tag(run, "modelyard.automl.target_col") ? `${tag(run, "modelyard.automl.target_col")}_model` : "" });
        if (v) location.hash = `#/models/${enc(v.name)}/versions/${enc(v.version)}`;
      } }, "Register model")),
      h("img", { class: "shap", alt: "SHAP summary of the best model (absent when explanations were skipped)", src: artifactUrl(best.info.artifact_uri, best.info.run_id, "explain/shap_summary.png"),
        onerror: (e) => { e.target.replaceWith(empty("No SHAP summary (explanations were skipped or did not fit in the budget).")); } }),
      h("p", {}, "Notebooks (data exploration, best trial): ", h("a", { href: `#/runs/${runId}` }, "the AutoML run's artifacts, notebooks/"))) : null;
    mount(frame,
      h("p", { class: "crumbs" }, h("a", { href: "#/automl" }, "AutoML"), " / ", h("a", { href: `#/experiments/${run.info.experiment_id}` }, "experiment"), " / ", run.info.run_name || runId),
      h("h1", {}, run.info.run_name || runId, " ", h("span", { class: "muted" }, `${tag(run, "modelyard.automl.problem_type") || ""} · target ${tag(run, "modelyard.automl.target_col") || params.target_col || "?"}`)),
      status, progress,
      done ? null : actions(actionButton("Cancel search", () => request("POST", "cancel", { run_id: runId }, { base: BASE }), {
        danger: true, done: () => draw(),
        confirm: { title: "Cancel the search?", message: "The search stops now; the trials logged so far stay, the AutoML run is marked KILLED." } })),
      error ? section(run.info.status === "KILLED" ? "The search was cancelled" : "The search failed", h("pre", { class: "file-text" }, error), logBox) : null,
      bestSection,
      section("Trials", trials.length
        ? table(["Trial", "Model", key || "score", "Status", "Duration"], trials.map((t) => [
          h("a", { href: `#/runs/${t.info.run_id}` }, t.info.run_name), (paramsOf(t).classifier || paramsOf(t).regressor || paramsOf(t).family || "—").slice(0, 80),
          score(t) === undefined ? "—" : fmtNum(score(t)), statusBadge(t.info.status), fmtDuration(t.info.start_time, t.info.end_time),
        ]), { class: "automl-trials" })
        : empty(done ? "No trial finished." : "Waiting for the first trial…")),
      h("p", {}, h("a", { href: `#/runs/${runId}` }, "The AutoML run"), " (parameters, column plan, notebooks)"));
    return done;
  };
  mount(root, frame);
  const tick = async () => {
    if (!alive()) return;
    let finished = false;
    try {
      finished = await draw();
    } catch (err) {
      if (!alive()) return;
      mount(frame, h("h1", {}, "AutoML"), h("p", { class: "field-error", role: "alert" }, errorText(err)));
      return;
    }
    if (finished === false && alive()) setTimeout(tick, POLL_MS);
  };
  await tick();
}
