// Contraindication rules: the list with sources, and a dialog to add, edit or delete one.
import { h, modal, table } from "common/dom.js";
import { details, field } from "app/pages/catalogue/common.js";

export function rulesSection(ctx, rules) {
  const { api, t, act } = ctx;
  return details(t("catalogue.rules", { count: rules.length }),
    h("div", { class: "toolbar" }, h("button", { type: "button", onclick: () => editRule(ctx, null) }, t("catalogue.add_rule"))),
    table(t("catalogue.rules_caption"),
    [t("catalogue.substance"), t("catalogue.applies_to"), t("catalogue.severity"), t("catalogue.explanation"), t("catalogue.source"), ""],
    rules.map((r) => h("tr", {}, h("td", {}, r.substance_name, r.above_daily ? h("div", { class: "hint" }, `> ${r.above_daily} ${r.unit}/${t("catalogue.day")}`) : null),
      h("td", {}, `${r.term} (${r.vocabulary})`), h("td", { class: `state ${r.severity === "avoid" ? "failed" : ""}` }, r.severity),
      h("td", {}, r.explanation),
      h("td", {}, r.source_url ? h("a", { href: r.source_url, rel: "noopener noreferrer", target: "_blank" }, r.source) : r.source),
      h("td", { class: "actions" },
        h("button", { type: "button", class: "secondary", onclick: async () => editRule(ctx, await api.get(`/admin/safety-rules/${r.id}`)) },
          t("catalogue.edit_rule", { substance: r.substance_name, term: r.term })),
        h("button", { type: "button", class: "danger", onclick: () => {
          if (confirm(t("catalogue.delete_rule_confirm", { substance: r.substance_name, term: r.term }))) {
            act(() => api.request("DELETE", `/admin/safety-rules/${r.id}`), t("catalogue.rule_deleted"));
          }
        } }, t("catalogue.delete")))))));
}

// A contraindication rule in a dialog: new (`existing` null) or an edit of one from
// `GET /admin/safety-rules/{id}` (the API replaces it whole; explanations in languages not shown
// are kept).
function editRule({ api, t, act }, existing) {
  // The admin view is the rule's fields with `explanations` beside them.
  const rule = existing;
  const explanations = { ...(existing?.explanations ?? {}) };
  const [substanceField, substance] = field("rule-substance", t("catalogue.substance_code"), { required: true, value: rule?.substance ?? "", maxlength: 63 });
  const vocabulary = h("select", { id: "rule-vocabulary" }, ["condition", "medication_class", "allergen", "population"].map((v) =>
    h("option", { value: v, selected: rule?.vocabulary === v }, t(`catalogue.vocabulary.${v}`))));
  const [codeField, code] = field("rule-code", t("catalogue.term_code"), { required: true, value: rule?.code ?? "", maxlength: 63 });
  const severity = h("select", { id: "rule-severity" }, ["avoid", "caution", "info"].map((v) =>
    h("option", { value: v, selected: (rule?.severity ?? "caution") === v }, t(`catalogue.severity.${v}`))));
  const [aboveField, above] = field("rule-above", t("catalogue.above_daily"), { type: "number", min: 0, step: "any", value: rule?.above_daily ?? "" });
  const [sourceField, source] = field("rule-source", t("catalogue.source"), { required: true, value: rule?.source ?? "", maxlength: 500 });
  const [urlField, url] = field("rule-url", t("catalogue.source_url"), { type: "url", value: rule?.source_url ?? "" });
  const area = (id, label, locale) => {
    const el = h("textarea", { id, rows: 3, maxlength: 2000, required: locale === "en" }, explanations[locale] ?? "");
    return [h("div", { class: "field" }, h("label", { for: id }, label), el), el];
  };
  const [enField, en] = area("rule-en", t("catalogue.explanation_en"), "en");
  const [srField, sr] = area("rule-sr", t("catalogue.explanation_sr"), "sr-Latn");
  modal(t, rule ? t("catalogue.edit_rule", { substance: rule.substance_name, term: rule.term }) : t("catalogue.add_rule"), [
    substanceField,
    h("div", { class: "field" }, h("label", { for: "rule-vocabulary" }, t("catalogue.vocabulary")), vocabulary),
    codeField,
    h("div", { class: "field" }, h("label", { for: "rule-severity" }, t("catalogue.severity")), severity),
    aboveField, sourceField, urlField, enField, srField
  ], () => {
    explanations.en = en.value;
    if (sr.value.trim()) explanations["sr-Latn"] = sr.value; else delete explanations["sr-Latn"];
    const body = {
      substance: substance.value, vocabulary: vocabulary.value, code: code.value, severity: severity.value,
      above_daily: above.value === "" ? null : above.value, source: source.value,
      source_url: url.value === "" ? null : url.value, explanations,
    };
    act(() => (rule ? api.request("PUT", `/admin/safety-rules/${rule.id}`, body) : api.post("/admin/safety-rules", body)),
      t("catalogue.rule_saved"));
  }, substance);
}
