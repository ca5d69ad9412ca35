// Dishes and their ingredients: the list, a dialog to add or edit a dish, and the ingredient search.
import { h, modal, table } from "common/dom.js";
import { details, field } from "app/pages/catalogue/common.js";

export function dishesSections(ctx, dishes) {
  const { t } = ctx;
  return [
    details(t("catalogue.dishes", { count: dishes.total }),
      h("div", { class: "toolbar" }, h("button", { type: "button", onclick: () => editDish(ctx, null) }, t("catalogue.add_dish"))),
      table(t("catalogue.dishes_caption"),
      [t("catalogue.name"), t("catalogue.meals"), t("catalogue.cuisine"), t("catalogue.allergens"), ""],
      dishes.items.map((d) => h("tr", {}, h("td", {}, d.name), h("td", {}, d.meal_types.join(", ")), h("td", {}, d.cuisine),
        h("td", {}, d.allergens.join(", ") || "—"),
        h("td", {}, h("button", { type: "button", class: "secondary", onclick: () => editDish(ctx, d.id) },
          t("catalogue.edit_dish", { name: d.name }))))))),
    details(t("catalogue.ingredients"), ingredientSearch(ctx)),
  ];
}

// USDA SR28 foods and admins' own, by name, with what 100 g holds (an empty value is unknown).
function ingredientSearch({ api, t, i18n }) {
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
async function editDish({ api, t, act, i18n }, id) {
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
