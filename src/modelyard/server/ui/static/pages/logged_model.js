// One logged model (#/logged-models/<model_id>, the models:/m-… URIs of MLflow 3): info,
// params, metrics, tags, signature and input example from its MLmodel, "Register model".
import { artifactUrl, get } from "../api.js";
import { actions } from "../components/action.js";
import { empty, fmtNum, fmtTime, guarded, h, loading, mount, setTitle, table } from "../dom.js";
import { modelFiles } from "./model_version.js";
import { registerDialog, section } from "./run.js";

export async function loggedModelPage(root, modelId, { alive }) {
  mount(root, loading());
  const { model } = await get(`logged-models/${encodeURIComponent(modelId)}`);
  if (!alive()) return;
  const { info, data = {} } = model;
  setTitle(info.name || info.model_id, "Logged model");
  const files = h("div", {}, loading("Loading the MLmodel file…"));
  const register = h("button", { type: "button", class: "primary", onclick: async () => {
    const v = await registerDialog({ source: `models:/${info.model_id}`, runId: info.source_run_id, modelId: info.model_id, suggested: info.name || "" });
    if (v) location.hash = `#/models/${encodeURIComponent(v.name)}/versions/${v.version}`;
  } }, "Register model");
  mount(root,
    h("p", { class: "crumbs" }, h("a", { href: "#/" }, "Experiments"), " / ", h("a", { href: `#/experiments/${info.experiment_id}` }, `experiment ${info.experiment_id}`), " / ", info.name || info.model_id),
    h("h1", {}, info.name || info.model_id, " ", h("span", { class: "badge" }, info.status || "—")),
    actions(register),
    h("div", { class: "grid2" },
      section("Info", table(["Field", "Value"], [
        ["Model ID", h("span", { class: "mono" }, info.model_id)], ["URI", h("span", { class: "mono" }, `models:/${info.model_id}`)],
        ["Source run", info.source_run_id ? h("a", { href: `#/runs/${info.source_run_id}` }, info.source_run_id) : "—"],
        ["Created", fmtTime(info.creation_timestamp_ms)], ["Model type", info.model_type || "—"],
        ["Artifact location", h("span", { class: "mono small" }, (info.artifact_uri || info.artifact_location) || "—")]])),
      section("Parameters", (data.params || info.params || []).length
        ? table(["Name", "Value"], (data.params || info.params).map((p) => [p.key, h("span", { class: "mono" }, p.value)])) : empty("No parameters.")),
      section("Metrics", (data.metrics || []).length
        ? table(["Name", "Value", "Step"], data.metrics.map((m) => [m.key, fmtNum(m.value), m.step ?? 0])) : empty("No metrics.")),
      section("Tags", (info.tags || []).length ? table(["Key", "Value"], info.tags.map((t) => [h("span", { class: "mono" }, t.key), h("span", { class: "mono" }, t.value)])) : empty("No tags."))),
    section("Signature and input example", files));
  guarded(files, (t) => modelFiles(t, (path) => artifactUrl((info.artifact_uri || info.artifact_location), info.source_run_id, path)));
}
