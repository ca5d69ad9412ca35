// Users: search by e-mail and role, change a role, and the audit log (sign-ins and admin actions).
import { h, modal, table } from "common/dom.js";

const PAGE = 25;
let query = { q: "", role: "", offset: 0 };
let flash = "";

export async function render({ api, i18n, refresh }) {
  const t = (k, v) => i18n.t(k, v);
  const params = new URLSearchParams({ limit: PAGE, offset: query.offset });
  if (query.q) params.set("q", query.q);
  if (query.role) params.set("role", query.role);
  const [page, audit] = await Promise.all([
    api.get(`/admin/users/search?${params}`),
    api.get("/admin/audit?limit=30"),
  ]);
  const status = h("p", { class: "status", role: "status", "aria-live": "polite" }, flash);
  flash = "";

  const search = h("input", { id: "user-search", type: "search", value: query.q, autocomplete: "off" });
  const role = h("select", { id: "user-role" },
    h("option", { value: "" }, t("users.any_role")),
    ["athlete", "coach", "admin"].map((r) => h("option", { value: r, selected: query.role === r }, t(`users.role.${r}`))));
  const form = h("form", { class: "toolbar filters", role: "search", onsubmit: (event) => {
    event.preventDefault();
    query = { q: search.value.trim(), role: role.value, offset: 0 };
    refresh();
  } },
  h("div", {}, h("label", { for: "user-search" }, t("users.search")), search),
  h("div", {}, h("label", { for: "user-role" }, t("users.role")), role),
  h("div", { class: "align-end" }, h("button", { type: "submit" }, t("users.find"))));

  const rows = page.users.map((u) => {
    const select = h("select", { "aria-label": t("users.role_of", { email: u.email }), onchange: async () => {
      try {
        await api.destructive("PUT", `/admin/users/${u.id}/role`, { role: select.value });
        flash = t("users.role_changed", { email: u.email, role: t(`users.role.${select.value}`) });
        await refresh();
      } catch (e) {
        status.textContent = e.message;
        select.value = u.role;
      }
    } }, ["athlete", "coach", "admin"].map((r) => h("option", { value: r, selected: u.role === r }, t(`users.role.${r}`))));
    const disabled = Boolean(u.disabled_at);
    const toggle = h("button", { type: "button", class: disabled ? "secondary" : "danger", onclick: async () => {
      try {
        await api.destructive("PUT", `/admin/users/${u.id}/disabled`, { disabled: !disabled });
        flash = t(disabled ? "users.enabled_done" : "users.disabled_done", { email: u.email });
        await refresh();
      } catch (e) {
        status.textContent = e.message;
      }
    } }, t(disabled ? "users.enable" : "users.disable"));
    const signOut = h("button", { type: "button", class: "secondary", onclick: async () => {
      try {
        const sessions = await api.get(`/admin/users/${u.id}/sessions`);
        const rows = sessions.map((x) => h("tr", {}, h("td", {}, i18n.date(x.created_at)), h("td", {}, i18n.date(x.last_used_at)),
          h("td", { class: "mono" }, x.ip ?? "—"), h("td", {}, x.user_agent ?? "—")));
        const list = rows.length
          ? table(t("users.sessions_of", { email: u.email }), [t("users.signed_in"), t("users.last_used"), "IP", t("users.client")], rows)
          : h("p", {}, t("users.no_sessions"));
        const close = h("span", { tabindex: "-1" });
        modal(t, t("users.sessions_of", { email: u.email }), [list, close], async () => {
          try {
            const { ended } = await api.request("DELETE", `/admin/users/${u.id}/sessions`);
            status.textContent = t("users.signed_out", { email: u.email, count: ended });
          } catch (e) {
            status.textContent = e.message;
          }
        }, close, t("users.sign_out_everywhere"));
      } catch (e) {
        status.textContent = e.message;
      }
    } }, t("users.sessions"));
    return h("tr", {}, h("td", {}, u.email), h("td", {}, u.display_name ?? "—"), h("td", {}, select),
      h("td", { class: `state ${disabled ? "failed" : "ok"}` }, disabled ? t("users.disabled_since", { at: i18n.date(u.disabled_at) }) : t("users.active")),
      h("td", {}, u.language), h("td", {}, i18n.date(u.created_at)),
      h("td", { class: "actions" }, toggle, signOut));
  });
  const from = page.total ? query.offset + 1 : 0;
  const to = Math.min(query.offset + PAGE, page.total);
  const pager = h("div", { class: "toolbar" },
    h("span", { class: "hint" }, t("users.showing", { from, to, total: page.total })),
    h("button", { type: "button", class: "secondary", disabled: query.offset === 0,
      onclick: () => { query.offset = Math.max(0, query.offset - PAGE); refresh(); } }, t("users.previous")),
    h("button", { type: "button", class: "secondary", disabled: to >= page.total,
      onclick: () => { query.offset += PAGE; refresh(); } }, t("users.next")));

  const auditRows = audit.entries.map((e) => h("tr", {},
    h("td", {}, i18n.date(e.at)), h("td", { class: "mono" }, e.action),
    h("td", { class: `state ${e.outcome === "success" ? "ok" : "failed"}` }, t(`users.outcome.${e.outcome}`)),
    h("td", {}, e.email ?? "—"), h("td", { class: "mono" }, e.ip ?? "—")));

  return [
    h("h1", {}, t("nav.users")), form, status,
    rows.length ? table(t("users.caption"), [t("users.email"), t("users.name"), t("users.role"), t("users.status"), t("users.language"), t("users.created"), t("users.actions")], rows)
      : h("p", {}, t("users.none")),
    pager,
    h("h2", {}, t("users.audit")),
    auditRows.length ? table(t("users.audit"), [t("users.at"), t("users.action"), t("users.outcome"), t("users.email"), "IP"], auditRows)
      : h("p", {}, t("users.no_audit")),
  ];
}
