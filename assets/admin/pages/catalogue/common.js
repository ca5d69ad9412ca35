// What the catalogue's sections share: a collapsible list, a labelled field, an amount in dinars.
import { h } from "common/dom.js";

export function details(summary, ...content) {
  return h("details", {}, h("summary", {}, summary), ...content);
}

// A labelled input (the label and field together), and the input itself.
export function field(id, label, attrs = {}) {
  const input = h("input", { id, ...attrs });
  return [h("div", { class: "field" }, h("label", { for: id }, label), input), input];
}

export function money(i18n, value) {
  return value === null || value === undefined ? "—" : `${i18n.number(Number(value), 2)} RSD`;
}
