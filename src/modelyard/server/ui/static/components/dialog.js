// Modal dialogs on the native <dialog> element (focus is trapped and Escape closes it):
// confirmDialog for destructive actions and formDialog for small forms (rename, tags, register).
// A form dialog's submit runs the action itself, so a refusal from the server is shown inside
// the dialog next to the form, and the dialog stays open for a correction.
import { errorText, h } from "../dom.js";

function open(dialog, initialFocus) {
  document.body.append(dialog);
  dialog.addEventListener("close", () => dialog.remove());
  const opener = document.activeElement;
  dialog.addEventListener("close", () => opener && opener.focus && opener.focus());
  dialog.showModal();
  (initialFocus || dialog.querySelector("input,textarea,select,button")).focus();
}

/** Resolves true when the user confirms. `danger` styles the confirm button red. */
export function confirmDialog(title, message, { confirm = "Confirm", danger = false } = {}) {
  return new Promise((resolve) => {
    let answer = false;
    const cancelBtn = h("button", { type: "button", onclick: () => dialog.close() }, "Cancel");
    const okBtn = h("button", { type: "button", class: danger ? "danger" : "primary", onclick: () => { answer = true; dialog.close(); } }, confirm);
    const dialog = h("dialog", { class: "dialog", "aria-labelledby": "dlg-title" },
      h("h2", { id: "dlg-title" }, title), h("p", {}, message), h("div", { class: "dialog-actions" }, cancelBtn, okBtn));
    dialog.addEventListener("close", () => resolve(answer));
    open(dialog, cancelBtn);
  });
}

/**
 * fields: [{name, label, value, type: "text"|"textarea"|"select"|"checkbox", options, required, placeholder}]
 * submit(values) runs the action; its error is shown in the dialog. Resolves with the action's
 * result, or undefined when cancelled.
 */
export function formDialog(title, fields, submit, { confirm = "Save", danger = false, note } = {}) {
  return new Promise((resolve) => {
    let result;
    const inputs = {};
    const rows = fields.map((f) => {
      const id = `dlg-${f.name}`;
      let input;
      if (f.type === "textarea") input = h("textarea", { id, name: f.name, rows: 8, placeholder: f.placeholder || "" }, f.value || "");
      else if (f.type === "select") {
        input = h("select", { id, name: f.name }, (f.options || []).map((o) => h("option", { value: o }, o)));
        if (f.value !== undefined) input.value = f.value;
      } else if (f.type === "checkbox") input = h("input", { id, name: f.name, type: "checkbox", checked: !!f.value });
      else input = h("input", { id, name: f.name, type: "text", value: f.value ?? "", placeholder: f.placeholder || "", required: f.required, autocomplete: "off", list: f.list });
      inputs[f.name] = input;
      return f.type === "checkbox"
        ? h("label", { class: "check", for: id }, input, " ", f.label)
        : h("label", { class: "field", for: id }, h("span", {}, f.label), input);
    });
    const error = h("p", { class: "field-error", role: "alert", hidden: true });
    const okBtn = h("button", { type: "submit", class: danger ? "danger" : "primary" }, confirm);
    const form = h("form", { method: "dialog", onsubmit: async (e) => {
      e.preventDefault();
      const values = Object.fromEntries(Object.entries(inputs).map(([k, el]) => [k, el.type === "checkbox" ? el.checked : el.value]));
      okBtn.disabled = true;
      error.hidden = true;
      try {
        result = await submit(values);
        dialog.close();
      } catch (err) {
        error.textContent = errorText(err);
        error.hidden = false;
      } finally {
        okBtn.disabled = false;
      }
    } }, rows, note ? h("p", { class: "muted small" }, note) : null, error,
    h("div", { class: "dialog-actions" }, h("button", { type: "button", onclick: () => dialog.close() }, "Cancel"), okBtn));
    const dialog = h("dialog", { class: "dialog", "aria-labelledby": "dlg-title" }, h("h2", { id: "dlg-title" }, title), form);
    dialog.addEventListener("close", () => resolve(result));
    open(dialog);
  });
}
