// Action buttons: run one API call, disabled while it runs, optionally behind a confirmation,
// and a refusal from the server shown right next to the button (role=alert), never a page error.
import { errorText, h } from "../dom.js";
import { confirmDialog } from "./dialog.js";

/**
 * actionButton(label, run, {confirm: {title, message, confirm, danger}, done, danger, title})
 * `run()` performs the call; `done(result)` runs after success (usually a re-render).
 */
export function actionButton(label, run, { confirm, done, danger = false, title, cls = "" } = {}) {
  const error = h("span", { class: "action-error", role: "alert", hidden: true });
  const btn = h("button", { type: "button", class: `${danger ? "danger-outline" : ""} ${cls}`.trim(), title, onclick: async () => {
    error.hidden = true;
    if (confirm && !(await confirmDialog(confirm.title || label, confirm.message, { confirm: confirm.confirm || label, danger: confirm.danger ?? danger }))) return;
    btn.disabled = true;
    try {
      const result = await run();
      if (done) await done(result);
    } catch (err) {
      error.textContent = errorText(err);
      error.hidden = false;
    } finally {
      btn.disabled = false;
    }
  } }, label);
  return h("span", { class: "action" }, btn, error);
}

/** A row of actions. */
export const actions = (...items) => h("div", { class: "actions" }, items.filter(Boolean));
