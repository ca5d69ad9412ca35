// Meal plans: a day's plan with its dishes, swaps and totals against the targets; the week's; and
// the shopping list of what is planned, with its cost.
import { ApiError } from "common/api.js";
import { h } from "common/dom.js";
import { actionButton, addDays, day, isoDate, money, panel } from "app/ui.js";
import { LOADS } from "app/pages/today.js";

const MACROS = ["energy_kcal", "protein_g", "carbohydrate_g", "fat_g"];

export async function render(ctx, arg) {
  const { t } = ctx;
  const week = arg === "week";
  const date = /^\d{4}-\d{2}-\d{2}$/.test(arg) ? arg : isoDate();
  const switcher = h("div", { class: "toolbar", role: "group", "aria-label": t("meals.view") },
    h("a", { class: `button${week ? " secondary" : ""}`, href: "#/meals", "aria-current": week ? false : "page" }, t("meals.day")),
    h("a", { class: `button${week ? "" : " secondary"}`, href: "#/meals/week", "aria-current": week ? "page" : false }, t("meals.week")));
  return [h("h1", {}, t("nav.meals")), switcher, ...(week ? await weekView(ctx) : await dayView(ctx, date))];
}

async function dayView(ctx, date) {
  const { api, t, i18n, go, offline } = ctx;
  const plan = await api.get(`/meal-plans/${date}`).catch((e) => {
    if (e instanceof ApiError && (e.status === 404 || (e.status === 503 && offline))) return null;
    throw e;
  });
  const picker = h("input", { id: "meals-date", type: "date", value: date, required: true });
  const load = h("select", { id: "meals-load" }, LOADS.map((l) =>
    h("option", { value: l, selected: l === (plan?.training_load ?? "moderate") }, t(`load.${l}`))));
  const make = actionButton(ctx, plan ? t("plan.again") : t("plan.make"), { disabled: offline }, async () => {
    await api.post("/meal-plans/daily", { date, training_load: load.value });
    go(`#/meals/${date}`);
  });
  const controls = [
    h("label", { for: "meals-date" }, t("meals.date")),
    h("form", { class: "toolbar", "aria-label": t("meals.date"), onsubmit: (event) => {
      event.preventDefault();
      go(`#/meals/${picker.value}`);
    } }, picker, h("button", { type: "submit", class: "secondary" }, t("common.open"))),
    h("label", { for: "meals-load" }, t("today.training")), load,
    h("div", { class: "toolbar" }, make)];
  if (!plan) return [...controls, h("p", { class: "hint" }, offline ? t("offline.not_kept") : t("plan.none"))];
  return [...controls, planDetail(ctx, plan), await shoppingList(ctx, date, date)];
}

// One day's plan: each dish with its time, servings and macros, a swap button, and the totals.
function planDetail(ctx, plan) {
  const { api, t, i18n, go, offline } = ctx;
  return panel(day(i18n, plan.date),
    h("p", { class: "muted" }, t(`load.${plan.training_load}`)),
    h("ul", { class: "plain" }, plan.dishes.map((d) => {
      const button = actionButton(ctx, t("plan.swap"), { class: "secondary", disabled: offline,
        "aria-label": t("plan.swap_dish", { dish: d.name }) }, async () => {
        await api.post(`/meal-plans/${plan.date}/swap`, { position: d.position });
        go(`#/meals/${plan.date}`);
      });
      return h("li", {},
        h("div", { class: "row" },
          h("span", {}, h("span", { class: "muted" }, `${d.time} · ${t(`meal.${d.meal_type}`)} · `),
            h("a", { href: `#/dish/${d.dish_id}` }, d.name)),
          button),
        h("div", { class: "muted" }, t("plan.dish_line", {
          servings: i18n.number(d.servings, 2), kcal: i18n.number(d.energy_kcal),
          protein: i18n.number(d.protein_g), carbohydrate: i18n.number(d.carbohydrate_g), fat: i18n.number(d.fat_g),
        })));
    })),
    plan.supplement ? h("p", {}, t("plan.supplement", { name: plan.supplement.name, servings: plan.supplement.servings })) : null,
    h("div", { class: "table-wrap" }, h("table", {},
      h("caption", {}, t("plan.totals")),
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, ""), h("th", { scope: "col", class: "num" }, t("plan.planned")),
        h("th", { scope: "col", class: "num" }, t("plan.target")))),
      h("tbody", {}, MACROS.map((m) => h("tr", {},
        h("th", { scope: "row" }, t(`macro.${m}`)),
        h("td", { class: "num" }, i18n.number(plan.totals[m])),
        h("td", { class: "num" }, i18n.number(plan.targets[m]))))))),
    h("p", { class: plan.within_targets ? "" : "error" }, plan.within_targets ? t("plan.within") : t("plan.outside")),
    plan.misses.length ? h("ul", {}, plan.misses.map((m) => h("li", {}, m.text))) : null,
    plan.cost ? h("p", {}, t("plan.cost", { cost: money(i18n, plan.cost) })) : null);
}

async function weekView(ctx) {
  const { api, t, i18n, go, offline } = ctx;
  const from = isoDate(), to = addDays(from, 6);
  const plans = await api.get(`/meal-plans?from=${from}&to=${to}`).catch((e) => {
    if (e instanceof ApiError && e.status === 503 && offline) return [];
    throw e;
  });
  const make = actionButton(ctx, plans.length ? t("week.again") : t("week.make"), { disabled: offline }, async () => {
    await api.post("/meal-plans/weekly", { start_date: from });
    go("#/meals/week");
  });
  const days = panel(t("week.title", { from: day(i18n, from, { day: "numeric", month: "short" }), to: day(i18n, to, { day: "numeric", month: "short" }) }),
    plans.length === 0 ? h("p", { class: "hint" }, t("week.none")) : h("ul", { class: "plain" }, plans.map((p) => h("li", {},
      h("div", { class: "row" }, h("a", { href: `#/meals/${p.date}` }, day(i18n, p.date)),
        h("span", { class: "num" }, `${i18n.number(p.totals.energy_kcal)} kcal`)),
      h("div", { class: "muted" }, p.dishes.map((d) => d.name).join(" · "))))));
  return [h("div", { class: "toolbar" }, make), days, plans.length ? await shoppingList(ctx, from, to) : null];
}

// What the planned days need, with its estimated cost at the stores' prices.
async function shoppingList({ api, t, i18n }, from, to) {
  const list = await api.get(`/meal-plans/shopping-list?from=${from}&to=${to}`);
  return panel(t("list.title"),
    h("div", { class: "table-wrap" }, h("table", {},
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, t("list.item")), h("th", { scope: "col", class: "num" }, t("list.grams")),
        h("th", { scope: "col", class: "num" }, t("list.cost")))),
      h("tbody", {}, list.items.map((item) => h("tr", {},
        h("td", {}, item.name), h("td", { class: "num" }, i18n.number(Number(item.grams))),
        h("td", { class: "num" }, item.cost ? money(i18n, item.cost) : t("list.no_price"))))))),
    h("p", { class: "row" }, h("strong", {}, t("list.total")), h("span", { class: "num" }, money(i18n, list.estimated_cost))),
    list.unpriced_items ? h("p", { class: "hint" }, t("list.unpriced", { count: list.unpriced_items })) : null);
}
