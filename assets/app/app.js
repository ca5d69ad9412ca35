// The athletes' app: sign-in and sign-up, a shell with a tab bar, and one module per screen. Screens
// are chosen by the URL fragment (#/meals), so the server serves a single page. Everything it shows
// comes from the public API (/api/v1). Offline, the service worker answers reads with the last copy
// it kept, and writes wait in the outbox (store.js) until the connection returns.
import { Api, ApiError } from "common/api.js";
import { h } from "common/dom.js";
import { I18n, LOCALES, preferredLocale } from "common/i18n.js";
import { enqueue, flush, forgetAll, forgetData, lastUser, outbox, rememberUser, supersede } from "app/store.js";
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
// The status line: what just happened, until the next screen.
let status = "";
// What the athlete must see before it goes: offline writes the server refused, until dismissed.
let notices = [];

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
  const user = (api.user ?? offlineUser).id;
  const queue = () => {
    enqueue(user, { method, path, body, key, label });
    showStatus(i18n.t("offline.queued", { what: label, count: outbox(user).length }));
    return { queued: true };
  };
  if (!navigator.onLine || !api.signedIn) return queue();
  try {
    const value = await api.request(method, path, body);
    // This write is newer than any of the same thing still waiting: that one must not follow it.
    supersede(user, key);
    return { queued: false, value };
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

// Loaded first, then remembered: a locale that cannot be loaded (offline) is not the next start's.
async function useLocale(locale) {
  i18n = await I18n.load(locale);
  localStorage.setItem(LOCALE_KEY, locale);
  document.documentElement.lang = i18n.locale;
}

function languagePicker() {
  const select = h("select", { id: "locale", "aria-label": i18n.t("nav.language"), onchange: async () => {
    try {
      await useLocale(select.value);
    } catch {
      select.value = i18n.locale;
      showStatus(i18n.t("offline.needed"));
      return;
    }
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
  fields.map(([name, attrs]) => {
    if (!attrs.minlength) return [h("label", { for: `${id}-${name}` }, i18n.t(`${id}.${name}`)), inputs[name]];
    inputs[name].setAttribute("aria-describedby", `${id}-${name}-hint`);
    return [h("label", { for: `${id}-${name}` }, i18n.t(`${id}.${name}`)), inputs[name],
      h("p", { class: "hint", id: `${id}-${name}-hint` }, i18n.t(`${id}.${name}_hint`, { min: attrs.minlength }))];
  }),
  button, error);
  root.replaceChildren(
    h("header", {}, h("span", { class: "brand" }, "Sports Nutrition"), languagePicker()),
    h("main", { id: "main", class: "narrow", tabindex: "-1" }, form, h("p", {}, other)));
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
    // The session registration opened, kept in this app's cookie like a sign-in's; should that
    // fail, the account exists, and signing in opens another.
    await api.adopt(body.refresh_token).catch(() => api.login(email, password));
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

// Sends what was written offline, once there is a connection and a session. A refusal stays on
// screen until the athlete dismisses it.
async function sendQueued() {
  if (!api.signedIn || outbox(api.user.id).length === 0) return;
  const { sent, refused } = await flush(api.user.id, (method, path, body) => api.request(method, path, body));
  if (sent.length) showStatus(i18n.t("offline.sent", { count: sent.length }));
  if (refused.length) {
    notices.push(...refused.map(({ write, error }) => i18n.t("offline.refused", { what: write.label, why: error.message })));
    render();
  }
}

// Ends the session only when the server says so: its cookie is out of the page's reach, and a
// sign-out the server never heard would leave the next visitor signed in.
async function signOut() {
  const user = api.user ?? offlineUser;
  const waiting = outbox(user.id).length;
  if (waiting && !confirm(i18n.t("offline.sign_out_loses", { count: waiting }))) return;
  if (!(await api.signOut())) {
    if (offlineUser === null && user) offlineUser = user;
    await api.resume().catch(() => false);
    showStatus(i18n.t("offline.sign_out_needs"));
    return;
  }
  await forgetAll(user.id);
  offlineUser = null;
  status = "";
  notices = [];
  go("#/");
}

// The session ended elsewhere (expired, signed out from another device, the account erased):
// what the device kept of it goes; the unsent writes wait for their owner's next sign-in.
async function ended() {
  await api.signOut();
  await forgetData();
  offlineUser = null;
  signIn(i18n.t("sign_in.expired"));
}

// Draws the screen the URL names. `focus`: after a navigation, keyboard and screen-reader users
// start at the new screen's content, not at the top of the page.
async function render({ focus = false } = {}) {
  document.documentElement.lang = i18n.locale;
  skip.textContent = i18n.t("nav.skip");
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
  const refusals = notices.length === 0 ? "" : h("div", { class: "banner error", role: "alert" },
    notices.map((n) => h("p", {}, n)),
    h("button", { type: "button", class: "secondary", onclick: () => { notices = []; render(); } }, i18n.t("common.dismiss")));
  root.replaceChildren(header, banner ?? "", refusals, line, nav, main);
  document.title = `${i18n.t(`nav.${name}`)} · Sports Nutrition`;
  try {
    const content = await SCREENS[name].render({ ...context(), user }, arg);
    main.replaceChildren(...[content].flat(Infinity).filter((node) => node));
    if (focus && main.isConnected) main.focus();
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return ended();
    const message = e instanceof ApiError && e.status === 503 && e.problem?.detail === "offline"
      ? i18n.t("offline.not_kept") : e.message;
    main.replaceChildren(h("p", { class: "error", role: "alert" }, message));
  }
}

// Back online: the session again (the access token may have expired meanwhile), then the outbox.
// Also tried every half minute: a browser may say it is online while the server is out of reach.
async function reconnect() {
  if (!api.signedIn && offlineUser) {
    try {
      if (await api.resume()) await signedIn();
      else await ended();
    } catch { /* still no way through */ }
  } else {
    await sendQueued().catch(() => { /* the next try */ });
  }
}
window.addEventListener("online", reconnect);
setInterval(() => { if (navigator.onLine) reconnect(); }, 30_000);
window.addEventListener("offline", () => showStatus(i18n.t("offline.now")));
window.addEventListener("hashchange", () => { status = ""; render({ focus: true }); });

// The skip link goes to the content without changing the URL, which names the screen.
const skip = document.querySelector(".skip");
skip.addEventListener("click", (event) => {
  event.preventDefault();
  document.getElementById("main")?.focus();
});

// A reload keeps the session the cookie holds; without a connection, the last user's kept data.
async function resume() {
  try {
    if (await api.resume()) await rememberUser(api.user);
    else await forgetData();
  } catch (e) {
    if (e instanceof TypeError) offlineUser = lastUser();
  }
}
[i18n] = await Promise.all([I18n.load(preferredLocale(LOCALE_KEY)), resume()]);
if (api.signedIn && api.user.language in LOCALES && api.user.language !== i18n.locale) await useLocale(api.user.language);
await sendQueued();
render();
if ("serviceWorker" in navigator) navigator.serviceWorker.register("/sw.js").catch(() => {});
