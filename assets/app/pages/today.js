// The athlete's day: the day's training load, the targets it gives (with how they were worked
// out), the day's meal plan and a way to log the day.
import { ApiError } from "common/api.js";
import { h } from "common/dom.js";
import { actionButton, day, figure, isoDate, panel, sources } from "app/ui.js";

export const LOADS = ["rest", "light", "moderate", "hard", "very_hard"];

// The targets and plan of `date`, or a prompt to fill in the health profile first.
export async function render(ctx, arg) {
  const { api, t, i18n, go, offline } = ctx;
  const date = /^\d{4}-\d{2}-\d{2}$/.test(arg) ? arg : isoDate();
  const load = new URLSearchParams(location.hash.split("?")[1] ?? "").get("load");
  const query = new URLSearchParams({ date });
  if (LOADS.includes(load)) query.set("training", load);
  // Side by side: the day is on screen after one round trip, not two.
  const planned = api.get(`/meal-plans/${date}`).catch((e) => {
    if (e instanceof ApiError && (e.status === 404 || e.status === 503)) return null;
    throw e;
  });
  let targets;
  try {
    targets = await api.get(`/nutrition/targets?${query}`);
  } catch (e) {
    await planned.catch(() => null);
    if (e instanceof ApiError && e.status === 404 && !offline) {
      return [h("h1", {}, t("today.title")), h("div", { class: "panel warn" },
        h("p", {}, t("today.no_profile")), h("a", { class: "button", href: "#/profile" }, t("today.fill_profile")))];
    }
    throw e;
  }
  const plan = await planned;
  // Chosen, then applied: a select that redrew the screen on every arrow key would lose the place.
  const loadSelect = h("select", { id: "today-load" },
    LOADS.map((l) => h("option", { value: l, selected: l === targets.training }, t(`load.${l}`))));
  const loadForm = h("form", {
    class: "toolbar", "aria-label": t("today.training"),
    onsubmit: (event) => { event.preventDefault(); go(`#/today/${date}?load=${loadSelect.value}`); },
  }, loadSelect, h("button", { type: "submit", class: "secondary" }, t("common.apply")));
  return [
    h("h1", {}, t("today.title"), " · ", day(i18n, date)),
    h("label", { for: "today-load" }, t("today.training")), loadForm,
    targetsPanel({ t, i18n }, targets),
    planPanel(ctx, date, targets.training, plan),
    h("p", {}, h("a", { class: "button secondary", href: "#/progress" }, t("today.log"))),
  ];
}

export function targetsPanel({ t, i18n }, targets) {
  const g = (v) => `${i18n.number(v)} g`;
  return panel(t("targets.title"),
    h("div", { class: "figures" },
      figure(t("targets.energy"), `${i18n.number(targets.energy_kcal)} kcal`),
      figure(t("targets.protein"), g(targets.protein_g)),
      figure(t("targets.carbohydrate"), g(targets.carbohydrate_g)),
      figure(t("targets.fat"), g(targets.fat_g)),
      figure(t("targets.fibre"), g(targets.fibre_g)),
      figure(t("targets.water"), `${i18n.number(targets.water_ml / 1000, 1)} l`)),
    h("details", {}, h("summary", {}, t("targets.how")),
      h("ul", {},
        h("li", {}, t("targets.method", { method: targets.method })),
        h("li", {}, t("targets.bmr", { kcal: i18n.number(targets.bmr_kcal) })),
        h("li", {}, t("targets.activity", { factor: i18n.number(targets.activity_factor, 2), kcal: i18n.number(targets.tdee_kcal) })),
        h("li", {}, t("targets.goal", { percent: i18n.number(targets.goal_adjustment * 100) })),
        h("li", {}, t("targets.per_kg", {
          protein: i18n.number(targets.protein_g_per_kg, 1),
          carbohydrate: i18n.number(targets.carbohydrate_g_per_kg, 1),
          fat: i18n.number(targets.fat_g_per_kg, 1),
        })))),
    sources(t, targets.sources));
}

function planPanel(ctx, date, load, plan) {
  const { api, t, i18n, go, offline } = ctx;
  const make = actionButton(ctx, plan ? t("plan.again") : t("plan.make"), { disabled: offline }, async () => {
    await api.post("/meal-plans/daily", { date, training_load: load });
    go(`#/meals/${date}`);
  });
  if (!plan) return panel(t("today.plan"), h("p", { class: "hint" }, t("plan.none")), make);
  return panel(t("today.plan"),
    h("ul", { class: "plain" }, plan.dishes.map((d) => h("li", { class: "row" },
      h("span", {}, h("span", { class: "muted" }, `${d.time} · `), h("a", { href: `#/dish/${d.dish_id}` }, d.name)),
      h("span", { class: "num" }, `${i18n.number(d.energy_kcal)} kcal`)))),
    h("p", { class: "row" }, h("strong", {}, t("plan.total")),
      h("span", { class: "num" }, `${i18n.number(plan.totals.energy_kcal)} / ${i18n.number(plan.targets.energy_kcal)} kcal`)),
    h("a", { class: "button secondary", href: `#/meals/${date}` }, t("plan.open")));
}
