// One model version (#/models/<name>/versions/<n>): stage and aliases with their actions,
// description, tags, source run, the MLmodel signature and input example, the stage / alias
// history of this version, delete.
import { del, fetchText, get, patch, post } from "../api.js";
import { actionButton, actions } from "../components/action.js";
import { empty, errorBox, fmtTime, guarded, h, loading, mount, setTitle, table } from "../dom.js";
import { aliasChip, aliasDialog, loadHistory, removeAlias, stage, transitionDialog } from "./models.js";
import { descriptionEditor, section, tagEditor } from "./run.js";
import { enableServingDialog } from "./endpoints.js";

/** The value of a top-level `key:` of a YAML text, for the simple shapes MLmodel files use. */
function yamlBlock(text, key) {
  const lines = text.split("\n");
  const i = lines.findIndex((l) => l.startsWith(`${key}:`));
  if (i < 0) return null;
  const inline = lines[i].slice(key.length + 1).trim();
  if (inline) return inline;
  const out = [];
  for (let j = i + 1; j < lines.length && (lines[j].startsWith(" ") || !lines[j].trim()); j++) out.push(lines[j]);
  return out.join("\n");
}
const unquote = (s) => {
  s = (s || "").trim();
  if (s.startsWith("'") && s.endsWith("'")) return s.slice(1, -1).replaceAll("''", "'");
  if (s.startsWith('"') && s.endsWith('"')) { try { return JSON.parse(s); } catch { return s.slice(1, -1); } }
  return s;
};
/** {inputs, outputs, params} of an MLmodel's signature (each a parsed list or null). */
export function parseSignature(mlmodel) {
  const block = yamlBlock(mlmodel, "signature");
  if (!block) return null;
  const field = (name) => {
    const m = new RegExp(`^\\s+${name}:\\s*(.*)$`, "m").exec(block);
    if (!m || !m[1] || m[1] === "null") return null;
    try { return JSON.parse(unquote(m[1])); } catch { return unquote(m[1]); }
  };
  return { inputs: field("inputs"), outputs: field("outputs"), params: field("params") };
}

function schemaTable(title, schema) {
  if (!schema) return null;
  if (!Array.isArray(schema)) return h("div", {}, h("h3", {}, title), h("pre", { class: "file-text" }, String(schema)));
  return h("div", {}, h("h3", {}, title), table(["Name", "Type", "Required"], schema.map((c) => [
    h("span", { class: "mono" }, c.name ?? "(unnamed)"), h("span", { class: "mono" }, c.type === "tensor" ? `tensor ${c["tensor-spec"]?.dtype ?? ""} ${JSON.stringify(c["tensor-spec"]?.shape ?? "")}` : String(c.type)),
    c.required === false ? "no" : "yes"]), { class: "signature" }));
}

export async function modelFiles(target, fileUrl) {
  const text = await fetchText(fileUrl("MLmodel"));
  if (text === null) return mount(target, empty("No MLmodel file at the version's source."));
  const sig = parseSignature(text);
  const flavors = yamlBlock(text, "flavors");
  const exampleInfo = yamlBlock(text, "saved_input_example_info");
  const examplePath = exampleInfo && (/artifact_path:\s*([^\s,}]+)/.exec(exampleInfo) || [])[1];
  const example = examplePath ? await fetchText(fileUrl(examplePath)).catch(() => null) : null;
  let pretty = example;
  try { pretty = example && JSON.stringify(JSON.parse(example), null, 2); } catch { /* keep raw */ }
  mount(target,
    h("p", {}, "Flavors: ", flavors ? [...flavors.matchAll(/^ {2}(\w[\w.-]*):/gm)].map((m) => h("span", { class: "chip" }, m[1])) : "—"),
    sig ? h("div", { class: "grid2" }, schemaTable("Inputs", sig.inputs), schemaTable("Outputs", sig.outputs), schemaTable("Params", sig.params))
      : empty("This model has no signature."),
    h("h3", {}, "Input example"), pretty ? h("pre", { class: "file-text" }, pretty.slice(0, 20000)) : empty("No input example."));
}

export async function modelVersionPage(root, name, version, { alive, refresh }) {
  mount(root, loading());
  const [{ model_version: v }, { registered_model: model }] = await Promise.all([
    get("model-versions/get", { name, version }), get("registered-models/get", { name })]);
  if (!alive()) return;
  setTitle(`${name} v${version}`, "Model version");
  const aliases = (model.aliases || []).filter((a) => String(a.version) === String(version)).map((a) => a.alias);
  const files = h("div", {}, loading("Loading the MLmodel file…"));
  const history = h("div", {}, loading("Loading history…"));
  const fileUrl = (path) => `model-versions/get-artifact?${new URLSearchParams({ name, version, path })}`;
  const sourceRun = v.run_id ? await get("runs/get", { run_id: v.run_id }).then((r) => r.run, () => null) : null;
  mount(root,
    h("p", { class: "crumbs" }, h("a", { href: "#/models" }, "Models"), " / ", h("a", { href: `#/models/${encodeURIComponent(name)}` }, name), " / ", `v${version}`),
    h("h1", {}, `${name} `, h("span", { class: "muted" }, `v${version}`), " ", stage(v.current_stage), " ", aliases.map(aliasChip)),
    actions(
      h("button", { type: "button", onclick: () => transitionDialog(name, v).then((r) => r && refresh()) }, "Transition stage…"),
      h("button", { type: "button", onclick: () => aliasDialog(name, v).then((r) => r && refresh()) }, "Set alias…"),
      ...aliases.map((a) => removeAlias(name, a, refresh)),
      h("button", { type: "button", onclick: () => enableServingDialog(name, String(v.version)).then((ep) => { if (ep) location.hash = `#/endpoints/${encodeURIComponent(ep)}`; }) }, "Enable serving…"),
      actionButton("Delete version", () => del("model-versions/delete", { name, version }), { danger: true, done: () => { location.hash = `#/models/${encodeURIComponent(name)}`; },
        confirm: { title: "Delete model version?", message: `${name} v${version} is deleted for good (the run and its artifacts stay).` } })),
    h("div", { class: "grid2" },
      section("Details", table(["Field", "Value"], [
        ["Version", `v${v.version}`], ["Stage", stage(v.current_stage)], ["Status", v.status || "—"], ["Created", fmtTime(v.creation_timestamp)],
        ["Last modified", fmtTime(v.last_updated_timestamp)], ["User", v.user_id || "—"],
        ["Source", h("span", { class: "mono small" }, v.source || "—")],
        ["Source run", v.run_id ? h("a", { href: `#/runs/${v.run_id}` }, sourceRun ? sourceRun.info.run_name || v.run_id : v.run_id) : "—"],
        ["Logged model", v.model_id ? h("a", { href: `#/logged-models/${v.model_id}`, class: "mono" }, v.model_id) : "—"]])),
      section("Description", descriptionEditor(v.description || "", (text) => patch("model-versions/update", { name, version, description: text }), refresh))),
    section("Tags", tagEditor(v.tags || [], {
      set: (key, value) => post("model-versions/set-tag", { name, version, key, value }),
      remove: (key) => del("model-versions/delete-tag", { name, version, key }), done: refresh,
    })),
    section("Signature and input example", files),
    section("Stage and alias history", history));
  guarded(files, (t) => modelFiles(t, fileUrl).catch((err) => mount(t, errorBox(err))));
  loadHistory(history, name, version);
}
