// Overview: the node's health, certificate, newest backup and active alerts, and charts of the
// self-check history (requests/s, p95, error rate, pool use) over the last hour or day.
import { card, h } from "common/dom.js";
import { lineChart } from "common/chart.js";

let hours = 1;

export async function render({ api, i18n, refresh }) {
  const t = (k, v) => i18n.t(k, v);
  const [health, tls, backups, firing, history] = await Promise.all([
    api.get("/health"),
    api.get("/admin/tls"),
    api.get("/admin/backups"),
    api.get("/admin/alerts?state=firing"),
    api.get(`/admin/self-check/history?hours=${hours}`),
  ]);
  const newest = backups.backups.find((b) => b.status === "ok") ?? backups.backups[0];
  const cert = tls.certificate;
  const cards = h("section", { class: "cards", "aria-label": t("overview.status") },
    card(t("overview.status"), t(`status.${health.status}`), health.status === "healthy" ? "good" : "bad",
      `${t("overview.version")} ${health.version} · ${t("overview.uptime")} ${i18n.duration(health.uptime_s)}`),
    card(t("overview.database"), t(`status.${health.database}`), health.database === "connected" ? "good" : "bad",
      `${health.database_mode} · ${i18n.number(health.database_latency_ms, 2)} ms · ${health.pool.size - health.pool.idle}/${health.pool.max}`),
    card(t("overview.cache"), health.cache, health.redis === "disconnected" ? "bad" : "good",
      `Redis: ${t(`status.${health.redis}`)}`),
    card(t("overview.certificate"),
      tls.mode === "off" ? t("overview.tls_off") : cert ? t("overview.days_left", { days: i18n.number(cert.days_left) }) : t("overview.no_certificate"),
      tls.mode === "off" ? "neutral" : cert && cert.days_left >= 14 ? "good" : "bad",
      cert ? cert.subject : ""),
    card(t("overview.last_backup"), newest ? i18n.date(newest.finished_at ?? newest.started_at) : t("overview.none"),
      newest?.status === "ok" ? "good" : newest ? "bad" : "neutral",
      newest ? `${t(`backup.status.${newest.status}`)} · ${i18n.bytes(newest.size_bytes)}` : ""),
    card(t("overview.alerts"), i18n.number(firing.alerts.length), firing.alerts.length ? "bad" : "good",
      firing.alerts.map((a) => `${a.rule} (${a.scope})`).join(", ")));

  const range = h("div", { class: "toolbar", role: "group", "aria-label": t("overview.range") },
    [1, 24].map((n) => h("button", {
      type: "button", class: n === hours ? "" : "secondary", "aria-pressed": n === hours ? "true" : "false",
      onclick: () => { hours = n; refresh(); },
    }, t(n === 1 ? "overview.last_hour" : "overview.last_day"))));
  // One chart per column of at least 540 px (one column on a phone), less its padding.
  const width = Math.min(520, (document.getElementById("main")?.clientWidth ?? 600) - 56);
  const charts = h("section", { class: "charts", "aria-label": t("overview.charts") },
    lineChart(t("overview.requests"), history.points, "requests_per_s", "req/s", width, hours, i18n),
    lineChart(t("overview.p95"), history.points, "p95_ms", "ms", width, hours, i18n),
    lineChart(t("overview.errors"), history.points, "error_rate_pct", "%", width, hours, i18n),
    lineChart(t("overview.pool"), history.points, "db_pool_pct", "%", width, hours, i18n));
  const empty = history.points.length ? null : h("p", { class: "hint" }, t("overview.no_history"));
  return [h("h1", {}, t("nav.overview")), cards, h("h2", {}, t("overview.charts")), range, empty, charts];
}
