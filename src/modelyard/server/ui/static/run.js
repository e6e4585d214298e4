// One run: info, params, latest metrics, tags, metric history charts, artifact browser.
import { artifactUrl, get, metricHistory } from "./api.js";
import { lineChart } from "./chart.js";
import { empty, errorBox, fmtDuration, fmtNum, fmtSize, fmtTime, h, hashQuery, loading, mount, statusBadge, table } from "./dom.js";

const MAX_CHARTS = 12;
const TEXT_EXT = /\.(txt|log|json|ya?ml|md|csv|tsv|py|cfg|ini|toml|xml|html|sh|MLmodel)$|(^|\/)(MLmodel|requirements\.txt|conda\.yaml)$/i;
const IMAGE_EXT = /\.(png|jpe?g|gif|svg|webp)$/i;
const MAX_PREVIEW = 512 * 1024;

const section = (title, ...children) => h("section", { class: "card" }, h("h2", {}, title), ...children);

export async function runPage(root, runId, { alive }) {
  mount(root, loading());
  const { run } = await get("runs/get", { run_id: runId });
  if (!alive()) return;
  const { info, data } = run;
  const exp = await get("experiments/get", { experiment_id: info.experiment_id }).then((r) => r.experiment, () => null);
  const charts = h("div", { class: "charts" }, loading("Loading metric history…"));
  const artifacts = h("div", { class: "artifacts" }, loading("Loading artifacts…"));
  const tags = (data.tags || []).filter((t) => t.key !== "mlflow.runName");
  mount(root,
    h("p", { class: "crumbs" }, h("a", { href: "#/" }, "Experiments"), " / ",
      h("a", { href: `#/experiments/${info.experiment_id}` }, exp ? exp.name : info.experiment_id), " / ", info.run_name || info.run_id),
    h("h1", {}, info.run_name || info.run_id, " ", statusBadge(info.status)),
    h("div", { class: "grid2" },
      section("Info", table(["Field", "Value"], [
        ["Run ID", h("span", { class: "mono" }, info.run_id)], ["Status", info.status], ["User", info.user_id || "—"],
        ["Started", fmtTime(info.start_time)], ["Ended", fmtTime(info.end_time)], ["Duration", fmtDuration(info.start_time, info.end_time)],
        ["Lifecycle", info.lifecycle_stage], ["Artifact URI", h("span", { class: "mono small" }, info.artifact_uri)]])),
      section("Parameters", (data.params || []).length
        ? table(["Name", "Value"], data.params.map((p) => [p.key, h("span", { class: "mono" }, p.value)]), { class: "params" }) : empty("No parameters.")),
      section("Metrics (latest)", (data.metrics || []).length
        ? table(["Name", "Value", "Step"], data.metrics.map((m) => [m.key, h("span", { class: "num" }, fmtNum(m.value)), m.step ?? 0]), { class: "metrics" }) : empty("No metrics.")),
      section("Tags", tags.length ? table(["Key", "Value"], tags.map((t) => [t.key, h("span", { class: "mono" }, t.value)])) : empty("No tags."))),
    section("Metric charts", charts),
    section("Artifacts", artifacts));

  const keys = (data.metrics || []).map((m) => m.key).sort().slice(0, MAX_CHARTS);
  Promise.all(keys.map(async (key) => lineChart(key, [{ label: info.run_name || runId, points: await metricHistory(runId, key) }])))
    .then((figs) => alive() && mount(charts, figs.length ? figs : empty("No metrics logged.")), (err) => mount(charts, errorBox(err)));
  artifactBrowser(artifacts, info).catch((err) => mount(artifacts, errorBox(err)));
}

async function artifactBrowser(target, info) {
  const preview = h("div", { class: "preview" }, empty("Select a file to preview it."));
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
  if ((file.file_size || 0) > MAX_PREVIEW) return mount(target, title, empty(`Too large to preview (${fmtSize(file.file_size)}).`));
  mount(target, title, loading());
  const resp = await fetch(url);
  let text = await resp.text();
  if (!resp.ok) {
    let err = { code: `HTTP_${resp.status}`, message: text };
    try { const b = JSON.parse(text); err = { code: b.error_code, message: `${b.error_code}: ${b.message}` }; } catch { /* not JSON */ }
    return mount(target, title, errorBox(err));
  }
  if (/\.json$/i.test(file.path)) {
    try { text = JSON.stringify(JSON.parse(text), null, 2); } catch { /* show as is */ }
  }
  mount(target, title, h("pre", { class: "file-text" }, text));
}
