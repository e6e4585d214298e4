// The run filter input: MLflow's search syntax, completion of metric / param / tag / attribute
// names (type "metrics." and pick with the arrow keys + Enter or Tab, or click), and a syntax
// help panel. The completion list is an ARIA combobox (listbox with aria-activedescendant).
import { h } from "../dom.js";

const ATTRIBUTES = ["run_name", "status", "start_time", "end_time", "user_id", "run_id", "artifact_uri"];
const EXAMPLES = [
  ["metrics.f1_score > 0.8", "a metric compared with a number (=, !=, <, <=, >, >=)"],
  ["params.model = 'rf'", "params and tags are strings: quote values"],
  ["tags.team LIKE 'gro%'", "LIKE / ILIKE with % wildcards"],
  ["attributes.status = 'FINISHED'", "run attributes: " + ATTRIBUTES.join(", ")],
  ["metrics.`my metric` < 1", "names with spaces or dots in backticks"],
  ["tags.`mlflow.parentRunId` = '…'", "the children of one run"],
  ["metrics.loss < 0.5 and params.lr = '0.1'", "clauses joined with and"],
];

const quote = (name) => (/^[A-Za-z_][\w]*$/.test(name) ? name : "`" + name.replaceAll("`", "") + "`");

/** filterBox({value, names: () => ({metrics, params, tags}), onSubmit(text)}) */
export function filterBox({ value = "", names, placeholder = "metrics.f1_score > 0.8 and params.model = 'rf'" }) {
  const list = h("ul", { class: "completions", role: "listbox", id: "filter-completions", hidden: true });
  const input = h("input", {
    type: "search", class: "grow mono", value, placeholder, "aria-label": "Run filter", autocomplete: "off", spellcheck: "false",
    role: "combobox", "aria-autocomplete": "list", "aria-controls": "filter-completions", "aria-expanded": "false",
  });
  const help = h("div", { class: "filter-help", hidden: true, id: "filter-help", tabindex: "-1" },
    h("strong", {}, "Filter syntax"),
    h("table", {}, h("tbody", {}, EXAMPLES.map(([code, what]) => h("tr", {}, h("td", {}, h("code", {}, code)), h("td", {}, what))))),
    h("p", { class: "small muted" }, "Type metrics., params., tags. or attributes. to complete a name."));
  const helpBtn = h("button", { type: "button", class: "help-btn", "aria-expanded": "false", "aria-controls": "filter-help", title: "Filter syntax help",
    onclick: () => { help.hidden = !help.hidden; helpBtn.setAttribute("aria-expanded", String(!help.hidden)); if (!help.hidden) help.focus(); } }, "?");
  let items = [];
  let active = -1;

  const close = () => { list.hidden = true; input.setAttribute("aria-expanded", "false"); input.removeAttribute("aria-activedescendant"); active = -1; };
  const token = () => {
    const upto = input.value.slice(0, input.selectionStart ?? input.value.length);
    const m = /(metrics|params|tags|attributes|attr|metric|param|tag)\.(`?)([^\s`=<>!]*)$/i.exec(upto);
    return m ? { kind: m[1].toLowerCase(), prefix: m[3], start: upto.length - m[0].length, end: upto.length } : null;
  };
  const kindKey = { metric: "metrics", metrics: "metrics", param: "params", params: "params", tag: "tags", tags: "tags", attr: "attributes", attributes: "attributes" };
  const accept = (i) => {
    const t = token();
    if (!t || !items[i]) return;
    const text = `${kindKey[t.kind]}.${quote(items[i])} `;
    input.value = input.value.slice(0, t.start) + text + input.value.slice(t.end);
    const pos = t.start + text.length;
    input.setSelectionRange(pos, pos);
    close();
    input.focus();
  };
  const show = () => {
    const t = token();
    if (!t) return close();
    const all = kindKey[t.kind] === "attributes" ? ATTRIBUTES : (names()[kindKey[t.kind]] || []);
    items = all.filter((n) => n.toLowerCase().startsWith(t.prefix.toLowerCase())).slice(0, 30);
    if (!items.length) return close();
    active = 0;
    list.replaceChildren(...items.map((n, i) => h("li", { role: "option", id: `fc-${i}`, "aria-selected": i === active ? "true" : "false",
      onmousedown: (e) => { e.preventDefault(); accept(i); } }, n)));
    list.hidden = false;
    input.setAttribute("aria-expanded", "true");
    input.setAttribute("aria-activedescendant", "fc-0");
  };
  const move = (by) => {
    active = (active + by + items.length) % items.length;
    [...list.children].forEach((li, i) => li.setAttribute("aria-selected", i === active ? "true" : "false"));
    input.setAttribute("aria-activedescendant", `fc-${active}`);
  };
  input.addEventListener("input", show);
  input.addEventListener("blur", () => setTimeout(close, 100));
  input.addEventListener("keydown", (e) => {
    if (list.hidden) return;
    if (e.key === "ArrowDown") { move(1); e.preventDefault(); }
    else if (e.key === "ArrowUp") { move(-1); e.preventDefault(); }
    else if (e.key === "Enter" || e.key === "Tab") { accept(active); e.preventDefault(); }
    else if (e.key === "Escape") { close(); e.preventDefault(); }
  });
  help.addEventListener("keydown", (e) => { if (e.key === "Escape") { help.hidden = true; helpBtn.setAttribute("aria-expanded", "false"); helpBtn.focus(); } });
  const el = h("div", { class: "filterbox grow" }, h("div", { class: "filter-row" }, input, helpBtn), list, help);
  return { el, input };
}
