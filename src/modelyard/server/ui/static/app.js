// Hash router with a title per route, the page frame (one error pattern for a page that fails),
// and the "server unreachable" banner. A page is `async (root, ...params, ctx)`; `ctx.alive()`
// turns false once the user navigated away, `ctx.refresh()` renders the current route again.
// With auth on (GET auth/session says so): the login page until signed in (and again when a call
// answers 401), the "who am I" menu in the header, the token page, and for admins the users,
// permissions and audit pages. With auth off none of these exist.
import { onConnection, onUnauthenticated, waitForServer } from "./api.js";
import { renderWhoami } from "./components/whoami.js";
import { errorBox, h, mount, setTitle } from "./dom.js";
import { experimentsPage } from "./pages/experiments.js";
import { experimentPage } from "./pages/runs_table.js";
import { runPage } from "./pages/run.js";
import { comparePage } from "./pages/compare.js";
import { modelsPage, modelPage } from "./pages/models.js";
import { modelVersionPage } from "./pages/model_version.js";
import { loggedModelPage } from "./pages/logged_model.js";
import { monitorPage, monitorsPage } from "./pages/monitors.js";
import { endpointPage, endpointsPage } from "./pages/endpoints.js";
import { automlPage, automlRunPage } from "./pages/automl.js";
import { loginPage } from "./pages/login.js";
import { tokensPage } from "./pages/tokens.js";
import { auditPage, userPermissionsPage, usersPage } from "./pages/admin.js";
import { clearSession, loadSession, session } from "./session.js";

export const routes = [
  [/^\/?$/, experimentsPage, "experiments", "Experiments"],
  [/^\/experiments\/([^/]+)$/, experimentPage, "experiments", "Runs"],
  [/^\/runs\/([^/]+)$/, runPage, "experiments", "Run"],
  [/^\/compare$/, comparePage, "experiments", "Compare runs"],
  [/^\/models$/, modelsPage, "models", "Registered models"],
  [/^\/models\/([^/]+)\/versions\/([^/]+)$/, modelVersionPage, "models", "Model version"],
  [/^\/models\/([^/]+)$/, modelPage, "models", "Model"],
  [/^\/logged-models\/([^/]+)$/, loggedModelPage, "experiments", "Logged model"],
  [/^\/monitors$/, monitorsPage, "monitors", "Monitors"],
  [/^\/monitors\/([^/]+)$/, monitorPage, "monitors", "Monitor"],
  [/^\/automl$/, automlPage, "automl", "AutoML"],
  [/^\/automl\/([^/]+)$/, automlRunPage, "automl", "AutoML"],
  [/^\/endpoints$/, endpointsPage, "endpoints", "Serving endpoints"],
  [/^\/endpoints\/([^/]+)$/, endpointPage, "endpoints", "Serving endpoint"],
];

/** Routes that exist only with auth on (the admin ones only for admins). */
const authRoutes = [
  [/^\/tokens$/, tokensPage, "", "Access tokens"],
];
const adminRoutes = [
  [/^\/admin\/users$/, usersPage, "", "Users"],
  [/^\/admin\/users\/([^/]+)$/, userPermissionsPage, "", "Permissions"],
  [/^\/admin\/audit$/, auditPage, "", "Audit log"],
];

function activeRoutes() {
  if (!session.enabled || !session.user) return routes;
  return [...routes, ...authRoutes, ...(session.user.is_admin ? adminRoutes : [])];
}

let generation = 0;
let started = false;
const whoami = h("div", { class: "whoami" });

/** Ask the server who is signed in, then show the login page or the route. */
async function start() {
  const gen = ++generation;
  try {
    await loadSession();
  } catch (err) {
    if (gen === generation) mount(document.getElementById("main"), h("div", { class: "page" }, errorBox(err, start)));
    return;
  }
  if (gen !== generation) return;
  started = true;
  refreshHeader();
  if (session.enabled && !session.user) return showLogin();
  render();
}

/** Sections whose routes are for admins when auth is on (they read the server's disk, start
 * processes or hand out tokens): their header links are hidden from other users. */
const ADMIN_SECTIONS = ["monitors", "automl", "endpoints"];
function refreshHeader() {
  renderWhoami(whoami, signedOut);
  const hide = session.enabled && !(session.user && session.user.is_admin);
  for (const a of document.querySelectorAll("[data-nav]")) a.hidden = hide && ADMIN_SECTIONS.includes(a.dataset.nav);
}

function showLogin() {
  ++generation;
  refreshHeader();
  loginPage(document.getElementById("main"), () => { refreshHeader(); render(); });
}

function signedOut() {
  clearSession();
  showLogin();
}

async function render() {
  if (!started) return start();
  if (session.enabled && !session.user) return showLogin();
  const main = document.getElementById("main");
  const path = location.hash.replace(/^#/, "").split("?")[0];
  const gen = ++generation;
  for (const [re, page, nav, title] of activeRoutes()) {
    const m = re.exec(path);
    if (!m) continue;
    for (const a of document.querySelectorAll("[data-nav]")) {
      a.classList.toggle("active", a.dataset.nav === nav);
      if (a.dataset.nav === nav) a.setAttribute("aria-current", "page"); else a.removeAttribute("aria-current");
    }
    setTitle(title);
    const root = h("div", { class: "page" });
    mount(main, root);
    const ctx = { alive: () => gen === generation, refresh: () => gen === generation && render() };
    try {
      await page(root, ...m.slice(1).map(decodeURIComponent), ctx);
    } catch (err) {
      if (gen === generation) mount(root, h("h1", {}, title), errorBox(err, () => render()));
    }
    return;
  }
  setTitle("Not found");
  mount(main, h("div", { class: "page" }, h("h1", {}, "Not found"), h("p", {}, `No page at ${path}. `, h("a", { href: "#/" }, "Back to experiments"))));
}

// Server unreachable: a banner that stays until /health answers again, then the page reloads its data.
const banner = h("div", { class: "banner", id: "offline-banner", role: "alert", hidden: true },
  h("strong", {}, "The server is not answering."), " Retrying… changes made now are not saved.");
onConnection((online) => {
  banner.hidden = online;
  if (!online) waitForServer().then(() => render());
});

// A call answered 401: the session ended (expired, password changed, user deleted): sign in again.
onUnauthenticated(() => {
  if (session.enabled && session.user) signedOut();
});

const skip = h("button", { type: "button", class: "skip", onclick: () => document.getElementById("main").focus() }, "Skip to content");
document.body.prepend(skip, banner);
document.querySelector("header.top").append(whoami);
window.addEventListener("hashchange", render);
start();
