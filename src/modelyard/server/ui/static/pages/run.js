// One run: info, description (markdown), params, latest metrics, tags (add / remove), metric
// charts (one uPlot chart per metric, each loading and failing alone), logged models with
// "Register model", the artifact browser; rename, delete and restore.
import { UI_HEADERS, artifactUrl, get, post } from "../api.js";
import { actionButton, actions } from "../components/action.js";
import { chartGrid } from "../components/chart.js";
import { formDialog } from "../components/dialog.js";
import { markdown } from "../components/markdown.js";
import { traceList } from "../components/traces.js";
import { empty, errorBox, fmtDuration, fmtNum, fmtSize, fmtTime, guarded, h, hashQuery, loading, mount, setTitle, statusBadge, table } from "../dom.js";
import { renameRun } from "./runs_table.js";

const MAX_CHARTS = 24;
const NOTE = "mlflow.note.content";
const TEXT_EXT = /\.(txt|log|json|ya?ml|md|csv|tsv|py|cfg|ini|toml|xml|html|sh|MLmodel)$|(^|\/)(MLmodel|requirements\.txt|conda\.yaml)$/i;
const IMAGE_EXT = /\.(png|jpe?g|gif|svg|webp)$/i;
const MAX_PREVIEW = 512 * 1024;

export const section = (title, ...children) => h("section", { class: "card" }, h("h2", {}, title), ...children);

/** Tags as a table with a remove button per tag and an add form; `set` / `remove` do the calls. */
export function tagEditor(tags, { set, remove, done }) {
  const key = h("input", { type: "text", placeholder: "key", "aria-label": "New tag key", required: true });
  const value = h("input", { type: "text", placeholder: "value", "aria-label": "New tag value" });
  const error = h("span", { class: "action-error", role: "alert", hidden: true });
  const add = h("form", { class: "tag-add", onsubmit: async (e) => {
    e.preventDefault();
    error.hidden = true;
    try { await set(key.value.trim(), value.value); await done(); } catch (err) { error.textContent = err.detail ?? err.message; error.hidden = false; }
  } }, key, value, h("button", {}, "Add tag"), error);
  return h("div", {},
    tags.length ? table(["Key", "Value", ""], tags.map((t) => [h("span", { class: "mono" }, t.key), h("span", { class: "mono" }, t.value),
      actionButton("Remove", () => remove(t.key), { cls: "small", done, confirm: { title: "Remove tag?", message: `Remove the tag "${t.key}"?`, danger: true } })]), { class: "tags" })
      : empty("No tags."),
    add);
}

/** An editable markdown description: rendered safely, "Edit" opens a textarea dialog. */
export function descriptionEditor(text, save, done) {
  return h("div", { class: "description-box" },
    text ? markdown(text) : empty("No description."),
    h("button", { type: "button", class: "small", onclick: async () => {
      const r = await formDialog("Edit description", [{ name: "text", label: "Description (markdown)", type: "textarea", value: text || "" }], (v) => save(v.text).then(() => true));
      if (r) done();
    } }, text ? "Edit description" : "Add description"));
}

/** "Register model" dialog for a source (models:/<id> or runs:/<run>/<path>). */
export async function registerDialog({ source, runId, modelId, suggested = "" }) {
  const names = await get("registered-models/search", { max_results: 200 }).then((r) => (r.registered_models || []).map((m) => m.name), () => []);
  const dl = h("datalist", { id: "model-names" }, names.map((n) => h("option", { value: n })));
  document.body.append(dl);
  try {
    return await formDialog("Register model", [
      { name: "name", label: "Registered model (new or existing)", value: suggested, required: true, list: "model-names" },
    ], async (v) => {
      const name = v.name.trim();
      try { await post("registered-models/create", { name }); } catch (err) { if (err.code !== "RESOURCE_ALREADY_EXISTS") throw err; }
      const r = await post("model-versions/create", { name, source, run_id: runId, model_id: modelId });
      return r.model_version;
    }, { confirm: "Register", note: `Source: ${source}` });
  } finally {
    dl.remove();
  }
}

export async function runPage(root, runId, { alive, refresh }) {
  mount(root, loading());
  const { run } = await get("runs/get", { run_id: runId });
  if (!alive()) return;
  const { info, data } = run;
  setTitle(info.run_name || info.run_id, "Run");
  const exp = await get("experiments/get", { experiment_id: info.experiment_id }).then((r) => r.experiment, () => null);
  const deleted = info.lifecycle_stage === "deleted";
  const allTags = data.tags || [];
  const tags = allTags.filter((t) => t.key !== "mlflow.runName" && t.key !== NOTE);
  const note = allTags.find((t) => t.key === NOTE)?.value || "";
  const artifacts = h("div", { class: "artifacts" }, loading("Loading artifacts…"));
  const models = h("div", {}, loading("Loading logged models…"));
  const traces = h("div", { class: "run-traces" }, loading("Loading traces…"));
  const keys = (data.metrics || []).map((m) => m.key).sort();
  const setTag = (key, value) => post("runs/set-tag", { run_id: runId, key, value });
  mount(root,
    h("p", { class: "crumbs" }, h("a", { href: "#/" }, "Experiments"), " / ",
      h("a", { href: `#/experiments/${info.experiment_id}` }, exp ? exp.name : info.experiment_id), " / ", info.run_name || info.run_id),
    h("h1", {}, info.run_name || info.run_id, " ", statusBadge(info.status, info.lifecycle_stage)),
    actions(
      h("button", { type: "button", onclick: () => renameRun(info).then((r) => r && refresh()) }, "Rename"),
      deleted
        ? actionButton("Restore run", () => post("runs/restore", { run_id: runId }), { done: refresh })
        : actionButton("Delete run", () => post("runs/delete", { run_id: runId }), { danger: true, done: refresh,
          confirm: { title: "Delete run?", message: `"${info.run_name || runId}" moves to Deleted runs; it can be restored.` } })),
    section("Description", descriptionEditor(note, (text) => setTag(NOTE, text), refresh)),
    h("div", { class: "grid2" },
      section("Info", table(["Field", "Value"], [
        ["Run ID", h("span", { class: "mono" }, info.run_id)], ["Status", info.status], ["User", info.user_id || "—"],
        ["Started", fmtTime(info.start_time)], ["Ended", fmtTime(info.end_time)], ["Duration", fmtDuration(info.start_time, info.end_time)],
        ["Lifecycle", info.lifecycle_stage], ["Artifact URI", h("span", { class: "mono small" }, info.artifact_uri)],
        ...(allTags.find((t) => t.key === "mlflow.parentRunId") ? [["Parent run", h("a", { href: `#/runs/${allTags.find((t) => t.key === "mlflow.parentRunId").value}` }, "parent")]] : [])])),
      section("Parameters", (data.params || []).length
        ? table(["Name", "Value"], data.params.map((p) => [p.key, h("span", { class: "mono" }, p.value)]), { class: "params" }) : empty("No parameters.")),
      section("Metrics (latest)", (data.metrics || []).length
        ? table(["Name", "Value", "Step"], data.metrics.map((m) => [m.key, h("span", { class: "num" }, fmtNum(m.value)), m.step ?? 0]), { class: "metrics" }) : empty("No metrics.")),
      section("Tags", tagEditor(tags, { set: setTag, remove: (key) => post("runs/delete-tag", { run_id: runId, key }), done: refresh }))),
    section("Metric charts", keys.length ? chartGrid(keys.slice(0, MAX_CHARTS), [{ id: runId, label: info.run_name || runId }]) : empty("No metrics logged."),
      keys.length > MAX_CHARTS ? h("p", { class: "muted small" }, `Showing ${MAX_CHARTS} of ${keys.length} metrics.`) : null),
    section("Logged models", models),
    section("Traces", traces),
    section("Artifacts", artifacts));
  guarded(traces, (target) => traceList(target, info.experiment_id, runId));
  guarded(models, (target) => loggedModels(target, run));
  guarded(artifacts, (target) => artifactBrowser(target, info));
}

async function loggedModels(target, run) {
  const { info } = run;
  const r = await post("logged-models/search", { experiment_ids: [info.experiment_id], filter: `source_run_id = '${info.run_id}'`, max_results: 100 });
  const list = r.models || [];
  if (!list.length) return mount(target, empty("No logged models. A model saved under the run's artifacts can be registered from the artifact browser (an MLmodel file)."));
  mount(target, table(["Model", "Name", "Status", "Created", ""], list.map((m) => [
    h("a", { href: `#/logged-models/${m.info.model_id}`, class: "mono" }, m.info.model_id),
    m.info.name || "—", m.info.status || "—", fmtTime(m.info.creation_timestamp_ms),
    h("button", { type: "button", class: "small", onclick: async () => {
      const v = await registerDialog({ source: `models:/${m.info.model_id}`, runId: info.run_id, modelId: m.info.model_id, suggested: m.info.name || "" });
      if (v) location.hash = `#/models/${encodeURIComponent(v.name)}/versions/${v.version}`;
    } }, "Register model")]), { class: "logged-models" }));
}

async function artifactBrowser(target, info) {
  const preview = h("div", { class: "preview", "data-run-id": info.run_id }, empty("Select a file to preview it."));
  const tree = h("ul", { class: "tree" });
  const list = async (path) => (await get("artifacts/list", { run_id: info.run_id, path })).files || [];
  const rootFiles = await list("");
  if (!rootFiles.length) return mount(target, empty("No artifacts."));
  const name = (p) => p.split("/").pop();
  const render = (ul, files, rootUri) => {
    for (const f of files) {
      if (f.is_dir) {
        const sub = h("ul", { class: "tree", hidden: true });
        const btn = h("button", { class: "link dir", "aria-expanded": "false", onclick: async () => {
          const open = sub.hidden;
          sub.hidden = !open;
          btn.setAttribute("aria-expanded", String(open));
          if (open && !sub.dataset.loaded) {
            sub.dataset.loaded = "1";
            sub.append(h("li", {}, loading()));
            try { const kids = await list(f.path); sub.replaceChildren(); render(sub, kids, rootUri); if (!kids.length) sub.append(h("li", { class: "muted" }, "(empty)")); }
            catch (err) { sub.replaceChildren(h("li", {}, errorBox(err))); }
          }
        } }, name(f.path) + "/");
        ul.append(h("li", {}, btn, sub));
      } else {
        const url = artifactUrl(rootUri, info.run_id, f.path);
        ul.append(h("li", {}, h("button", { class: "link file", onclick: () => open(f, url) }, name(f.path)), " ",
          h("span", { class: "muted small" }, fmtSize(f.file_size)), " ", h("a", { href: url, download: name(f.path), class: "small" }, "download")));
      }
    }
  };
  const open = (f, url) => {
    // deep link (#/runs/<id>?file=<path>) without triggering a re-render
    history.replaceState(null, "", `#/runs/${info.run_id}?${new URLSearchParams({ file: f.path })}`);
    showFile(preview, f, url).catch((err) => mount(preview, errorBox(err)));
  };
  const rootUri = info.artifact_uri;
  render(tree, rootFiles, rootUri);
  mount(target, h("div", { class: "split" }, h("div", { class: "tree-pane" }, tree), preview));
  const wanted = hashQuery().get("file");
  if (wanted) {
    const parent = wanted.includes("/") ? wanted.slice(0, wanted.lastIndexOf("/")) : "";
    const f = (parent ? await list(parent) : rootFiles).find((x) => x.path === wanted && !x.is_dir);
    if (f) open(f, artifactUrl(rootUri, info.run_id, f.path));
    else mount(preview, empty(`No artifact file ${wanted}.`));
  }
}

async function showFile(target, file, url) {
  const title = h("p", { class: "preview-title" }, h("strong", {}, file.path), " ", h("a", { href: url, download: file.path.split("/").pop() }, "download"));
  if (IMAGE_EXT.test(file.path)) return mount(target, title, h("img", { src: url, alt: file.path, class: "artifact-img" }));
  if (!TEXT_EXT.test(file.path)) return mount(target, title, empty("No preview for this file type."));
  if (/(^|\/)MLmodel$/.test(file.path) && target.dataset.runId) {
    const dir = file.path.includes("/") ? file.path.slice(0, file.path.lastIndexOf("/")) : "";
    const runId = target.dataset.runId;
    title.append(" ", h("button", { type: "button", class: "small", onclick: async () => {
      const v = await registerDialog({ source: `runs:/${runId}/${dir}`.replace(/\/$/, ""), runId, suggested: dir.split("/").pop() });
      if (v) location.hash = `#/models/${encodeURIComponent(v.name)}/versions/${v.version}`;
    } }, "Register model"));
  }
  if ((file.file_size || 0) > MAX_PREVIEW) return mount(target, title, empty(`Too large to preview (${fmtSize(file.file_size)}).`));
  mount(target, title, loading());
  const resp = await fetch(url, { headers: UI_HEADERS });
  let text = await resp.text();
  if (!resp.ok) {
    let err = { code: `HTTP_${resp.status}`, detail: text.slice(0, 300) };
    try { const b = JSON.parse(text); err = { code: b.error_code, detail: b.message }; } catch { /* not JSON */ }
    return mount(target, title, errorBox(err));
  }
  if (/\.json$/i.test(file.path)) {
    try { text = JSON.stringify(JSON.parse(text), null, 2); } catch { /* show as is */ }
  }
  mount(target, title, h("pre", { class: "file-text" }, text));
}
