// The "who am I" menu of the header (auth on): the username, an admin badge, links to the token
// page (and for admins the users, permissions and audit pages) and Sign out.
import { authLogout } from "../api.js";
import { h, mount } from "../dom.js";
import { clearSession, session } from "../session.js";

export function renderWhoami(slot, onSignedOut) {
  const user = session.user;
  if (!session.enabled || !user) return mount(slot);
  const menu = h("div", { class: "whoami-menu", role: "menu", hidden: true },
    h("a", { href: "#/tokens", role: "menuitem" }, "Access tokens"),
    user.is_admin ? [
      h("a", { href: "#/admin/users", role: "menuitem" }, "Users and permissions"),
      h("a", { href: "#/admin/audit", role: "menuitem" }, "Audit log"),
    ] : null,
    h("button", { type: "button", class: "link signout", role: "menuitem", onclick: async () => {
      try { await authLogout(); } finally {
        clearSession();
        if (location.hash.startsWith("#/admin") || location.hash.startsWith("#/tokens")) location.hash = "#/";
        onSignedOut();
      }
    } }, "Sign out"));
  const toggle = h("button", { type: "button", class: "whoami-button", "aria-haspopup": "menu", "aria-expanded": "false", onclick: () => {
    menu.hidden = !menu.hidden;
    toggle.setAttribute("aria-expanded", String(!menu.hidden));
  } }, h("span", { class: "whoami-name" }, user.username), user.is_admin ? h("span", { class: "badge admin-badge" }, "admin") : null, " ▾");
  menu.addEventListener("click", (e) => { if (e.target.closest("a")) { menu.hidden = true; toggle.setAttribute("aria-expanded", "false"); } });
  mount(slot, toggle, menu);
}
