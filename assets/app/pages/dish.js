// A dish: its ingredients per serving, the recipe, and its nutrients per serving. A nutrient the
// data does not give is shown as unknown, never as 0.
import { h } from "common/dom.js";
import { money, panel } from "app/ui.js";

const NUTRIENTS = [
  ["energy_kcal", "kcal", 0], ["protein_g", "g", 1], ["carbohydrate_g", "g", 1], ["fat_g", "g", 1],
  ["saturated_fat_g", "g", 1], ["fiber_g", "g", 1], ["sugars_g", "g", 1], ["sodium_mg", "mg", 0],
  ["potassium_mg", "mg", 0], ["calcium_mg", "mg", 0], ["iron_mg", "mg", 1], ["magnesium_mg", "mg", 0],
  ["zinc_mg", "mg", 1], ["vitamin_c_mg", "mg", 0], ["vitamin_d_ug", "µg", 1], ["vitamin_b12_ug", "µg", 1],
];

export async function render({ api, t, i18n }, id) {
  // Anyone may read a dish, so it answers in the language asked, not the account's.
  const dish = await api.get(`/dishes/${encodeURIComponent(id)}?lang=${i18n.locale}`);
  const facts = [
    dish.cooking_time_min ? t("dish.minutes", { minutes: dish.cooking_time_min }) : null,
    dish.difficulty ? t(`dish.difficulty_${dish.difficulty}`) : null,
    dish.serving_grams ? t("dish.serving", { grams: i18n.number(dish.serving_grams) }) : null,
    dish.cost_per_serving ? t("dish.cost", { cost: money(i18n, dish.cost_per_serving) }) : null,
  ].filter(Boolean);
  return [
    h("p", {}, h("a", { href: "#/meals" }, `← ${t("nav.meals")}`)),
    h("h1", {}, dish.name),
    h("p", { class: "muted" }, facts.join(" · ")),
    dish.allergens.length ? h("p", {}, t("dish.allergens", { list: dish.allergens.join(", ") })) : null,
    panel(t("dish.ingredients"), h("ul", { class: "plain" }, dish.ingredients.map((part) => h("li", { class: "row" },
      h("span", {}, part.name, part.note ? h("span", { class: "muted" }, ` (${part.note})`) : null),
      h("span", { class: "num" }, `${i18n.number(Number(part.grams_per_serving))} g`))))),
    dish.instructions ? panel(t("dish.recipe"), dish.instructions.split(/\n+/).map((line) => h("p", {}, line))) : null,
    panel(t("dish.nutrients"), h("div", { class: "table-wrap" }, h("table", {},
      h("caption", {}, t("dish.per_serving")),
      h("tbody", {}, NUTRIENTS.map(([key, unit, digits]) => h("tr", {},
        h("th", { scope: "row" }, t(`nutrient.${key}`)),
        h("td", { class: "num" }, dish.per_serving[key] === undefined || dish.per_serving[key] === null
          ? t("common.unknown") : `${i18n.number(dish.per_serving[key], digits)} ${unit}`))))))),
  ];
}
