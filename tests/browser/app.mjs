// The athletes' app in a real browser: Debian's Chromium driven by playwright-core at a phone's
// viewport, against the real binary tests/api/athlete_app.rs started (BASE_URL), with a coach
// account (COACH_EMAIL) and no athletes. A new athlete walks the whole journey in English, then in
// Serbian Cyrillic; the network is cut and restored; the coach looks in; the athlete erases the
// account. Screenshots of every screen go to ARTIFACTS. Any page error, console error or CSP
// violation fails the run, and so does any serious or critical finding of axe-core on any screen.
import { chromium } from "playwright-core";
import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";

const { BASE_URL, COACH_EMAIL, PASSWORD, ARTIFACTS } = process.env;
const ATHLETE_EMAIL = "jelena@klub.rs";
mkdirSync(ARTIFACTS, { recursive: true });
const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-background-networking"],
});
const problems = [];
const pages = [];
const step = (name) => console.log(`- ${name}`);
let offline = false;
let revoked = false;

// Answers the app expects and shows for what they are: no session yet, no plan or entry for a day
// yet, no health profile yet, an athlete who took a coach's access back, and whatever fails while
// the network is cut.
function expected(message, url) {
  if (offline) return true;
  if (!message.startsWith("Failed to load resource")) return false;
  return /\/app\/session\/refresh$/.test(url)
    || /\/api\/v1\/(meal-plans\/\d{4}-\d{2}-\d{2}|progress\/\d{4}-\d{2}-\d{2}|health-profile|nutrition\/targets\?.*)$/.test(url)
    || (revoked && /\/api\/v1\/coach\/athletes\/[^/]+\/profile$/.test(url));
}

async function newPage(locale = "en-GB") {
  const context = await browser.newContext({
    viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale,
  });
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  // A CSP violation is an event in the page: reported as a console error, which fails the run.
  await page.addInitScript(() => document.addEventListener("securitypolicyviolation",
    (e) => console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`)));
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error" && !expected(m.text(), m.location().url)) problems.push(`console: ${m.text()} (${m.location().url})`);
  });
  pages.push(page);
  return page;
}

// axe-core on the screen as it is, evaluated through the DevTools protocol (not a script the
// page's CSP would have to allow). Serious and critical findings fail the run.
async function accessible(page, name) {
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () =>
    (await window.axe.run(document, { resultTypes: ["violations"] })).violations
      .filter((v) => v.impact === "serious" || v.impact === "critical")
      .map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")}`));
  for (const v of violations) problems.push(`axe on ${name}: ${v}`);
}

async function screen(page, name) {
  await page.locator("p.loading").waitFor({ state: "detached" });
  await page.screenshot({ path: `${ARTIFACTS}/${name}.png`, fullPage: true });
  await accessible(page, name);
}

const heading = (page, name) => page.getByRole("heading", { level: 1, name }).waitFor();
const tab = (page, name) => page.getByRole("navigation").getByRole("link", { name, exact: true }).click();

// The API as the athlete, beside the browser: what the server holds.
async function serverEntry(date) {
  const login = await (await fetch(`${BASE_URL}/api/v1/auth/login`, {
    method: "POST", headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: ATHLETE_EMAIL, password: PASSWORD }),
  })).json();
  const response = await fetch(`${BASE_URL}/api/v1/progress/${date}`, { headers: { authorization: `Bearer ${login.token}` } });
  return response.ok ? response.json() : null;
}

const today = new Date(Date.now() - new Date().getTimezoneOffset() * 60000).toISOString().slice(0, 10);

try {
  const page = await newPage();

  step("signs up at / and fills in the health profile");
  await page.goto(`${BASE_URL}/`);
  await heading(page, "Sign in");
  await screen(page, "en-sign-in");
  await page.getByRole("link", { name: "New here? Create an account" }).click();
  await heading(page, "Create an account");
  await page.getByLabel("E-mail address").fill(ATHLETE_EMAIL);
  await page.getByLabel("Password").fill(PASSWORD);
  await screen(page, "en-sign-up");
  await page.getByRole("button", { name: "Create account" }).click();
  await heading(page, "Health profile");
  await page.getByLabel("Date of birth").fill("1996-04-12");
  await page.getByLabel("Sex").selectOption("female");
  await page.getByLabel("Weight (kg)").fill("60");
  await page.getByLabel("Height (cm)").fill("170");
  await page.getByLabel("Sport").selectOption("endurance");
  await page.getByLabel("Training hours per week").fill("6");
  await page.getByLabel("Goal").selectOption("maintain");
  await page.getByLabel("High blood pressure", { exact: false }).check();
  await screen(page, "en-profile");
  await page.getByRole("button", { name: "Save profile" }).click();

  step("today: the targets, how they were worked out, and the day's training load");
  await heading(page, /^Today/);
  await page.getByText("How these were worked out").click();
  await page.getByText(/Formula: /).waitFor();
  await page.locator("#today-load").selectOption("hard");
  await page.getByRole("button", { name: "Apply" }).click();
  await page.waitForURL(/load=hard/);
  await page.getByText("How these were worked out").waitFor();
  await page.waitForFunction(() => document.querySelector("#today-load")?.value === "hard");
  await screen(page, "en-today");

  step("plans the day, swaps a dish, opens a recipe");
  await page.getByRole("button", { name: "Plan my day", exact: true }).click();
  await heading(page, "Meals");
  await page.getByRole("table").first().waitFor();
  const first = await page.locator("main ul.plain li a").first().textContent();
  await page.getByRole("button", { name: `Swap ${first}` }).click();
  await page.waitForFunction((name) => document.querySelector("main ul.plain li a")?.textContent !== name, first);
  await page.getByText("Estimated cost").waitFor();
  await screen(page, "en-meals-day");
  await page.locator("main ul.plain li a").first().click();
  await page.getByRole("heading", { level: 2, name: "Ingredients (one serving)" }).waitFor();
  await screen(page, "en-dish");

  step("plans the week, with its shopping list and cost");
  await tab(page, "Meals");
  await page.getByRole("link", { name: "Week" }).click();
  // Today is planned already, so the week is planned "again": seven days come back.
  await page.getByRole("button", { name: /^Plan the week/ }).click();
  await page.waitForFunction(() => document.querySelectorAll("main section:first-of-type ul.plain > li").length === 7);
  await page.getByText("Estimated cost").waitFor();
  await screen(page, "en-meals-week");

  step("supplements by tier, the cheapest plan across stores, saved");
  await tab(page, "Supplements");
  await page.getByRole("heading", { level: 2, name: "Recommended" }).waitFor();
  await page.getByRole("heading", { level: 2, name: "Not for you" }).waitFor();
  await page.getByLabel("Add to the shopping plan").first().check();
  await page.getByLabel("Save as (optional)").fill("December");
  await page.getByRole("button", { name: "Find the cheapest way to buy" }).click();
  await page.getByText("Saved as “December”.").waitFor();
  await page.getByText("Delivery in all").waitFor();
  await screen(page, "en-supplements");
  await tab(page, "Today");
  await tab(page, "Supplements");
  await page.getByRole("link", { name: "December" }).click();
  await heading(page, "December");
  await screen(page, "en-shopping-list");

  step("logs the day and sees the trends");
  await tab(page, "Progress");
  await page.getByLabel("Weight (kg)").fill("60.4");
  await page.getByLabel("Energy eaten (kcal)").fill("2150");
  await page.getByLabel("Protein (g)").fill("110");
  await page.getByRole("button", { name: "Save the day" }).click();
  await page.getByText("Saved.").first().waitFor();
  await page.getByRole("figure").first().waitFor();
  await screen(page, "en-progress");

  step("gives the coach access; sessions; password; export");
  await tab(page, "Me");
  await page.getByLabel("Coach's e-mail address").fill(COACH_EMAIL);
  await page.getByRole("button", { name: "Give a coach access" }).click();
  await page.getByRole("button", { name: `Take access back from ${COACH_EMAIL}` }).waitFor();
  await page.getByText("this device").waitFor();
  const download = page.waitForEvent("download");
  await page.getByRole("button", { name: "Download a copy" }).click();
  const exported = JSON.parse(readFileSync(await (await download).path(), "utf8"));
  if (!JSON.stringify(exported).includes(ATHLETE_EMAIL)) problems.push("the export does not hold the account");
  await screen(page, "en-me");

  step("the coach sees the athlete");
  const coach = await newPage();
  await coach.goto(`${BASE_URL}/`);
  await coach.getByLabel("E-mail address").fill(COACH_EMAIL);
  await coach.getByLabel("Password").fill(PASSWORD);
  await coach.getByRole("button", { name: "Sign in" }).click();
  await heading(coach, "My athletes");
  await coach.getByRole("link", { name: ATHLETE_EMAIL }).click();
  await heading(coach, ATHLETE_EMAIL);
  await coach.getByRole("figure").first().waitFor();
  await screen(coach, "en-coach");

  step("takes the coach's access back: the coach sees nobody");
  revoked = true;
  await page.getByRole("button", { name: `Take access back from ${COACH_EMAIL}` }).click();
  await page.getByText("No coach has access.").waitFor();
  await coach.reload();
  await coach.getByText("This athlete's data is no longer shared with you.").waitFor();
  await coach.getByRole("link", { name: "← My athletes" }).click();
  await coach.getByText(/No athlete has given you access yet/).waitFor();
  await coach.context().close();

  step("switches to Serbian Cyrillic: every screen again");
  await page.locator("#locale").selectOption("sr-Cyrl");
  await page.getByRole("navigation").getByRole("link", { name: "Данас", exact: true }).waitFor();
  for (const name of ["today", "meals", "meals/week", "supplements", "progress", "me", "profile"]) {
    await page.goto(`${BASE_URL}/#/${name}`);
    await page.waitForFunction(() => document.documentElement.lang === "sr-Cyrl");
    await screen(page, `sr-Cyrl-${name.replace("/", "-")}`);
  }
  const text = await page.locator("nav").textContent();
  if (!/[\u0400-\u04FF]/.test(text)) problems.push(`the tabs are not in Cyrillic: ${text}`);
  // Dates and numbers in the locale's form: Serbian writes a decimal comma.
  await page.goto(`${BASE_URL}/#/progress`);
  await page.locator("p.loading").waitFor({ state: "detached" });
  if (!(await page.locator("main").textContent()).includes("60,4")) problems.push("the weight is not written 60,4 in Serbian");

  step("offline: the last plan and shopping list open, an entry waits and is sent");
  await page.evaluate(() => navigator.serviceWorker.ready);
  await page.reload();
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
  await page.goto(`${BASE_URL}/#/meals`);
  await page.locator("p.loading").waitFor({ state: "detached" });
  offline = true;
  await page.context().setOffline(true);
  await page.reload();
  await page.locator("p.banner").first().waitFor();
  await page.getByRole("table").first().waitFor();
  await screen(page, "sr-Cyrl-offline-meals");
  await page.goto(`${BASE_URL}/#/meals/week`);
  await page.locator("main table").first().waitFor();
  await page.goto(`${BASE_URL}/#/progress`);
  await page.locator("p.loading").waitFor({ state: "detached" });
  await page.locator("#log-date").waitFor();
  await page.locator("input[type=number]").first().fill("60.1");
  await page.getByRole("button", { name: "Сачувај дан" }).click();
  await page.locator("#status").filter({ hasText: /./ }).waitFor();
  await screen(page, "sr-Cyrl-offline-progress");
  const queued = await page.evaluate(() => JSON.parse(localStorage.getItem("sn-app-outbox") ?? "[]").length);
  if (queued !== 1) problems.push(`the offline entry is not in the outbox (${queued})`);
  // Signing out needs the server: offline, the app says so and keeps everything.
  page.once("dialog", (d) => d.accept());
  await page.locator("header button").click();
  await page.locator("#status").filter({ hasText: "За одјаву је потребна веза" }).waitFor();
  const still = await page.evaluate(() => JSON.parse(localStorage.getItem("sn-app-outbox") ?? "[]").length);
  if (still !== 1) problems.push(`a sign-out the server never heard dropped the outbox (${still})`);
  if ((await serverEntry(today))?.weight_kg !== 60.4) problems.push("the offline entry reached the server while offline");
  await page.context().setOffline(false);
  offline = false;
  await page.waitForFunction(() => JSON.parse(localStorage.getItem("sn-app-outbox") ?? "[]").length === 0);
  const entry = await serverEntry(today);
  if (entry?.weight_kg !== 60.1) problems.push(`the offline entry did not reach the server: ${JSON.stringify(entry)}`);

  step("erases the account");
  await page.locator("#locale").selectOption("en");
  // The page is drawn again once the account's language is saved (the API answers in it).
  await page.getByRole("navigation").getByRole("link", { name: "Today", exact: true }).waitFor();
  await page.goto(`${BASE_URL}/#/me`);
  await page.getByRole("button", { name: "Delete my account and data" }).waitFor();
  page.once("dialog", (d) => d.accept());
  await page.locator("form", { has: page.getByRole("button", { name: "Delete my account and data" }) }).getByLabel("Current password").fill(PASSWORD);
  await page.getByRole("button", { name: "Delete my account and data" }).click();
  await heading(page, "Sign in");
  const login = await fetch(`${BASE_URL}/api/v1/auth/login`, {
    method: "POST", headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: ATHLETE_EMAIL, password: PASSWORD }),
  });
  if (login.status !== 401) problems.push(`the erased account still signs in: ${login.status}`);
  const kept = await page.evaluate(async () => ({ user: localStorage.getItem("sn-app-user"), data: await caches.has("sn-data") }));
  if (kept.user || kept.data) problems.push(`the device keeps the erased athlete's data: ${JSON.stringify(kept)}`);
  await page.locator("#locale").selectOption("sr-Cyrl");
  await heading(page, "Пријава");
  await screen(page, "sr-Cyrl-sign-in");
} catch (e) {
  problems.push(`failed: ${e.stack ?? e}`);
  for (const [i, p] of pages.entries()) {
    problems.push(`page ${i} was at ${p.url()}`);
    await p.screenshot({ path: `${ARTIFACTS}/failure-${i}.png`, fullPage: true }).catch(() => {});
  }
} finally {
  await browser.close();
}

if (problems.length) {
  console.error(problems.join("\n"));
  process.exit(1);
}
console.log("the athletes' app: every screen in two languages, offline and back");
