// Progress: a day's log (weight, body fat, intake, training) and the trends — the weight's 7-day
// average, the weekly change, intake against the energy target and how many days kept to it.
// Offline, a day's log waits in the outbox and is sent when the connection returns.
import { ApiError } from "common/api.js";
import { h } from "common/dom.js";
import { lineChart } from "app/chart.js";
import { addDays, day, field, figure, form, isoDate, numberOf, panel, sources } from "app/ui.js";
import { LOADS } from "app/pages/today.js";

const VALUES = [
  ["weight_kg", "kg", "0.1"], ["body_fat_pct", "%", "0.1"], ["energy_kcal", "kcal", "1"],
  ["protein_g", "g", "1"], ["carbohydrate_g", "g", "1"], ["fat_g", "g", "1"],
  ["waist_cm", "cm", "0.5"], ["training_minutes", "min", "1"], ["sleep_hours", "h", "0.5"],
];

export async function render(ctx, arg) {
  const { api, t, i18n, offline } = ctx;
  const date = /^\d{4}-\d{2}-\d{2}$/.test(arg) ? arg : isoDate();
  const quiet = (e) => {
    if (e instanceof ApiError && (e.status === 404 || (e.status === 503 && offline))) return null;
    throw e;
  };
  const [entry, stats, page] = await Promise.all([
    api.get(`/progress/${date}`).catch(quiet),
    api.get("/progress/stats?period=30d").catch(quiet),
    api.get(`/progress?from=${addDays(isoDate(), -29)}`).catch(quiet),
  ]);
  // Offline without a kept copy of the day, whether the server has an entry for it is unknown.
  const known = entry !== null || !offline;
  return [
    h("h1", {}, t("nav.progress")),
    logForm(ctx, date, entry, known),
    stats ? trends(ctx, stats, page?.entries ?? []) : h("p", { class: "hint" }, t("offline.not_kept")),
    page?.entries.length ? panel(t("progress.recent"), h("ul", { class: "plain" }, [...page.entries].reverse().slice(0, 14).map((e) =>
      h("li", { class: "row" }, h("a", { href: `#/progress/${e.date}` }, day(i18n, e.date, { weekday: "short", day: "numeric", month: "short" })),
        h("span", { class: "num" }, [e.weight_kg !== undefined ? `${i18n.number(e.weight_kg, 1)} kg` : null,
          e.energy_kcal !== undefined ? `${i18n.number(e.energy_kcal)} kcal` : null].filter(Boolean).join(" · ")))))) : null,
  ];
}

function logForm({ t, save, go, status, render }, date, entry, known) {
  const inputs = {};
  const picker = h("input", { id: "log-date", type: "date", value: date, max: isoDate(), required: true });
  const open = h("form", { class: "toolbar", "aria-label": t("progress.date"), onsubmit: (event) => {
    event.preventDefault();
    go(`#/progress/${picker.value}`);
  } }, picker, h("button", { type: "submit", class: "secondary" }, t("common.open")));
  const load = h("select", { id: "log-load" }, h("option", { value: "" }, "—"),
    LOADS.map((l) => h("option", { value: l, selected: entry?.training_load === l }, t(`load.${l}`))));
  const notes = h("textarea", { id: "log-notes", maxlength: 1000, rows: 2 }, entry?.notes ?? "");
  const fields = VALUES.map(([key, unit, step]) => field(`${t(`progress.${key}`)} (${unit})`, (id) => {
    inputs[key] = h("input", { id, type: "number", step, min: 0, inputmode: "decimal", value: entry?.[key] ?? "" });
    return inputs[key];
  }));
  return panel(t("progress.log"),
    h("label", { for: "log-date" }, t("progress.date")), open,
    form(t("progress.log_form"), [
      h("div", { class: "figures" }, fields.map((f) => h("div", {}, f))),
      h("label", { for: "log-load" }, t("today.training")), load,
      h("label", { for: "log-notes" }, t("progress.notes")), notes,
    ], t("progress.save"), async () => {
      const body = Object.fromEntries(VALUES.map(([key]) => [key, numberOf(inputs[key])]).filter(([, v]) => v !== undefined));
      if (load.value) body.training_load = load.value;
      if (notes.value.trim()) body.notes = notes.value.trim();
      // The whole day's entry: PUT replaces it, so sending it twice (a retry) does no harm. A day
      // whose entry this device has not seen is created instead, so an entry already on the server
      // is refused (and said) rather than overwritten with what was typed offline.
      const write = known
        ? { method: "PUT", path: `/progress/${date}`, body }
        : { method: "POST", path: "/progress", body: { ...body, date } };
      const { queued } = await save({ ...write, key: `progress/${date}`, label: t("progress.entry", { date }) });
      if (queued) return t("offline.queued_here");
      status(t("progress.saved"));
      render();
      return t("progress.saved");
    }));
}

function trends({ t, i18n }, stats, entries) {
  const w = stats.weight;
  const adherence = stats.adherence;
  return panel(t("progress.trends"),
    h("div", { class: "figures" },
      figure(t("progress.latest"), w.latest_kg !== undefined ? `${i18n.number(w.latest_kg, 1)} kg` : "—"),
      figure(t("progress.average"), w.latest_average_kg !== undefined ? `${i18n.number(w.latest_average_kg, 1)} kg` : "—"),
      figure(t("progress.weekly"), w.weekly_change_kg !== undefined ? `${w.weekly_change_kg > 0 ? "+" : ""}${i18n.number(w.weekly_change_kg, 2)} kg` : "—"),
      figure(t("progress.adherence"), adherence?.percent !== undefined
        ? `${i18n.number(adherence.percent)} %` : "—")),
    adherence?.percent !== undefined ? h("meter", {
      class: "adherence", min: 0, max: 100, low: 50, high: 80, optimum: 100, value: adherence.percent,
      "aria-label": t("progress.adherence"),
    }) : null,
    adherence ? h("p", { class: "muted" }, t("progress.adherence_detail", {
      on: adherence.days_on_target, logged: adherence.days_logged, tolerance: i18n.number(adherence.tolerance_pct),
    })) : null,
    lineChart(i18n, t("progress.weight_chart"), "kg", [
      { label: t("progress.weight_kg"), points: w.series.map((p) => ({ x: p.date, y: p.weight_kg })) },
      { label: t("progress.average"), points: w.series.map((p) => ({ x: p.date, y: p.average_kg })), dashed: true },
    ]),
    lineChart(i18n, t("progress.intake_chart"), "kcal", [
      { label: t("progress.energy_kcal"), points: entries.map((e) => ({ x: e.date, y: e.energy_kcal })) },
    ], 0),
    stats.energy_balance?.mean_intake_kcal !== undefined ? h("p", {}, t("progress.balance", {
      intake: i18n.number(stats.energy_balance.mean_intake_kcal),
      expenditure: i18n.number(stats.energy_balance.mean_expenditure_kcal),
    })) : null,
    sources(t, stats.sources));
}
