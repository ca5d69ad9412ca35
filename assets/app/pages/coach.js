// A coach's view: the athletes who granted access, and one athlete's profile, trends and
// recommendations.
import { ApiError } from "common/api.js";
import { h } from "common/dom.js";
import { lineChart } from "app/chart.js";
import { day, figure, panel } from "app/ui.js";

export async function render({ api, t, i18n }, id) {
  if (!id) {
    const athletes = await api.get("/coach/athletes");
    return [h("h1", {}, t("coach.title")),
      athletes.length === 0 ? h("p", { class: "hint" }, t("coach.none")) :
        h("ul", { class: "plain" }, athletes.map((grant) => h("li", { class: "row" },
          h("a", { href: `#/coach/${grant.user.id}` }, grant.user.display_name ?? grant.user.email),
          h("span", { class: "muted" }, i18n.date(grant.granted_at)))))];
  }
  const base = `/coach/athletes/${encodeURIComponent(id)}`;
  const back = h("p", {}, h("a", { href: "#/coach" }, `← ${t("coach.title")}`));
  // The athlete may have taken the access back since the list was drawn.
  const profile = await api.get(`${base}/profile`).catch((e) => {
    if (e instanceof ApiError && e.status === 404) return null;
    throw e;
  });
  if (!profile) return [back, h("p", { class: "hint" }, t("coach.gone"))];
  const [stats, recommendations] = await Promise.all([
    api.get(`${base}/progress/stats?period=30d`), api.get(`${base}/recommendations`)]);
  const hp = profile.health_profile;
  return [
    back,
    h("h1", {}, profile.account.display_name ?? profile.account.email),
    hp ? panel(t("profile.title"), h("div", { class: "figures" },
      figure(t("profile.weight"), `${i18n.number(hp.weight_kg, 1)} kg`),
      figure(t("profile.sport"), t(`sport.${hp.sport}`)),
      figure(t("profile.goal"), t(`goal.${hp.goal}`)),
      figure(t("profile.hours"), i18n.number(hp.training_hours_per_week, 1)))) : h("p", { class: "hint" }, t("coach.no_profile")),
    panel(t("progress.trends"),
      h("p", {}, t("coach.period", { from: day(i18n, stats.from, { day: "numeric", month: "short" }), to: day(i18n, stats.to, { day: "numeric", month: "short" }), count: stats.entries })),
      lineChart(i18n, t("progress.weight_chart"), "kg", [
        { label: t("progress.weight_kg"), points: stats.weight.series.map((p) => ({ x: p.date, y: p.weight_kg })) },
        { label: t("progress.average"), points: stats.weight.series.map((p) => ({ x: p.date, y: p.average_kg })), dashed: true },
      ])),
    panel(t("supplements.recommended"), h("ul", { class: "plain" }, recommendations.items.map((item) =>
      h("li", {}, item.product.name, h("span", { class: "muted" }, ` · ${item.product.brand}`))))),
  ];
}
