// Active substances: the list with names and evidence, and a dialog to add or edit one.
import { h, modal, table } from "common/dom.js";
import { details, field } from "app/pages/catalogue/common.js";

export function substancesSection(ctx, substances) {
  const { t, i18n } = ctx;
  return details(t("catalogue.substances", { count: substances.length }),
    h("div", { class: "toolbar" }, h("button", { type: "button", onclick: () => editSubstance(ctx, null) }, t("catalogue.add_substance"))),
    table(t("catalogue.substances_caption"), ["", t("catalogue.name"), t("catalogue.unit"), t("catalogue.evidence"), ""],
      substances.map((x) => h("tr", {}, h("td", { class: "mono" }, x.code), h("td", {}, x.names[i18n.locale] ?? x.names.en ?? "—"),
        h("td", {}, x.unit), h("td", {}, x.evidence ?? "—"),
        h("td", {}, h("button", { type: "button", class: "secondary", onclick: () => editSubstance(ctx, x) },
          t("catalogue.edit_substance", { code: x.code })))))));
}

// An active substance: new (`existing` null) or an edit; names in languages not shown are kept.
function editSubstance({ api, t, act }, existing) {
  const names = { ...(existing?.names ?? {}) };
  const [codeField, code] = field("substance-code", t("catalogue.substance_code"), { required: true, value: existing?.code ?? "", pattern: "[a-z][a-z0-9_]{1,62}" });
  const unit = h("select", { id: "substance-unit" }, ["g", "mg", "ug", "iu"].map((u) => h("option", { value: u, selected: (existing?.unit ?? "mg") === u }, u)));
  const evidence = h("select", { id: "substance-evidence" }, h("option", { value: "" }, "—"),
    ["A", "B", "C", "D"].map((e) => h("option", { value: e, selected: existing?.evidence === e }, e)));
  const [enField, en] = field("substance-en", t("catalogue.product_name_in", { locale: "en" }), { required: true, value: names.en ?? "" });
  const [srField, sr] = field("substance-sr", t("catalogue.product_name_in", { locale: "sr-Latn" }), { value: names["sr-Latn"] ?? "" });
  modal(t, existing ? t("catalogue.edit_substance", { code: existing.code }) : t("catalogue.add_substance"), [
    codeField,
    h("div", { class: "field" }, h("label", { for: "substance-unit" }, t("catalogue.unit")), unit),
    h("div", { class: "field" }, h("label", { for: "substance-evidence" }, t("catalogue.evidence")), evidence),
    enField, srField,
  ], () => {
    names.en = en.value;
    if (sr.value.trim()) names["sr-Latn"] = sr.value; else delete names["sr-Latn"];
    const body = { code: code.value, unit: unit.value, evidence: evidence.value || null, names };
    act(() => (existing ? api.request("PUT", `/admin/substances/${existing.id}`, body) : api.post("/admin/substances", body)),
      t("catalogue.substance_saved", { code: code.value }));
  }, code);
}
