// Hash router: #/ experiments, #/experiments/<id>, #/runs/<id>, #/compare?runs=a,b, #/models[/<name>].
import { errorBox, h, mount } from "./dom.js";
import { experimentsPage, experimentPage } from "./experiments.js";
import { runPage } from "./run.js";
import { comparePage } from "./compare.js";
import { modelsPage, modelPage } from "./models.js";

const routes = [
  [/^\/?$/, experimentsPage, "experiments"],
  [/^\/experiments\/([^/]+)$/, experimentPage, "experiments"],
  [/^\/runs\/([^/]+)$/, runPage, "experiments"],
  [/^\/compare$/, comparePage, "experiments"],
  [/^\/models$/, modelsPage, "models"],
  [/^\/models\/(.+)$/, modelPage, "models"],
];

let generation = 0;

async function render() {
  const main = document.getElementById("main");
  const path = location.hash.replace(/^#/, "").split("?")[0];
  const gen = ++generation;
  for (const [re, page, nav] of routes) {
    const m = re.exec(path);
    if (!m) continue;
    for (const a of document.querySelectorAll("[data-nav]")) a.classList.toggle("active", a.dataset.nav === nav);
    const root = h("div", { class: "page" });
    mount(main, root);
    try {
      // pages render into root; `alive()` lets them stop when the user navigated away
      await page(root, ...m.slice(1).map(decodeURIComponent), { alive: () => gen === generation });
    } catch (err) {
      if (gen === generation) mount(root, errorBox(err));
    }
    return;
  }
  mount(main, h("div", { class: "page" }, h("h1", {}, "Not found"), h("p", {}, h("a", { href: "#/" }, "Back to experiments"))));
}

window.addEventListener("hashchange", render);
render();
