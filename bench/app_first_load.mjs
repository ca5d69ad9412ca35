// Driven by bench/app_first_load.sh (which starts the node at BASE_URL and names OUT).
import { createRequire } from "node:module";
import { writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";

const require = createRequire(new URL("../tests/browser/package.json", import.meta.url));
const { chromium } = require("playwright-core");
const { BASE_URL, OUT } = process.env;
const RUNS = 7;
const api = async (method, path, token, body) => {
  const response = await fetch(`${BASE_URL}/api/v1${path}`, {
    method,
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  return response.status === 204 ? null : response.json();
};

const email = "bench@klub.rs", password = "sarma i podvarak 1987";
const { token } = await api("POST", "/auth/register", null, { email, password, language: "sr-Latn" });
await api("PUT", "/health-profile", token, {
  birth_date: "1996-04-12", sex: "female", weight_kg: 60, height_cm: 170, activity_level: "moderate",
  sport: "endurance", training_hours_per_week: 6, goal: "maintain",
});
const today = new Date(Date.now() - new Date().getTimezoneOffset() * 60000).toISOString().slice(0, 10);
await api("POST", "/meal-plans/daily", token, { date: today, training_load: "moderate" });

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium", args: ["--no-sandbox"] });

// One load of `/` in `page`: bytes over the wire until `selector` shows, and the time it took.
async function load(page, selector) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Network.enable");
  let bytes = 0, requests = 0;
  cdp.on("Network.loadingFinished", (e) => { bytes += e.encodedDataLength; requests += 1; });
  const started = Date.now();
  await page.goto(`${BASE_URL}/`);
  await page.locator(selector).first().waitFor();
  const ms = Date.now() - started;
  await cdp.detach();
  return { bytes, requests, ms };
}

// The athlete's day is on screen: the day's meals listed under the targets.
const DAY = "main section ul.plain li";

async function signIn(page) {
  await page.goto(`${BASE_URL}/`);
  await page.locator("input[type=email]").fill(email);
  await page.locator("input[type=password]").fill(password);
  await page.locator("form button[type=submit]").click();
  await page.locator(DAY).first().waitFor();
}

const phone = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: "sr-RS" };
const anonymous = [], day = [], warm = [];
for (let i = 0; i < RUNS; i += 1) {
  // Nobody signed in: the sign-in screen.
  const fresh = await browser.newContext(phone);
  anonymous.push(await load(await fresh.newPage(), "form button[type=submit]"));
  await fresh.close();

  // Signed in (the session cookie only): no cache, no service worker, then the day.
  const context = await browser.newContext({ ...phone, serviceWorkers: "block" });
  await signIn(await context.newPage());
  const cookies = await context.cookies();
  await context.close();
  const cold = await browser.newContext({ ...phone, serviceWorkers: "block" });
  await cold.addCookies(cookies);
  day.push(await load(await cold.newPage(), DAY));
  await cold.close();

  // The same athlete again, with the cache and the service worker of the visit before.
  const returning = await browser.newContext(phone);
  const first = await returning.newPage();
  await signIn(first);
  await first.evaluate(() => navigator.serviceWorker.ready);
  await first.close();
  warm.push(await load(await returning.newPage(), DAY));
  await returning.close();
}
await browser.close();

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const summary = (runs) => ({
  bytes_median: median(runs.map((r) => r.bytes)), bytes_max: Math.max(...runs.map((r) => r.bytes)),
  requests: median(runs.map((r) => r.requests)),
  ms_median: median(runs.map((r) => r.ms)), ms_max: Math.max(...runs.map((r) => r.ms)),
});
const result = {
  command: "bash bench/app_first_load.sh",
  date: new Date().toISOString(),
  machine: `${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB`,
  browser: "Debian's Chromium via playwright-core, 390×844 phone viewport, no throttling",
  runs: RUNS,
  goal: "first load ≤ 150 KB transferred; the athlete's day on screen within 1 s",
  sign_in_screen_cold: summary(anonymous),
  athletes_day_cold: summary(day),
  athletes_day_warm: summary(warm),
  warm_note: "bytes of the page's own requests: the service worker's fetches of the day's API answers (network first) go over the wire too and are not counted",
};
writeFileSync(OUT, `${JSON.stringify(result, null, 2)}\n`);
