// Alerts: firing and resolved alerts with their notifications, and every node's latest self-check.
import { h, table } from "app/dom.js";

export async function render({ api, i18n, refresh }) {
  const t = (k, v) => i18n.t(k, v);
  const [firing, pending, resolved, checks] = await Promise.all([
    api.get("/admin/alerts?state=firing"),
    api.get("/admin/alerts?state=pending"),
    api.get("/admin/alerts?state=resolved&limit=50"),
    api.get("/admin/self-check"),
  ]);
  const status = h("p", { class: "status", role: "status", "aria-live": "polite" });
  const run = h("button", { type: "button", onclick: async () => {
    run.disabled = true;
    status.textContent = t("alerts.checking");
    try { await api.post("/admin/self-check"); await refresh(); } catch (e) { status.textContent = e.message; run.disabled = false; }
  } }, t("alerts.run_check"));

  const alertRows = (alerts) => alerts.map((a) => h("tr", {},
    h("td", {}, a.rule), h("td", {}, a.scope), h("td", { class: `state ${a.state}` }, t(`alerts.state.${a.state}`)),
    h("td", {}, a.message),
    h("td", {}, i18n.date(a.fired_at ?? a.pending_since)), h("td", {}, i18n.date(a.resolved_at)),
    h("td", {}, a.notifications.map((n) => `${n.channel}: ${n.status}`).join(", ") || "—")));
  const headers = [t("alerts.rule"), t("alerts.scope"), t("alerts.state"), t("alerts.message"), t("alerts.since"), t("alerts.resolved_at"), t("alerts.notifications")];
  const active = [...firing.alerts, ...pending.alerts];

  const nodes = checks.nodes.map((report) => table(
    t("alerts.node_report", { node: report.node, at: i18n.date(report.checked_at) }),
    [t("alerts.check"), t("alerts.ok"), t("alerts.value"), t("alerts.threshold"), t("alerts.detail")],
    report.checks.map((c) => h("tr", {},
      h("td", {}, c.name), h("td", { class: `state ${c.ok ? "ok" : "failed"}` }, c.ok ? "✓" : "✗"),
      h("td", { class: "num" }, c.value === undefined ? "—" : `${i18n.number(c.value, 1)} ${c.unit ?? ""}`),
      h("td", { class: "num" }, c.threshold === undefined ? "—" : i18n.number(c.threshold, 1)),
      h("td", {}, c.detail)))));

  return [
    h("h1", {}, t("nav.alerts")),
    h("div", { class: "toolbar" }, run), status,
    h("h2", {}, t("alerts.active")),
    active.length ? table(t("alerts.active"), headers, alertRows(active)) : h("p", {}, t("alerts.none_active")),
    h("h2", {}, t("alerts.resolved")),
    resolved.alerts.length ? table(t("alerts.resolved"), headers, alertRows(resolved.alerts)) : h("p", {}, t("alerts.none_resolved")),
    h("h2", {}, t("alerts.self_checks")),
    checks.enabled ? null : h("p", { class: "hint" }, t("alerts.self_check_off")),
    nodes.length ? nodes : h("p", {}, t("alerts.no_reports")),
  ];
}
