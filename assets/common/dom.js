// Builds DOM nodes; text is always set as text (never parsed as HTML), so API data cannot inject markup.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (key === "class") {
      el.className = value;
    } else if (value === true) {
      el.setAttribute(key, "");
    } else {
      el.setAttribute(key, String(value));
    }
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

// A definition-list style card: a label and a value, with a state colour.
export function card(label, value, state = "neutral", detail = "") {
  return h("div", { class: `card ${state}`, role: "group", "aria-label": label },
    h("div", { class: "card-label" }, label),
    h("div", { class: "card-value" }, value),
    detail ? h("div", { class: "card-detail" }, detail) : null);
}

export function table(caption, headers, rows) {
  return h("div", { class: "table-wrap" },
    h("table", {},
      h("caption", {}, caption),
      h("thead", {}, h("tr", {}, headers.map((th) => h("th", { scope: "col" }, th)))),
      h("tbody", {}, rows)));
}

// A modal form: `fields` under a heading, with a submit button (Save unless `submitLabel`) and
// Cancel; `save` runs once it has closed.
let dialogs = 0;

export function modal(t, title, fields, save, focus, submitLabel = t("catalogue.save")) {
  dialogs += 1;
  const id = `dialog-${dialogs}`;
  const close = () => { dialog.close(); dialog.remove(); };
  const dialog = h("dialog", { "aria-labelledby": id },
    h("form", { method: "dialog", onsubmit: (event) => { event.preventDefault(); close(); save(); } },
      h("h2", { id }, title), fields,
      h("div", { class: "toolbar" }, h("button", { type: "submit" }, submitLabel),
        h("button", { type: "button", class: "secondary", onclick: close }, t("common.cancel")))));
  document.body.append(dialog);
  dialog.showModal();
  focus.focus();
}
