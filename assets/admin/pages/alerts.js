// Alerts: firing and resolved alerts with their notifications, and every node's latest self-check.
import { h, table } from "common/dom.js";

export async function render({ api, i18n, refresh }) {
  const t = (k, v) => i18n.t(k, v);
  const [firing, pending, resolved, checks, rules] = await Promise.all([
    api.get("/admin/alerts?state=firing"),
    api.get("/admin/alerts?state=pending"),
    api.get("/admin/alerts?state=resolved&limit=50"),
    api.get("/admin/self-check"),
    api.get("/admin/alerts/rules"),
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

  const ruleRows = rules.rules.map((r) => h("tr", {},
    h("td", { class: "mono" }, r.rule), h("td", {}, t(`alerts.fires.${r.fires_when}`)),
    h("td", { class: "num" }, r.threshold === undefined ? "—" : `${i18n.number(r.threshold, 1)} ${r.unit}`)));
  const channelRows = rules.channels.map((c) => {
    const send = h("button", { type: "button", class: "secondary", onclick: async () => {
      send.disabled = true;
      status.textContent = t("alerts.sending");
      try {
        const result = await api.post("/admin/alerts/test", { channel: c.channel });
        status.textContent = result.delivered ? t("alerts.test_delivered", { channel: c.channel }) : t("alerts.test_failed", { channel: c.channel, error: result.error });
      } catch (e) {
        status.textContent = e.message;
      } finally {
        send.disabled = false;
      }
    } }, t("alerts.send_test"));
    return h("tr", {}, h("td", {}, c.channel), h("td", {}, c.target), h("td", {}, send));
  });

  return [
    h("h1", {}, t("nav.alerts")),
    h("div", { class: "toolbar" }, run), status,
    h("h2", {}, t("alerts.active")),
    active.length ? table(t("alerts.active"), headers, alertRows(active)) : h("p", {}, t("alerts.none_active")),
    h("h2", {}, t("alerts.resolved")),
    resolved.alerts.length ? table(t("alerts.resolved"), headers, alertRows(resolved.alerts)) : h("p", {}, t("alerts.none_resolved")),
    h("h2", {}, t("alerts.rules")),
    h("p", { class: "hint" }, t(rules.enabled ? "alerts.timing" : "alerts.rules_off", {
      wait: i18n.duration(rules.for_secs), repeat: i18n.duration(rules.repeat_interval_secs) })),
    table(t("alerts.rules"), [t("alerts.rule"), t("alerts.fires_when"), t("alerts.threshold")], ruleRows),
    h("h2", {}, t("alerts.channels")),
    channelRows.length ? table(t("alerts.channels"), [t("alerts.channel"), t("alerts.target"), ""], channelRows)
      : h("p", {}, t("alerts.no_channels")),
    h("h2", {}, t("alerts.self_checks")),
    checks.enabled ? null : h("p", { class: "hint" }, t("alerts.self_check_off")),
    nodes.length ? nodes : h("p", {}, t("alerts.no_reports")),
  ];
}
