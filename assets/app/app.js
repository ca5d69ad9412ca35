// The athletes' app: sign-in and sign-up, a shell with a tab bar, and one module per screen. Screens
// are chosen by the URL fragment (#/meals), so the server serves a single page. Everything it shows
// comes from the public API (/api/v1). Offline, the service worker answers reads with the last copy
// it kept, and writes wait in the outbox (store.js) until the connection returns.
import { Api, ApiError } from "common/api.js";
import { h } from "common/dom.js";
import { I18n, LOCALES, preferredLocale } from "common/i18n.js";
import { enqueue, flush, forgetAll, lastUser, outbox, rememberUser } from "app/store.js";
import * as today from "app/pages/today.js";
import * as meals from "app/pages/meals.js";
import * as supplements from "app/pages/supplements.js";
import * as progress from "app/pages/progress.js";
import * as me from "app/pages/me.js";
import * as profile from "app/pages/profile.js";
import * as dish from "app/pages/dish.js";
import * as coach from "app/pages/coach.js";

const SCREENS = { today, meals, supplements, progress, me, profile, dish, coach };
// What each role's tab bar offers: athletes their day; coaches their athletes (the athlete screens
// are for athletes only, as the API's operations are).
const TABS = {
  athlete: ["today", "meals", "supplements", "progress", "me"],
  coach: ["coach", "me"],
  admin: ["me"],
};
// The tab a screen belongs to.
const TAB_OF = { profile: "me", dish: "meals" };
const LOCALE_KEY = "sn-app-locale";
const api = new Api({ session: "/app/session", header: "x-app" });
// The interface strings and the session the cookie holds (after a reload), fetched side by side.
let i18n;
const root = document.getElementById("root");
// Signed in on this device but without a connection: the screens read what the worker kept.
let offlineUser = null;
let status = "";

// `#/dish/<id>` → ["dish", "<id>"]; no screen named: the first of `tabs`.
function route(tabs) {
  const [name, ...rest] = location.hash.replace(/^#\/?/, "").split("?")[0].split("/");
  return name in SCREENS ? [name, rest.join("/")] : [tabs[0], ""];
}

export function go(hash) {
  if (location.hash === hash) render();
  else location.hash = hash;
}

// A write to the API, or, without a connection, to the outbox: `key` names what it replaces, so
// two writes of one day while offline send only the last. Returns whether it was only queued.
async function save({ method, path, body, key, label }) {
  const queue = () => {
    enqueue({ method, path, body, key, label });
    showStatus(i18n.t("offline.queued", { what: label, count: outbox().length }));
    return { queued: true };
  };
  if (!navigator.onLine || !api.signedIn) return queue();
  try {
    return { queued: false, value: await api.request(method, path, body) };
  } catch (e) {
    if (e instanceof TypeError) return queue();
    throw e;
  }
}

// What a screen gets. Its `go` and `render` act only while it is still the screen shown: a plan
// that takes a while to compute must not pull the athlete back from where they went meanwhile.
function context() {
  const shown = location.hash;
  const current = () => location.hash === shown;
  return {
    api, i18n, t: (key, vars) => i18n.t(key, vars), save,
    go: (hash) => current() && go(hash),
    render: () => current() && render(),
    offline: !api.signedIn, user: api.user ?? offlineUser, status: showStatus,
  };
}

function showStatus(message) {
  status = message;
  const line = document.getElementById("status");
  if (line) {
    line.textContent = message;
    line.hidden = !message;
  }
}

async function useLocale(locale) {
  localStorage.setItem(LOCALE_KEY, locale);
  i18n = await I18n.load(locale);
  document.documentElement.lang = i18n.locale;
}

function languagePicker() {
  const select = h("select", { id: "locale", "aria-label": i18n.t("nav.language"), onchange: async () => {
    await useLocale(select.value);
    // The API answers in the account's language: vocabularies, reasons, dish names.
    if (api.signedIn) await api.request("PUT", "/account/language", { language: i18n.locale }).catch(() => {});
    render();
  } }, Object.entries(LOCALES).map(([code, name]) => h("option", { value: code, selected: code === i18n.locale }, name)));
  return select;
}

// The sign-in and sign-up forms: labelled fields (`<id>.<field>` names each), a submit button and
// a line for errors; `submit` gets the values and throws what the line should say.
function accountForm(id, { title, message = "", other }, fields, submitLabel, submit) {
  document.title = `${title} · Sports Nutrition`;
  const error = h("p", { class: "error", role: "alert" }, message);
  const inputs = Object.fromEntries(fields.map(([name, attrs]) =>
    [name, h("input", { id: `${id}-${name}`, name, required: true, ...attrs })]));
  const button = h("button", { type: "submit" }, submitLabel);
  const form = h("form", {
    "aria-labelledby": `${id}-title`,
    onsubmit: async (event) => {
      event.preventDefault();
      button.disabled = true;
      error.textContent = "";
      try {
        await submit(Object.fromEntries(Object.entries(inputs).map(([name, input]) => [name, input.value])));
      } catch (e) {
        error.textContent = e instanceof TypeError ? i18n.t("offline.needed") : e.message;
      } finally {
        button.disabled = false;
      }
    },
  },
  h("h1", { id: `${id}-title` }, title),
  fields.map(([name, attrs]) => [
    h("label", { for: `${id}-${name}` }, i18n.t(`${id}.${name}`)), inputs[name],
    attrs.minlength ? h("p", { class: "hint" }, i18n.t(`${id}.${name}_hint`, { min: attrs.minlength })) : null]),
  button, error);
  root.replaceChildren(
    h("header", {}, h("span", { class: "brand" }, "Sports Nutrition"), languagePicker()),
    h("main", { id: "main", class: "narrow" }, form, h("p", {}, other)));
}

function signIn(message = "") {
  accountForm("sign_in", {
    title: i18n.t("sign_in.title"), message,
    other: h("a", { href: "#/sign-up" }, i18n.t("sign_in.no_account")),
  }, [
    ["email", { type: "email", autocomplete: "username" }],
    ["password", { type: "password", autocomplete: "current-password" }],
  ], i18n.t("sign_in.submit"), async ({ email, password }) => {
    try {
      await api.login(email, password);
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) throw new Error(i18n.t("sign_in.wrong"));
      throw e;
    }
    await signedIn();
  });
}

function signUp() {
  accountForm("sign_up", {
    title: i18n.t("sign_up.title"),
    other: h("a", { href: "#/" }, i18n.t("sign_up.have_account")),
  }, [
    ["email", { type: "email", autocomplete: "username" }],
    ["password", { type: "password", autocomplete: "new-password", minlength: 10 }],
  ], i18n.t("sign_up.submit"), async ({ email, password }) => {
    const response = await fetch("/api/v1/auth/register", {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify({ email, password, language: i18n.locale }),
      credentials: "omit",
    });
    const body = await response.json().catch(() => null);
    if (!response.ok) throw new ApiError(response.status, body);
    // The session registration opened, kept in this app's cookie like a sign-in's.
    await api.adopt(body.refresh_token);
    await signedIn();
    go("#/profile");
  });
}

async function signedIn() {
  offlineUser = null;
  await rememberUser(api.user);
  if (api.user.language && api.user.language !== i18n.locale && api.user.language in LOCALES) {
    await useLocale(api.user.language);
  }
  await sendQueued();
  render();
}

// Sends what was written offline, once there is a connection and a session.
async function sendQueued() {
  if (!api.signedIn || outbox().length === 0) return;
  const { sent, refused } = await flush((method, path, body) => api.request(method, path, body));
  const parts = [];
  if (sent.length) parts.push(i18n.t("offline.sent", { count: sent.length }));
  for (const { write, error } of refused) parts.push(i18n.t("offline.refused", { what: write.label, why: error.message }));
  if (parts.length) showStatus(parts.join(" "));
}

async function signOut() {
  const waiting = outbox().length;
  if (waiting && !confirm(i18n.t("offline.sign_out_loses", { count: waiting }))) return;
  await api.signOut();
  await forgetAll();
  offlineUser = null;
  status = "";
  go("#/");
}

async function render() {
  document.documentElement.lang = i18n.locale;
  if (!api.signedIn && !offlineUser) {
    return location.hash === "#/sign-up" ? signUp() : signIn();
  }
  const user = api.user ?? offlineUser;
  const tabs = TABS[user.role] ?? TABS.admin;
  const [name, arg] = route(tabs);
  const tab = TAB_OF[name] ?? name;
  const nav = h("nav", { class: "tabs", "aria-label": i18n.t("nav.label") }, h("ul", { class: `tabs-${tabs.length}` }, tabs.map((t) =>
    h("li", {}, h("a", { href: `#/${t}`, "aria-current": t === tab ? "page" : false }, i18n.t(`nav.${t}`))))));
  const main = h("main", { id: "main", tabindex: "-1" }, h("p", { class: "loading" }, i18n.t("common.loading")));
  const header = h("header", {},
    h("span", { class: "brand" }, h("a", { href: "#/today" }, "Sports Nutrition")),
    languagePicker(),
    h("button", { type: "button", class: "secondary", onclick: signOut }, i18n.t("nav.sign_out")));
  const banner = api.signedIn ? null : h("p", { class: "banner", role: "status" }, i18n.t("offline.banner"));
  const line = h("p", { id: "status", class: "banner", role: "status", hidden: !status }, status);
  root.replaceChildren(header, banner ?? "", line, nav, main);
  document.title = `${i18n.t(`nav.${name}`)} · Sports Nutrition`;
  try {
    const content = await SCREENS[name].render({ ...context(), user }, arg);
    main.replaceChildren(...[content].flat(Infinity).filter((node) => node));
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) {
      await api.signOut();
      return signIn(i18n.t("sign_in.expired"));
    }
    const message = e instanceof ApiError && e.status === 503 && e.problem?.detail === "offline"
      ? i18n.t("offline.not_kept") : e.message;
    main.replaceChildren(h("p", { class: "error", role: "alert" }, message));
  }
}

// Back online: the session again (the access token may have expired meanwhile), then the outbox.
window.addEventListener("online", async () => {
  if (!api.signedIn && offlineUser) {
    try {
      if (await api.resume()) await signedIn();
      else { offlineUser = null; signIn(i18n.t("sign_in.expired")); }
    } catch { /* still no way through */ }
  } else {
    await sendQueued();
  }
});
window.addEventListener("offline", () => showStatus(i18n.t("offline.now")));
window.addEventListener("hashchange", () => { status = ""; render(); });

// A reload keeps the session the cookie holds; without a connection, the last user's kept data.
async function resume() {
  try {
    if (await api.resume()) await rememberUser(api.user);
  } catch (e) {
    if (e instanceof TypeError) offlineUser = lastUser();
  }
}
[i18n] = await Promise.all([I18n.load(preferredLocale(LOCALE_KEY)), resume()]);
if (api.signedIn && api.user.language in LOCALES && api.user.language !== i18n.locale) await useLocale(api.user.language);
await sendQueued();
render();
if ("serviceWorker" in navigator) navigator.serviceWorker.register("/sw.js").catch(() => {});
