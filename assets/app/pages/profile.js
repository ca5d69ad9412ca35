// The health profile: the figures the targets come from, and the allergies, conditions and
// medications (the API's controlled vocabularies, in plain words) the recommendations respect.
import { ApiError } from "common/api.js";
import { h } from "common/dom.js";
import { enumSelect, field, form, numberOf, panel } from "app/ui.js";

const SEXES = ["female", "male"];
const ACTIVITY = ["sedentary", "light", "moderate", "active", "very_active"];
const SPORTS = ["endurance", "strength_power", "team_sport", "weight_class_combat", "aesthetic", "general_fitness"];
const GOALS = ["maintain", "mass", "cut", "endurance", "performance"];
const VOCABULARIES = ["allergens", "conditions", "medications"];
const FIELD_OF = { allergens: "allergies", conditions: "conditions", medications: "medications" };

export async function render({ api, t, i18n, go, offline }) {
  const [profile, ...vocabularies] = await Promise.all([
    api.get("/health-profile").catch((e) => {
      if (e instanceof ApiError && e.status === 404) return null;
      throw e;
    }),
    // Anyone may read the vocabularies, so they answer in the language asked, not the account's.
    ...VOCABULARIES.map((name) => api.get(`/vocabularies/${name}?lang=${i18n.locale}`)),
  ]);
  const controls = {};
  const input = (key, attrs) => (id) => (controls[key] = h("input", { id, value: profile?.[key] ?? "", required: true, ...attrs }));
  const select = (key, prefix, values) => (id) => (controls[key] = enumSelect(id, t, prefix, values, profile?.[key] ?? values[0]));
  const boxes = {};
  const groups = VOCABULARIES.map((name, i) => {
    const chosen = new Set(profile?.[FIELD_OF[name]] ?? []);
    boxes[name] = vocabularies[i].map((term) => h("input", { type: "checkbox", id: `${name}-${term.code}`, value: term.code, checked: chosen.has(term.code) }));
    return h("fieldset", {}, h("legend", {}, t(`profile.${name}`)),
      vocabularies[i].length > 8 ? h("p", { class: "hint" }, t("profile.choose_any")) : null,
      vocabularies[i].map((term, j) => h("label", { for: `${name}-${term.code}` }, boxes[name][j], term.name)));
  });
  return [
    h("p", {}, h("a", { href: "#/me" }, `← ${t("nav.me")}`)),
    h("h1", {}, t("profile.title")),
    h("p", { class: "hint" }, t("profile.why")),
    panel(t("profile.body"), form(t("profile.title"), [
      field(t("profile.birth_date"), input("birth_date", { type: "date", autocomplete: "bday" })),
      field(t("profile.sex"), select("sex", "sex.", SEXES), t("profile.sex_hint")),
      field(`${t("profile.weight")} (kg)`, input("weight_kg", { type: "number", step: "0.1", min: 25, max: 300, inputmode: "decimal" })),
      field(`${t("profile.height")} (cm)`, input("height_cm", { type: "number", step: "0.5", min: 100, max: 250, inputmode: "decimal" })),
      field(`${t("profile.body_fat")} (%)`, (id) => (controls.body_fat_pct = h("input", { id, type: "number", step: "0.1", min: 3, max: 70, inputmode: "decimal", value: profile?.body_fat_pct ?? "" })), t("profile.optional")),
      field(t("profile.activity"), select("activity_level", "activity.", ACTIVITY)),
      field(t("profile.sport"), select("sport", "sport.", SPORTS)),
      field(t("profile.hours"), input("training_hours_per_week", { type: "number", step: "0.5", min: 0, max: 60, inputmode: "decimal" })),
      field(t("profile.goal"), select("goal", "goal.", GOALS)),
      groups,
    ], t("profile.save"), async () => {
      const body = {
        birth_date: controls.birth_date.value, sex: controls.sex.value,
        weight_kg: numberOf(controls.weight_kg), height_cm: numberOf(controls.height_cm),
        body_fat_pct: numberOf(controls.body_fat_pct), activity_level: controls.activity_level.value,
        sport: controls.sport.value, training_hours_per_week: numberOf(controls.training_hours_per_week),
        goal: controls.goal.value,
      };
      for (const name of VOCABULARIES) body[FIELD_OF[name]] = boxes[name].filter((b) => b.checked).map((b) => b.value);
      if (offline) throw new Error(t("offline.needed"));
      await api.request("PUT", "/health-profile", body);
      go("#/today");
      return t("profile.saved");
    })),
  ];
}
