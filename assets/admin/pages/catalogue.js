// Catalogue: the price-feed review queue (approve with a package, or reject), a product's prices at
// every store (set one) with their history as a chart, and the latest price-feed runs.
import { h, modal, table } from "app/dom.js";
import uPlot from "app/vendor/uPlot.esm.js";

let flash = "";
let selected = null; // the product whose prices are shown

export async function render({ api, i18n, refresh }) {
  const t = (k, v) => i18n.t(k, v);
  const [queue, runs, brands, stores, dishes, rules, substances] = await Promise.all([
    api.get("/admin/price-review?limit=50"),
    api.get("/admin/price-feed-runs?limit=10"),
    api.get("/brands"),
    api.get("/admin/stores"),
    api.get(`/dishes?per_page=100&lang=${encodeURIComponent(i18n.locale)}`),
    api.get(`/safety-rules?lang=${encodeURIComponent(i18n.locale)}`),
    api.get("/admin/substances"),
  ]);
  const status = h("p", { class: "status", role: "status", "aria-live": "polite" }, flash);
  flash = "";
  const act = async (work, message) => {
    try { await work(); flash = message; await refresh(); } catch (e) { status.textContent = e.message; }
  };

  const pending = queue.filter((item) => item.status === "pending");
  const reviewRows = pending.map((item) => {
    const label = `${item.brand ?? ""} ${item.name} ${item.size ?? ""}`.trim();
    const packages = h("select", { "aria-label": t("catalogue.package_for", { name: label }) },
      h("option", { value: "" }, t("catalogue.choose_package")),
      item.candidate_package_id ? h("option", { value: item.candidate_package_id, selected: true }, t("catalogue.suggested")) : null);
    const find = h("input", { type: "search", "aria-label": t("catalogue.find_package_for", { name: label }), value: item.name });
    const approve = h("button", { type: "button", disabled: !item.candidate_package_id,
      onclick: () => act(() => api.post(`/admin/price-review/${item.id}/approve`, { package_id: packages.value }),
        t("catalogue.approved", { name: label })) }, t("catalogue.approve"));
    packages.addEventListener("change", () => { approve.disabled = !packages.value; });
    const search = h("button", { type: "button", class: "secondary", onclick: async () => {
      try {
        const found = await packagesMatching(api, find.value, i18n);
        packages.replaceChildren(h("option", { value: "" }, t("catalogue.choose_package")),
          ...found.map((p) => h("option", { value: p.id }, p.label)));
        if (found.length === 1) { packages.value = found[0].id; }
        approve.disabled = !packages.value;
        status.textContent = found.length ? "" : t("catalogue.no_products");
      } catch (e) {
        status.textContent = e.message;
      }
    } }, t("catalogue.search"));
    return h("tr", {},
      h("td", {}, item.store), h("td", { class: "num" }, item.line), h("td", {}, t(`catalogue.reason.${item.reason}`)),
      h("td", {}, label, item.sku ? h("div", { class: "hint mono" }, item.sku) : null),
      h("td", { class: "num" }, money(i18n, item.price)),
      h("td", { class: "actions" }, h("div", { class: "toolbar" }, find, search), packages,
        h("div", { class: "toolbar" }, approve,
          h("button", { type: "button", class: "danger", onclick: () =>
            act(() => api.post(`/admin/price-review/${item.id}/reject`, {}), t("catalogue.rejected", { name: label })) },
          t("catalogue.reject")))));
  });

  const productSearch = h("input", { id: "product-search", type: "search", autocomplete: "off" });
  const results = h("ul", { class: "results" });
  const findProduct = h("form", { class: "toolbar filters", role: "search", onsubmit: async (event) => {
    event.preventDefault();
    try {
      const page = await api.get(`/products?q=${encodeURIComponent(productSearch.value)}&per_page=10`);
      results.replaceChildren(...page.items.map((p) => h("li", {}, h("button", { type: "button", class: "secondary",
        onclick: () => { selected = p.id; refresh(); } }, `${p.brand.name} ${p.name}`))));
      if (!page.items.length) results.replaceChildren(h("li", { class: "hint" }, t("catalogue.no_products")));
    } catch (e) {
      status.textContent = e.message;
    }
  } }, h("div", {}, h("label", { for: "product-search" }, t("catalogue.find_product")), productSearch),
  h("div", { class: "align-end" }, h("button", { type: "submit" }, t("catalogue.search"))));

  const prices = selected ? await pricesOf(api, i18n, selected, act, brands) : null;
  const newProduct = h("button", { type: "button", class: "secondary", onclick: () => editProduct(api, t, act, null, null, brands) },
    t("catalogue.new_product"));

  const runRows = runs.map((r) => h("tr", {},
    h("td", {}, i18n.date(r.started_at)), h("td", {}, r.trigger), h("td", { class: `state ${r.status === "failed" ? "failed" : "ok"}` }, r.status),
    h("td", { class: "num" }, r.rows_read), h("td", { class: "num" }, r.rows_applied), h("td", { class: "num" }, r.rows_queued),
    h("td", { class: "num" }, r.rows_rejected)));

  const lists = h("section", { "aria-label": t("catalogue.lists") },
    details(t("catalogue.brands", { count: brands.length }), brandForm(api, t, act), table(t("catalogue.brands_caption"),
      [t("catalogue.name"), t("catalogue.origin"), t("catalogue.products")],
      brands.map((b) => h("tr", {}, h("td", {}, b.name, b.is_local ? h("span", { class: "tag" }, t("catalogue.local")) : null),
        h("td", {}, b.origin_country ?? "—"), h("td", { class: "num" }, b.products))))),
    details(t("catalogue.stores", { count: stores.length }), table(t("catalogue.stores_caption"),
      [t("catalogue.name"), t("catalogue.city"), t("catalogue.delivery"), t("catalogue.min_order"), t("catalogue.feed"), ""],
      stores.map((st) => h("tr", {}, h("td", {}, st.name, st.is_active ? null : h("span", { class: "tag" }, t("catalogue.inactive"))),
        h("td", {}, st.city ?? "—"),
        h("td", {}, `${money(i18n, st.delivery_fee)}${st.free_delivery_from ? ` · ${t("catalogue.free_from", { amount: money(i18n, st.free_delivery_from) })}` : ""}`),
        h("td", { class: "num" }, money(i18n, st.min_order)), h("td", {}, st.feed_configured ? t("catalogue.feed_set") : "—"),
        h("td", {}, h("button", { type: "button", class: "secondary", onclick: () => editStore(api, t, act, st) },
          t("catalogue.edit_store", { name: st.name }))))))),
    details(t("catalogue.dishes", { count: dishes.total }),
      h("div", { class: "toolbar" }, h("button", { type: "button", onclick: () => editDish(api, t, act, i18n, null) }, t("catalogue.add_dish"))),
      table(t("catalogue.dishes_caption"),
      [t("catalogue.name"), t("catalogue.meals"), t("catalogue.cuisine"), t("catalogue.allergens"), ""],
      dishes.items.map((d) => h("tr", {}, h("td", {}, d.name), h("td", {}, d.meal_types.join(", ")), h("td", {}, d.cuisine),
        h("td", {}, d.allergens.join(", ") || "—"),
        h("td", {}, h("button", { type: "button", class: "secondary", onclick: () => editDish(api, t, act, i18n, d.id) },
          t("catalogue.edit_dish", { name: d.name }))))))),
    details(t("catalogue.ingredients"), ingredientSearch(api, t, i18n)),
    details(t("catalogue.substances", { count: substances.length }),
      h("div", { class: "toolbar" }, h("button", { type: "button", onclick: () => editSubstance(api, t, act, null) }, t("catalogue.add_substance"))),
      table(t("catalogue.substances_caption"), ["", t("catalogue.name"), t("catalogue.unit"), t("catalogue.evidence"), ""],
        substances.map((x) => h("tr", {}, h("td", { class: "mono" }, x.code), h("td", {}, x.names[i18n.locale] ?? x.names.en ?? "—"),
          h("td", {}, x.unit), h("td", {}, x.evidence ?? "—"),
          h("td", {}, h("button", { type: "button", class: "secondary", onclick: () => editSubstance(api, t, act, x) },
            t("catalogue.edit_substance", { code: x.code }))))))),
    details(t("catalogue.rules", { count: rules.length }),
      h("div", { class: "toolbar" }, h("button", { type: "button", onclick: () => editRule(api, t, act, null) }, t("catalogue.add_rule"))),
      table(t("catalogue.rules_caption"),
      [t("catalogue.substance"), t("catalogue.applies_to"), t("catalogue.severity"), t("catalogue.explanation"), t("catalogue.source"), ""],
      rules.map((r) => h("tr", {}, h("td", {}, r.substance_name, r.above_daily ? h("div", { class: "hint" }, `> ${r.above_daily} ${r.unit}/${t("catalogue.day")}`) : null),
        h("td", {}, `${r.term} (${r.vocabulary})`), h("td", { class: `state ${r.severity === "avoid" ? "failed" : ""}` }, r.severity),
        h("td", {}, r.explanation),
        h("td", {}, r.source_url ? h("a", { href: r.source_url, rel: "noopener noreferrer", target: "_blank" }, r.source) : r.source),
        h("td", { class: "actions" },
          h("button", { type: "button", class: "secondary", onclick: async () => editRule(api, t, act, await api.get(`/admin/safety-rules/${r.id}`)) },
            t("catalogue.edit_rule", { substance: r.substance_name, term: r.term })),
          h("button", { type: "button", class: "danger", onclick: () => {
            if (confirm(t("catalogue.delete_rule_confirm", { substance: r.substance_name, term: r.term }))) {
              act(() => api.request("DELETE", `/admin/safety-rules/${r.id}`), t("catalogue.rule_deleted"));
            }
          } }, t("catalogue.delete"))))))));

  return [
    h("h1", {}, t("nav.catalogue")), status,
    h("h2", {}, t("catalogue.review")),
    reviewRows.length ? table(t("catalogue.review"), [t("catalogue.store"), t("catalogue.line"), t("catalogue.reason"),
      t("catalogue.item"), t("catalogue.price"), t("catalogue.decision")], reviewRows) : h("p", {}, t("catalogue.review_empty")),
    h("h2", {}, t("catalogue.prices")), findProduct, h("div", { class: "toolbar" }, newProduct), results, prices,
    h("h2", {}, t("catalogue.runs")),
    runRows.length ? table(t("catalogue.runs"), [t("catalogue.started"), t("catalogue.trigger"), t("catalogue.status"),
      t("catalogue.read"), t("catalogue.applied"), t("catalogue.queued"), t("catalogue.rejected_rows")], runRows) : h("p", {}, t("catalogue.no_runs")),
    h("h2", {}, t("catalogue.lists")), lists,
  ];
}

function details(summary, ...content) {
  return h("details", {}, h("summary", {}, summary), ...content);
}

// A labelled input (the label and field together), and the input itself.
function field(id, label, attrs = {}) {
  const input = h("input", { id, ...attrs });
  return [h("div", { class: "field" }, h("label", { for: id }, label), input), input];
}

function brandForm(api, t, act) {
  const [slugLabel, slug] = field("brand-slug", t("catalogue.slug"), { required: true, pattern: "[a-z0-9]+(-[a-z0-9]+)*", maxlength: 80 });
  const [nameLabel, name] = field("brand-name", t("catalogue.name"), { required: true, maxlength: 120 });
  const [originLabel, origin] = field("brand-origin", t("catalogue.origin_code"), { maxlength: 2, pattern: "[A-Z]{2}" });
  const local = h("input", { id: "brand-local", type: "checkbox" });
  return h("form", { class: "inline-form", "aria-label": t("catalogue.add_brand"), onsubmit: (event) => {
    event.preventDefault();
    act(() => api.post("/admin/brands", { slug: slug.value, name: name.value, origin_country: origin.value || null, is_local: local.checked }),
      t("catalogue.brand_added", { name: name.value }));
  } }, h("h3", {}, t("catalogue.add_brand")), slugLabel, nameLabel, originLabel,
  h("div", { class: "field" }, h("label", { for: "brand-local" }, local, ` ${t("catalogue.local_brand")}`)),
  h("button", { type: "submit" }, t("catalogue.add")));
}

// A contraindication rule in a dialog: new (`existing` null) or an edit of one from
// `GET /admin/safety-rules/{id}` (the API replaces it whole; explanations in languages not shown
// are kept).
function editRule(api, t, act, existing) {
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

// An active substance: new (`existing` null) or an edit; names in languages not shown are kept.
function editSubstance(api, t, act, existing) {
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

// USDA SR28 foods and admins' own, by name, with what 100 g holds (an empty value is unknown).
function ingredientSearch(api, t, i18n) {
  const [findField, find] = field("ingredient-search", t("catalogue.find_ingredient"), { type: "search" });
  const results = table(t("catalogue.ingredients_caption"), [t("catalogue.ingredient"), t("catalogue.food_group"), "USDA",
    "kcal", t("catalogue.protein_g"), t("catalogue.carbohydrate_g"), t("catalogue.fat_g")], []);
  const body = results.querySelector("tbody");
  const n = (v, digits = 1) => (v === null || v === undefined ? "—" : i18n.number(v, digits));
  const form = h("form", { class: "toolbar filters", role: "search", onsubmit: async (event) => {
    event.preventDefault();
    const page = await api.get(`/ingredients?q=${encodeURIComponent(find.value)}&per_page=20&lang=${encodeURIComponent(i18n.locale)}`);
    body.replaceChildren(...page.items.map((ing) => h("tr", {}, h("td", {}, ing.name), h("td", {}, ing.food_group),
      h("td", { class: "mono" }, ing.usda_ndb_no ?? ing.source), h("td", { class: "num" }, n(ing.per_100g.energy_kcal, 0)),
      h("td", { class: "num" }, n(ing.per_100g.protein_g)), h("td", { class: "num" }, n(ing.per_100g.carbohydrate_g)),
      h("td", { class: "num" }, n(ing.per_100g.fat_g)))));
  } }, findField, h("div", { class: "align-end" }, h("button", { type: "submit" }, t("catalogue.search"))));
  return [form, results];
}

// A dish: new (`id` null) or as `GET /admin/dishes/{id}` reads it (names and instructions in
// languages not shown are kept); its recipe is ingredients found by name with the grams the whole
// recipe uses.
async function editDish(api, t, act, i18n, id) {
  const d = id ? await api.get(`/admin/dishes/${id}`) : { names: {}, instructions: {}, meal_types: [], servings: 4, is_active: true, ingredients: [] };
  // The ingredients' names, from the dish's card.
  const named = id ? new Map((await api.get(`/dishes/${id}?lang=${encodeURIComponent(i18n.locale)}`)).ingredients.map((p) => [p.ingredient_id, p.name])) : new Map();
  const [slugField, slug] = field("dish-slug", t("catalogue.slug"), { required: true, maxlength: 80, pattern: "[a-z0-9]+(-[a-z0-9]+)*", value: d.slug ?? "" });
  const [enField, en] = field("dish-en", t("catalogue.product_name_in", { locale: "en" }), { required: true, maxlength: 200, value: d.names.en ?? "" });
  const [srField, sr] = field("dish-sr", t("catalogue.product_name_in", { locale: "sr-Latn" }), { required: true, maxlength: 200, value: d.names["sr-Latn"] ?? "" });
  const meals = ["breakfast", "lunch", "dinner", "snack"].map((m) => {
    const box = h("input", { type: "checkbox", id: `dish-meal-${m}`, value: m, checked: d.meal_types.includes(m) });
    return [box, h("label", { for: `dish-meal-${m}` }, box, ` ${t(`catalogue.meal.${m}`)}`)];
  });
  const [servingsField, servings] = field("dish-servings", t("catalogue.servings"), { type: "number", min: 1, max: 100, step: 1, required: true, value: d.servings });
  const parts = h("tbody");
  const addPart = (ingredientId, name, grams = "", note = null) => {
    const input = h("input", { type: "number", min: "0.1", step: "0.1", required: true, class: "price", value: grams, "aria-label": t("catalogue.grams_of", { name }) });
    const row = h("tr", { "data-id": ingredientId }, h("td", {}, name), h("td", {}, input),
      h("td", {}, h("button", { type: "button", class: "secondary", onclick: () => row.remove() }, t("catalogue.remove"))));
    row.note = note;
    parts.append(row);
    return input;
  };
  for (const part of d.ingredients) addPart(part.ingredient_id, named.get(part.ingredient_id) ?? part.ingredient_id, Number(part.grams), part.note ?? null);
  const [findField, find] = field("dish-ingredient", t("catalogue.find_ingredient"), { type: "search" });
  const found = h("ul", { class: "results" });
  const search = h("button", { type: "button", class: "secondary", onclick: async () => {
    const page = await api.get(`/ingredients?q=${encodeURIComponent(find.value)}&per_page=8&lang=${encodeURIComponent(i18n.locale)}`);
    found.replaceChildren(...page.items.map((ing) => h("li", {}, h("button", { type: "button", class: "secondary",
      onclick: () => { addPart(ing.id, ing.name).focus(); found.replaceChildren(); } }, ing.name))));
  } }, t("catalogue.search"));
  modal(t, id ? t("catalogue.edit_dish", { name: d.names.en ?? d.slug }) : t("catalogue.add_dish"), [
    slugField, enField, srField,
    h("fieldset", {}, h("legend", {}, t("catalogue.meals")), meals.map(([, label]) => label)),
    servingsField,
    findField, h("div", { class: "toolbar" }, search), found,
    h("table", {}, h("caption", {}, t("catalogue.recipe")), h("thead", {}, h("tr", {},
      h("th", { scope: "col" }, t("catalogue.ingredient")), h("th", { scope: "col" }, t("catalogue.grams_total")), h("th", {}))), parts),
  ], () => {
    const body = {
      ...d,
      slug: slug.value, meal_types: meals.filter(([box]) => box.checked).map(([box]) => box.value),
      servings: Number(servings.value),
      names: { ...d.names, en: en.value, "sr-Latn": sr.value },
      ingredients: [...parts.children].map((row) => ({ ingredient_id: row.dataset.id, grams: row.querySelector("input").value, note: row.note ?? null })),
    };
    act(() => (id ? api.request("PUT", `/admin/dishes/${id}`, body) : api.post("/admin/dishes", body)),
      t(id ? "catalogue.dish_saved" : "catalogue.dish_added", { name: en.value }));
  }, slug);
}

const PRODUCT_TYPES = ["protein", "creatine", "amino", "vitamin_mineral", "pre_workout", "post_workout", "carbohydrate", "electrolyte", "fat_burner", "other"];

// A product in a dialog: new (`id` null) or as `GET /admin/products/{id}` reads it. Names in
// languages not shown are sent back as they were (the API replaces the product whole).
function editProduct(api, t, act, id, product, brands) {
  const p = product ?? { names: {}, substances: [], allergens: [], is_available: true, serving_unit: "g", product_type: "protein" };
  const num = (v) => (v === null || v === undefined ? "" : String(Number(v)));
  const [slugField, slug] = field("product-slug", t("catalogue.slug"), { required: true, value: p.slug ?? "", maxlength: 120 });
  const brand = h("select", { id: "product-brand", required: true }, brands.map((b) => h("option", { value: b.id, selected: b.id === p.brand_id }, b.name)));
  const type = h("select", { id: "product-type" }, PRODUCT_TYPES.map((v) => h("option", { value: v, selected: p.product_type === v }, t(`catalogue.type.${v}`))));
  const [sizeField, size] = field("product-serving", t("catalogue.serving_size"), { type: "number", min: "0.01", step: "0.01", required: true, value: num(p.serving_size) });
  const unit = h("select", { id: "product-unit" }, ["g", "ml", "unit"].map((u) => h("option", { value: u, selected: p.serving_unit === u }, u)));
  const nutrition = [["energy_kcal_per_100g", "catalogue.kcal"], ["protein_g_per_100g", "catalogue.protein"], ["carbohydrate_g_per_100g", "catalogue.carbohydrate"], ["fat_g_per_100g", "catalogue.fat"]]
    .map(([key, label]) => [key, ...field(`product-${key}`, t(label), { type: "number", min: 0, step: "0.1", value: num(p[key]) })]);
  const available = h("input", { id: "product-available", type: "checkbox", checked: p.is_available });
  const names = { ...p.names };
  const nameFields = ["en", "sr-Latn"].map((locale) => {
    const [nf, n] = field(`product-name-${locale}`, t("catalogue.product_name_in", { locale }), { value: names[locale]?.name ?? "", maxlength: 200, required: locale === "en" });
    const d = h("textarea", { id: `product-description-${locale}`, rows: 2, maxlength: 2000 }, names[locale]?.description ?? "");
    return { locale, n, d, nodes: [nf, h("div", { class: "field" }, h("label", { for: `product-description-${locale}` }, t("catalogue.description_in", { locale })), d)] };
  });
  const substances = h("textarea", { id: "product-substances", rows: 4 }, p.substances.map((x) => `${x.code} ${Number(x.amount_per_serving)}`).join("\n"));
  const [allergensField, allergens] = field("product-allergens", t("catalogue.allergen_codes"), { value: p.allergens.join(", ") });
  modal(t, id ? t("catalogue.edit_product") : t("catalogue.new_product"), [
    slugField,
    h("div", { class: "field" }, h("label", { for: "product-brand" }, t("catalogue.brand")), brand),
    h("div", { class: "field" }, h("label", { for: "product-type" }, t("catalogue.type")), type),
    sizeField, h("div", { class: "field" }, h("label", { for: "product-unit" }, t("catalogue.unit")), unit),
    nutrition.map(([, node]) => node),
    h("div", { class: "field" }, h("label", { for: "product-available" }, available, ` ${t("catalogue.available")}`)),
    nameFields.map((f) => f.nodes),
    h("div", { class: "field" }, h("label", { for: "product-substances" }, t("catalogue.substances_lines")), substances),
    allergensField
  ], () => {
    for (const { locale, n, d } of nameFields) {
      if (n.value.trim()) names[locale] = { name: n.value, description: d.value.trim() ? d.value : null };
      else delete names[locale];
    }
    const body = {
      slug: slug.value, brand_id: brand.value, product_type: type.value, serving_size: size.value, serving_unit: unit.value,
      is_available: available.checked, names,
      substances: substances.value.split("\n").map((l) => l.trim()).filter(Boolean).map((l) => {
        const [code, amount] = l.split(/\s+/);
        return { code, amount_per_serving: amount ?? "" };
      }),
      allergens: allergens.value.split(",").map((a) => a.trim()).filter(Boolean),
    };
    for (const [key, , input] of nutrition) body[key] = input.value === "" ? null : input.value;
    act(() => (id ? api.request("PUT", `/admin/products/${id}`, body) : api.post("/admin/products", body)), t("catalogue.product_saved", { name: names.en?.name ?? slug.value }));
  }, slug);
}

// A package's size, servings and GTIN in a dialog (the API replaces the package whole).
function editPackage(api, t, act, pk) {
  const [sizeField, size] = field("package-size", t("catalogue.size"), { type: "number", min: "0.01", step: "0.01", required: true, value: Number(pk.size) });
  const unit = h("select", { id: "package-unit" }, ["g", "ml", "unit"].map((u) => h("option", { value: u, selected: pk.size_unit === u }, u)));
  const [servingsField, servings] = field("package-servings", t("catalogue.servings"), { type: "number", min: "0.01", step: "0.01", required: true, value: Number(pk.servings) });
  const [gtinField, gtin] = field("package-gtin", "GTIN", { inputmode: "numeric", pattern: "[0-9]{8}|[0-9]{12,14}", value: pk.gtin ?? "" });
  modal(t, t("catalogue.edit_package", { size: `${pk.size} ${pk.size_unit}` }), [
    sizeField, h("div", { class: "field" }, h("label", { for: "package-unit" }, t("catalogue.unit")), unit), servingsField, gtinField
  ], () => {
    const body = { size: size.value, size_unit: unit.value, servings: servings.value, gtin: gtin.value === "" ? null : gtin.value };
    act(() => api.request("PUT", `/admin/packages/${pk.id}`, body), t("catalogue.package_saved"));
  }, size);
}

// The store's delivery terms and feed in a dialog; the API replaces the whole store, so every
// field not shown is sent back as it was.
function editStore(api, t, act, store) {
  const money = (v) => (v === null || v === undefined ? "" : String(Number(v)));
  const [feeLabel, fee] = field("store-fee", t("catalogue.delivery_fee"), { type: "number", min: 0, step: "0.01", required: true, value: money(store.delivery_fee) });
  const [freeLabel, free] = field("store-free", t("catalogue.free_delivery_from"), { type: "number", min: 0, step: "0.01", value: money(store.free_delivery_from) });
  const [minLabel, min] = field("store-min", t("catalogue.min_order"), { type: "number", min: 0, step: "0.01", required: true, value: money(store.min_order) });
  const [feedLabel, feed] = field("store-feed", t("catalogue.feed_url"), { type: "url", value: store.feed_url ?? "" });
  const active = h("input", { id: "store-active", type: "checkbox", checked: store.is_active });
  modal(t, t("catalogue.edit_store", { name: store.name }), [
    feeLabel, freeLabel, minLabel, feedLabel,
    h("label", { for: "store-active" }, active, ` ${t("catalogue.active")}`)
  ], () => {
    const body = {
      slug: store.slug, name: store.name, website: store.website ?? null, city: store.city ?? null,
      delivery_fee: fee.value, free_delivery_from: free.value === "" ? null : free.value, min_order: min.value,
      delivery_days_min: store.delivery_days_min ?? null, delivery_days_max: store.delivery_days_max ?? null,
      feed_url: feed.value === "" ? null : feed.value, is_active: active.checked,
      description_en: store.description_en ?? null, description_sr_latn: store.description_sr_latn ?? null,
    };
    act(() => api.request("PUT", `/admin/stores/${store.id}`, body), t("catalogue.store_saved", { name: store.name }));
  }, fee);
}

function money(i18n, value) {
  return value === null || value === undefined ? "—" : `${i18n.number(Number(value), 2)} RSD`;
}

/// Packages of the products matching `text`, labelled for a select.
async function packagesMatching(api, text, i18n) {
  const page = await api.get(`/products?q=${encodeURIComponent(text)}&per_page=5`);
  const products = await Promise.all(page.items.map((p) => api.get(`/products/${p.id}`)));
  return products.flatMap((p) => p.packages.map((pk) => ({
    id: pk.id,
    label: `${p.brand.name} ${p.name} — ${i18n.number(Number(pk.size), 2)} ${pk.size_unit}${pk.gtin ? ` (${pk.gtin})` : ""}`,
  })));
}

async function pricesOf(api, i18n, productId, act, brands) {
  const t = (k, v) => i18n.t(k, v);
  const [product, history] = await Promise.all([
    api.get(`/products/${productId}`),
    api.get(`/products/${productId}/price-history`),
  ]);
  const rows = product.packages.flatMap((pk) => pk.offers.map((offer) => {
    const label = `${i18n.number(Number(pk.size), 2)} ${pk.size_unit} · ${offer.store.name}`;
    const input = h("input", { type: "number", min: "0.01", step: "0.01", value: Number(offer.price), class: "price",
      "aria-label": t("catalogue.price_of", { what: label }) });
    const original = offer.discount_price === undefined || offer.discount_price === null ? "" : String(Number(offer.discount_price));
    const discount = h("input", { type: "number", min: "0.01", step: "0.01", value: original, class: "price",
      "aria-label": t("catalogue.discount_of", { what: label }) });
    const stock = h("input", { type: "checkbox", checked: offer.in_stock, "aria-label": t("catalogue.in_stock_of", { what: label }) });
    const save = () => {
      // A full replacement of the store's price: what the admin did not touch is sent as it was.
      const body = { price: input.value, in_stock: stock.checked };
      if (discount.value !== "") {
        body.discount_price = discount.value;
        if (discount.value === original && offer.discount_ends_at) body.discount_ends_at = offer.discount_ends_at;
      }
      return api.request("PUT", `/admin/stores/${offer.store.id}/prices/${pk.id}`, body);
    };
    return h("tr", {},
      h("td", {}, `${i18n.number(Number(pk.size), 2)} ${pk.size_unit}`), h("td", {}, offer.store.name),
      h("td", {}, input), h("td", {}, discount), h("td", {}, stock),
      h("td", {}, h("button", { type: "button", onclick: () => act(save,
        t("catalogue.price_saved", { what: label, price: money(i18n, input.value) })) }, t("catalogue.save"))));
  }));
  const packageRows = product.packages.map((pk) => h("tr", {},
    h("td", {}, `${i18n.number(Number(pk.size), 2)} ${pk.size_unit}`), h("td", { class: "num" }, i18n.number(Number(pk.servings), 2)),
    h("td", { class: "mono" }, pk.gtin ?? "—"),
    h("td", {}, h("button", { type: "button", class: "secondary", onclick: () => editPackage(api, t, act, pk) },
      t("catalogue.edit_package", { size: `${i18n.number(Number(pk.size), 2)} ${pk.size_unit}` })))));
  return h("section", { "aria-label": product.name },
    h("h3", {}, `${product.brand.name} ${product.name}`),
    h("div", { class: "toolbar" }, h("button", { type: "button", class: "secondary", onclick: async () =>
      editProduct(api, t, act, productId, await api.get(`/admin/products/${productId}`), brands) }, t("catalogue.edit_product"))),
    table(t("catalogue.packages_caption"), [t("catalogue.package"), t("catalogue.servings"), "GTIN", ""], packageRows),
    rows.length ? table(t("catalogue.current_prices"), [t("catalogue.package"), t("catalogue.store"), t("catalogue.price"),
      t("catalogue.discount"), t("catalogue.in_stock"), ""], rows) : h("p", {}, t("catalogue.no_prices")),
    historyChart(history, product, i18n));
}

function historyChart(points, product, i18n) {
  const box = h("figure", { class: "chart", "aria-label": i18n.t("catalogue.history") }, h("figcaption", {}, `${i18n.t("catalogue.history")} (RSD)`));
  if (!points.length) return box;
  const sizes = new Map(product.packages.map((pk) => [pk.id, `${i18n.number(Number(pk.size), 2)} ${pk.size_unit}`]));
  const keys = [...new Set(points.map((p) => `${p.store}|${p.package_id}`))];
  const times = [...new Set(points.map((p) => Date.parse(p.observed_at) / 1000))].sort((a, b) => a - b);
  const series = keys.map(() => times.map(() => null));
  for (const p of points) {
    series[keys.indexOf(`${p.store}|${p.package_id}`)][times.indexOf(Date.parse(p.observed_at) / 1000)] = Number(p.discount_price ?? p.price);
  }
  const colours = ["#1b6ac9", "#c2410c", "#15803d", "#7e22ce", "#0e7490", "#a16207"];
  const width = Math.min(720, (document.getElementById("main")?.clientWidth ?? 600) - 56);
  new uPlot({
    width: Math.max(280, width), height: 220,
    series: [{ label: i18n.t("chart.time") }, ...keys.map((key, i) => {
      const [store, pk] = key.split("|");
      return { label: `${store} ${sizes.get(pk) ?? ""}`, stroke: colours[i % colours.length], width: 2, spanGaps: true, paths: uPlot.paths.stepped({ align: 1 }) };
    })],
    axes: [{}, { size: 64 }],
  }, [times, ...series], box);
  return box;
}
