// The account: the health profile, language, password, signed-in devices, coaches with access, a
// copy of everything held, and erasure.
import { h } from "common/dom.js";
import { actionButton, field, form, panel } from "app/ui.js";

export async function render(ctx) {
  const { api, t, i18n, user, offline } = ctx;
  if (offline) {
    return [h("h1", {}, t("nav.me")), h("p", {}, user.email), h("p", { class: "hint" }, t("offline.needed"))];
  }
  const athlete = user.role === "athlete";
  const [sessions, coaches] = await Promise.all([
    api.get("/account/sessions"), athlete ? api.get("/account/coaches") : Promise.resolve([])]);
  return [
    h("h1", {}, t("nav.me")),
    h("p", {}, user.email, " · ", t(`role.${user.role}`)),
    athlete ? h("p", {}, h("a", { class: "button", href: "#/profile" }, t("me.profile"))) : null,
    user.role === "coach" ? h("p", {}, h("a", { class: "button", href: "#/coach" }, t("me.athletes"))) : null,
    user.role === "admin" ? h("p", {}, h("a", { class: "button", href: "/admin/" }, t("me.dashboard"))) : null,
    athlete ? coachesPanel(ctx, coaches) : null,
    passwordPanel(ctx),
    sessionsPanel(ctx, sessions),
    panel(t("me.export"), h("p", { class: "hint" }, t("me.export_why")),
      actionButton(ctx, t("me.export_button"), { class: "secondary" }, async () => {
        const data = await api.get("/account/export");
        const url = URL.createObjectURL(new Blob([JSON.stringify(data, null, 2)], { type: "application/json" }));
        const link = h("a", { href: url, download: `sports-nutrition-${new Date().toISOString().slice(0, 10)}.json` });
        document.body.append(link);
        link.click();
        link.remove();
        // The copy holds personal data: the page lets go of it once the download has it.
        setTimeout(() => URL.revokeObjectURL(url), 10_000);
      })),
    erasurePanel(ctx),
    h("p", { class: "muted" }, t("me.member_since", { date: i18n.date(user.created_at) })),
  ];
}

function coachesPanel(ctx, coaches) {
  const { api, t, i18n, render } = ctx;
  let email;
  return panel(t("me.coaches"),
    h("p", { class: "hint" }, t("me.coaches_why")),
    coaches.length === 0 ? h("p", {}, t("me.no_coaches")) : h("ul", { class: "plain" }, coaches.map((grant) => h("li", { class: "row" },
      h("span", {}, grant.user.display_name ?? grant.user.email, h("span", { class: "muted" }, ` · ${i18n.date(grant.granted_at)}`)),
      actionButton(ctx, t("me.revoke"), { class: "danger", "aria-label": t("me.revoke_coach", { coach: grant.user.email }) }, async () => {
        await api.request("DELETE", `/account/coaches/${grant.user.id}`);
        render();
      })))),
    form(t("me.grant"), field(t("me.coach_email"), (id) => (email = h("input", { id, type: "email", required: true, autocomplete: "off" }))),
      t("me.grant"), async () => {
        await api.post("/account/coaches", { email: email.value });
        render();
        return t("me.granted");
      }));
}

function passwordPanel({ api, t }) {
  let current, next;
  return panel(t("me.password"), form(t("me.password"), [
    field(t("me.current_password"), (id) => (current = h("input", { id, type: "password", required: true, autocomplete: "current-password" }))),
    field(t("me.new_password"), (id) => (next = h("input", { id, type: "password", required: true, minlength: 10, autocomplete: "new-password" })),
      t("sign_up.password_hint", { min: 10 })),
  ], t("me.change_password"), async (element) => {
    await api.request("PUT", "/account/password", { current_password: current.value, new_password: next.value });
    element.reset();
    return t("me.password_changed");
  }));
}

function sessionsPanel(ctx, sessions) {
  const { api, t, i18n, render } = ctx;
  return panel(t("me.sessions"), h("ul", { class: "plain" }, sessions.map((s) => h("li", {},
    h("div", {}, s.user_agent ?? t("me.unknown_device"), s.current ? h("span", { class: "tag good" }, ` ${t("me.this_device")}`) : null),
    h("div", { class: "muted" }, t("me.session_line", { used: i18n.date(s.last_used_at), ip: s.ip ?? "—" })),
    s.current ? null : actionButton(ctx, t("me.end_session"), {
      class: "secondary", "aria-label": t("me.end_session_of", { device: s.user_agent ?? t("me.unknown_device"), used: i18n.date(s.last_used_at) }),
    }, async () => {
      await api.request("DELETE", `/account/sessions/${s.id}`);
      render();
    })))));
}

function erasurePanel({ api, t, go, user }) {
  let password;
  return panel(t("me.erase"), h("p", { class: "hint" }, t("me.erase_why")),
    form(t("me.erase"), field(t("me.current_password"), (id) => (password = h("input", { id, type: "password", required: true, autocomplete: "current-password" }))),
      t("me.erase_button"), async () => {
        if (!confirm(t("me.erase_confirm"))) return "";
        await api.request("DELETE", "/account", { password: password.value });
        await api.signOut();
        const { forgetAll } = await import("app/store.js");
        await forgetAll(user.id);
        go("#/");
        return "";
      }));
}
