// The admin dashboard: sign-in (or the first admin's setup, from a one-time link), a shell with
// navigation, and one module per page. Pages are chosen by the URL fragment (#/backups), so the
// server serves a single page.
import { Api, ApiError } from "common/api.js";
import { h } from "common/dom.js";
import { I18n, LOCALES, preferredLocale } from "common/i18n.js";
import * as overview from "app/pages/overview.js";
import * as backups from "app/pages/backups.js";
import * as alerts from "app/pages/alerts.js";
import * as catalogue from "app/pages/catalogue.js";
import * as users from "app/pages/users.js";
import * as settings from "app/pages/settings.js";

const PAGES = { overview, backups, alerts, catalogue, users, settings };
const LOCALE_KEY = "sn-admin-locale";
const api = new Api({ session: "/admin/session", header: "x-dashboard" });
let i18n = await I18n.load(preferredLocale(LOCALE_KEY));
const root = document.getElementById("root");
api.askPassword = askPassword;

// The admin's password, entered again to confirm a destructive operation; null when cancelled.
function askPassword() {
  return new Promise((resolve) => {
    const t = (key) => i18n.t(key);
    const password = h("input", { id: "reauth-password", type: "password", autocomplete: "current-password", required: true });
    const finish = (value) => { dialog.close(); dialog.remove(); resolve(value); };
    const dialog = h("dialog", { "aria-labelledby": "reauth-title", oncancel: () => resolve(null) },
      h("form", { method: "dialog", onsubmit: (event) => { event.preventDefault(); finish(password.value); } },
        h("h2", { id: "reauth-title" }, t("reauth.title")),
        h("p", {}, t("reauth.why")),
        h("label", { for: "reauth-password" }, t("reauth.password")), password,
        h("div", { class: "toolbar" }, h("button", { type: "submit" }, t("reauth.confirm")),
          h("button", { type: "button", class: "secondary", onclick: () => finish(null) }, t("common.cancel")))));
    document.body.append(dialog);
    dialog.showModal();
    password.focus();
  });
}

function page() {
  const name = location.hash.replace(/^#\/?/, "").split("?")[0];
  return name in PAGES ? name : "overview";
}

// The token of a setup link (#/setup/<token>), which never reaches the server in a request line.
function setupToken() {
  return location.hash.match(/^#\/setup\/([\w-]+)$/)?.[1] ?? null;
}

// A page with a form of labelled fields (`<id>.<field>` names each), a submit button and a line for
// errors (`message` at first); `submit` gets the values and throws what the line should say.
function accountForm(id, { title, intro = null, message = "" }, fields, submitLabel, submit) {
  document.title = `${title} · Sports Nutrition`;
  const error = h("p", { class: "error", role: "alert" }, message);
  const inputs = Object.fromEntries(fields.map(([name, attrs]) =>
    [name, h("input", { id: `${id}-${name}`, name, required: true, ...attrs })]));
  const button = h("button", { type: "submit" }, submitLabel);
  const form = h("form", {
    class: "sign-in",
    "aria-labelledby": `${id}-title`,
    onsubmit: async (event) => {
      event.preventDefault();
      button.disabled = true;
      error.textContent = "";
      try {
        await submit(Object.fromEntries(Object.entries(inputs).map(([name, input]) => [name, input.value])));
      } catch (e) {
        error.textContent = e.message;
      } finally {
        button.disabled = false;
      }
    },
  },
  h("h1", { id: `${id}-title` }, title),
  intro && h("p", {}, intro),
  fields.map(([name]) => [h("label", { for: `${id}-${name}` }, i18n.t(`${id}.${name}`)), inputs[name]]),
  button, error);
  root.replaceChildren(h("main", { id: "main", class: "narrow" }, languagePicker(), form));
  inputs[fields[0][0]].focus();
}

function setUp(token) {
  accountForm("setup", { title: i18n.t("setup.title"), intro: i18n.t("setup.why") }, [
    ["email", { type: "email", autocomplete: "username" }],
    ["password", { type: "password", autocomplete: "new-password", minlength: 10 }],
  ], i18n.t("setup.submit"), async ({ email, password }) => {
    try {
      await api.setUp(token, email, password, i18n.locale);
    } catch (e) {
      const expired = e instanceof ApiError && e.problem?.errors?.some((f) => f.field === "token");
      throw expired ? new Error(i18n.t("setup.invalid")) : e;
    }
    // The link is used up: off the address bar and the history.
    history.replaceState(null, "", "#/overview");
    render();
  });
}

function signIn(message = "") {
  accountForm("sign_in", { title: i18n.t("sign_in.title"), message }, [
    ["email", { type: "email", autocomplete: "username" }],
    ["password", { type: "password", autocomplete: "current-password" }],
  ], i18n.t("sign_in.submit"), async ({ email, password }) => {
    try {
      await api.login(email, password);
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) throw new Error(i18n.t("sign_in.wrong"));
      if (e instanceof ApiError && e.status === 403) throw new Error(i18n.t("sign_in.not_admin"));
      throw e;
    }
    render();
  });
}

function languagePicker() {
  const select = h("select", { id: "locale", onchange: async () => {
    localStorage.setItem(LOCALE_KEY, select.value);
    i18n = await I18n.load(select.value);
    document.documentElement.lang = i18n.locale;
    render();
  } }, Object.entries(LOCALES).map(([code, name]) => h("option", { value: code, selected: code === i18n.locale }, name)));
  return h("div", { class: "locale" }, h("label", { for: "locale" }, i18n.t("nav.language")), select);
}

async function render() {
  document.documentElement.lang = i18n.locale;
  const token = setupToken();
  if (token && !api.signedIn) return setUp(token);
  if (!api.signedIn) return signIn();
  const current = page();
  const nav = h("nav", { "aria-label": i18n.t("nav.label") }, h("ul", {}, Object.keys(PAGES).map((name) =>
    h("li", {}, h("a", { href: `#/${name}`, "aria-current": name === current ? "page" : false }, i18n.t(`nav.${name}`))))));
  const main = h("main", { id: "main", tabindex: "-1" }, h("p", { class: "loading" }, i18n.t("common.loading")));
  const header = h("header", {},
    h("span", { class: "brand" }, "Sports Nutrition"),
    nav,
    h("div", { class: "account" },
      languagePicker(),
      h("span", { class: "who" }, api.user?.email ?? ""),
      h("button", { type: "button", class: "secondary", onclick: async () => { await api.signOut(); render(); } }, i18n.t("nav.sign_out"))));
  root.replaceChildren(header, main);
  document.title = `${i18n.t(`nav.${current}`)} · Sports Nutrition`;
  try {
    const content = await PAGES[current].render({ api, i18n, refresh: render });
    main.replaceChildren(...[content].flat(Infinity).filter((node) => node));
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return signIn(i18n.t("sign_in.expired"));
    main.replaceChildren(h("p", { class: "error", role: "alert" }, e.message));
  }
}

window.addEventListener("hashchange", render);
// A reload keeps the session the cookie holds.
if (!setupToken()) await api.resume().catch(() => false);
render();
