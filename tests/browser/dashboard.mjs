// The admin dashboard in a real browser: Debian's Chromium driven by playwright-core, against the
// real binary that tests/api/dashboard.rs started (BASE_URL) with an athlete and no admin: the
// first admin comes from the setup link the node wrote (SETUP_LINK).
// Screenshots of every page go to ARTIFACTS. Any page error or console error (a CSP violation
// shows as one) fails the run.
import { chromium } from "playwright-core";
import { mkdirSync, readFileSync } from "node:fs";

const { BASE_URL, SETUP_LINK, STORE_ID, ADMIN_EMAIL, ADMIN_PASSWORD, ATHLETE_EMAIL, ATHLETE_PASSWORD, ARTIFACTS } = process.env;
mkdirSync(ARTIFACTS, { recursive: true });

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-background-networking"],
});
const problems = [];
const calls = [];
const step = (name) => console.log(`- ${name}`);

async function newPage(viewport = { width: 1280, height: 900 }) {
  const context = await browser.newContext({ viewport, locale: "en-GB" });
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("console", (m) => {
    // A refused sign-in, setup or refresh is an answer the page shows, not a fault.
    const expected = m.text().startsWith("Failed to load resource") && m.location().url.includes("/admin/session");
    if (m.type() === "error" && !expected) problems.push(`console: ${m.text()}`);
  });
  page.on("response", (r) => { if (r.url().includes("/api/")) calls.push(`${r.request().method()} ${r.url().replace(BASE_URL, "")} ${r.status()}`); });
  return page;
}

async function signIn(page, email, password) {
  await page.goto(`${BASE_URL}/admin`);
  await page.getByLabel("E-mail").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

// A store's price list, sent through the API as the admin: one row the catalogue cannot match.
async function sendPriceList() {
  const json = { "content-type": "application/json" };
  const signedIn = await (await fetch(`${BASE_URL}/api/v1/auth/login`, {
    method: "POST", headers: json, body: JSON.stringify({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD }),
  })).json();
  const response = await fetch(`${BASE_URL}/api/v1/admin/stores/${STORE_ID}/price-feed`, {
    method: "POST",
    headers: { authorization: `Bearer ${signedIn.token}`, "content-type": "text/csv" },
    body: readFileSync(new URL("../../seeds/feeds/muscle-shop.csv", import.meta.url)),
  });
  const run = await response.json();
  if (run.rows_queued !== 1) throw new Error(`the price list: ${response.status} ${JSON.stringify(run)}`);
}

try {
  const page = await newPage();

  step("creates the first admin from the node's setup link");
  await page.goto(SETUP_LINK);
  await page.getByRole("heading", { level: 1, name: "Create the first admin" }).waitFor();
  await page.getByLabel("E-mail").fill(ADMIN_EMAIL);
  await page.getByLabel("Password (at least 10 characters)").fill(ADMIN_PASSWORD);
  await page.screenshot({ path: `${ARTIFACTS}/setup.png`, fullPage: true });
  await page.getByRole("button", { name: "Create the admin account" }).click();
  await page.getByRole("heading", { level: 1, name: "Overview" }).waitFor();
  if (page.url().includes("setup")) problems.push(`the used setup link stays in the address bar: ${page.url()}`);

  step("keeps the session across a reload, its refresh token out of the page's reach");
  await page.reload();
  await page.getByRole("heading", { level: 1, name: "Overview" }).waitFor();
  const cookie = (await page.context().cookies()).find((c) => c.name === "sn_dashboard_refresh");
  if (!cookie?.httpOnly || cookie.sameSite !== "Strict" || cookie.path !== "/admin/session") {
    problems.push(`the session cookie: ${JSON.stringify(cookie)}`);
  }
  if ((await page.evaluate(() => document.cookie)).includes("sn_dashboard_refresh")) {
    problems.push("a script on the page reads the refresh token");
  }

  step("the used link creates nobody");
  const again = await newPage();
  await again.goto(SETUP_LINK);
  await again.getByLabel("E-mail").fill("second@club.rs");
  await again.getByLabel("Password (at least 10 characters)").fill(ADMIN_PASSWORD);
  await again.getByRole("button", { name: "Create the admin account" }).click();
  await again.getByRole("alert").getByText("This setup link has expired or was used").waitFor();
  await again.context().close();

  await sendPriceList();

  step("sees the overview");
  await page.getByRole("group", { name: "Node" }).getByText("Healthy").waitFor();
  await page.getByRole("group", { name: "Database" }).getByText("connected").waitFor();
  await page.getByText("Requests per second").waitFor();
  await page.screenshot({ path: `${ARTIFACTS}/overview.png`, fullPage: true });

  step("runs a backup and sees it listed");
  await page.getByRole("link", { name: "Backups" }).click();
  await page.getByRole("heading", { level: 1, name: "Backups" }).waitFor();
  await page.getByRole("button", { name: "Run a backup now" }).click();
  await page.getByRole("status").getByText(/^Backup .+: ok\.$/).waitFor({ timeout: 120_000 });
  const row = page.locator("table tbody tr").first();
  await row.getByText("manual").waitFor();
  await row.getByText("ok", { exact: true }).waitFor();
  await page.screenshot({ path: `${ARTIFACTS}/backups.png`, fullPage: true });

  step("sees the alerts page and the node's self-check");
  await page.getByRole("link", { name: "Alerts" }).click();
  await page.getByRole("heading", { level: 1, name: "Alerts" }).waitFor();
  await page.getByRole("button", { name: "Run a self-check now" }).click();
  // The page is drawn anew when the check is done; a test sent before would lose its answer.
  await page.getByRole("status").getByText("Checking…").waitFor({ state: "detached", timeout: 60_000 });
  await page.getByRole("cell", { name: "database", exact: true }).first().waitFor();
  await page.getByRole("cell", { name: "latency_p95", exact: true }).first().waitFor();
  step("sends a test notification to the webhook");
  await page.getByRole("row", { name: /webhook/ }).getByRole("button", { name: "Send a test" }).click();
  await page.getByRole("status").getByText("The test reached the webhook channel.").waitFor();
  await page.screenshot({ path: `${ARTIFACTS}/alerts.png`, fullPage: true });

  step("approves a price-feed row for review with the package it names");
  await page.getByRole("link", { name: "Catalogue" }).click();
  await page.getByRole("heading", { level: 1, name: "Catalogue" }).waitFor();
  const item = "Nepoznati Brend Super Mass Gainer Extreme 3 kg";
  await page.getByLabel(`Find the package for ${item}`).fill("Syntha");
  await page.getByRole("row", { name: /MS-2001/ }).getByRole("button", { name: "Search" }).click();
  const choice = page.getByLabel(`Package for ${item}`, { exact: true });
  const syntha = choice.locator("option", { hasText: /Syntha-6 — 1[.,]?320 g/ });
  await syntha.waitFor({ state: "attached" }).catch(async (e) => {
    throw new Error(`${e.message}; options: ${await choice.locator("option").allTextContents()}`);
  });
  await choice.selectOption(await syntha.getAttribute("value"));
  await page.getByRole("row", { name: /MS-2001/ }).getByRole("button", { name: "Approve" }).click();
  await page.getByRole("status").getByText(`${item}: approved, price applied.`).waitFor();
  await page.getByText("Nothing waits for review.").waitFor();

  step("changes a price and sees it in the history chart");
  await page.getByLabel("Product name").fill("Syntha");
  await page.getByRole("search").getByRole("button", { name: "Search" }).click();
  await page.getByRole("button", { name: /Syntha-6/ }).first().click();
  const field = page.getByLabel(/^Price of 1[.,]?320 g · Strong/);
  await field.waitFor();
  const discountField = page.getByLabel(/^Discount price of 1[.,]?320 g · Strong/);
  // A discount set here survives a later change of the price alone.
  await discountField.fill("5999");
  await page.getByRole("row").filter({ has: field }).getByRole("button", { name: "Save" }).click();
  await page.getByRole("status").getByText(/Strong Shop: /).waitFor();
  await field.fill("6499");
  await page.getByRole("row").filter({ has: field }).getByRole("button", { name: "Save" }).click();
  await page.getByRole("status").getByText(/6[.,]?499(\.00)? RSD/).waitFor();
  const kept = await discountField.inputValue();
  if (kept !== "5999") problems.push(`the untouched discount became ${JSON.stringify(kept)}`);
  await page.locator("figure.chart canvas").first().waitFor();
  await page.getByRole("button", { name: /^Edit the 1[.,]?320 g package$/ }).click();
  await page.getByRole("dialog").getByLabel("Servings").fill("28");
  await page.getByRole("dialog").getByRole("button", { name: "Save" }).click();
  await page.getByRole("status").getByText("The package is saved.").waitFor();
  await page.getByLabel("Product name").fill("Syntha");
  await page.getByRole("search").getByRole("button", { name: "Search" }).click();
  await page.getByRole("button", { name: /Syntha-6/ }).first().click();
  await page.getByRole("table", { name: "Packages" }).getByRole("row", { name: /2001000000135/ }).getByRole("cell", { name: "28", exact: true }).waitFor();
  step("edits the product");
  await page.getByRole("button", { name: "Edit the product" }).click();
  const productDialog = page.getByRole("dialog");
  await productDialog.getByLabel("Serving size").fill("46");
  await productDialog.getByRole("button", { name: "Save" }).click();
  await page.getByRole("status").getByText(/Syntha-6.* saved\./).waitFor();

  step("opens the brands, stores, dishes and safety rules");
  for (const list of [/^Brands \(\d+\)$/, /^Stores \(\d+\)$/, /^Dishes \(\d+\)$/, /^Contraindication rules \(\d+\)$/]) {
    await page.locator("summary").filter({ hasText: list }).click();
  }
  await page.getByRole("cell", { name: "Muscle Shop", exact: true }).first().waitFor();
  await page.getByRole("cell", { name: "Sour cabbage rolls with minced meat and rice", exact: true }).waitFor();
  await page.getByRole("table", { name: "Contraindication rules with their sources" }).locator("tbody tr").first().waitFor();

  step("adds a brand and edits a store's delivery terms");
  await page.getByLabel("Slug (lower-case-words)").fill("vitalia-rs");
  await page.getByLabel("Name", { exact: true }).fill("Vitalia");
  await page.getByLabel("Country (two letters, e.g. RS)").fill("RS");
  await page.getByLabel("A Serbian brand").check();
  await page.getByRole("button", { name: "Add", exact: true }).click();
  await page.getByRole("status").getByText("Brand Vitalia added.").waitFor();
  await page.locator("summary").filter({ hasText: /^Stores/ }).click();
  await page.getByRole("button", { name: "Edit Muscle Shop" }).click();
  await page.getByRole("dialog").getByLabel("Minimum order").fill("1500");
  await page.getByRole("dialog").getByRole("button", { name: "Save" }).click();
  await page.getByRole("status").getByText("Muscle Shop saved.").waitFor();
  await page.locator("summary").filter({ hasText: /^Stores/ }).click();
  await page.getByRole("row", { name: /Muscle Shop/ }).getByRole("cell", { name: /1[.,]?500 RSD/ }).waitFor();
  await page.locator("summary").filter({ hasText: /^Brands/ }).click();
  await page.getByRole("cell", { name: /Vitalia/ }).waitFor();

  step("adds an active substance");
  await page.locator("summary").filter({ hasText: /^Active substances/ }).click();
  await page.getByRole("button", { name: "Add a substance" }).click();
  const substanceDialog = page.getByRole("dialog");
  await substanceDialog.getByLabel("Substance code (e.g. caffeine)").fill("beta_ecdysterone");
  await substanceDialog.getByLabel("Unit").selectOption("mg");
  await substanceDialog.getByLabel("Name (en)").fill("Beta-ecdysterone");
  await substanceDialog.getByRole("button", { name: "Save" }).click();
  await page.getByRole("status").getByText("Substance beta_ecdysterone saved.").waitFor();
  await page.locator("summary").filter({ hasText: /^Active substances/ }).click();
  await page.getByRole("cell", { name: "beta_ecdysterone", exact: true }).waitFor();

  step("looks up an ingredient's nutrients");
  await page.locator("summary").filter({ hasText: /^Ingredients/ }).click();
  await page.getByRole("search").filter({ has: page.getByLabel("Find an ingredient") }).getByLabel("Find an ingredient").fill("oats");
  await page.getByRole("search").filter({ has: page.getByLabel("Find an ingredient") }).getByRole("button", { name: "Search" }).click();
  await page.getByRole("table", { name: /^Ingredients, per 100 g/ }).locator("tbody tr").first().waitFor();

  step("adds a dish from two ingredients");
  await page.locator("summary").filter({ hasText: /^Dishes/ }).click();
  await page.getByRole("button", { name: "Add a dish" }).click();
  const dishDialog = page.getByRole("dialog");
  await dishDialog.getByLabel("Slug (lower-case-words)").fill("ajvar-toast");
  await dishDialog.getByLabel("Name (en)").fill("Ajvar on toast");
  await dishDialog.getByLabel("Name (sr-Latn)").fill("Ajvar na tostu");
  await dishDialog.getByLabel("snack").check();
  await dishDialog.getByLabel("Servings").fill("2");
  for (const [food, grams] of [["bread", "120"], ["pepper", "80"]]) {
    await dishDialog.getByLabel("Find an ingredient").fill(food);
    await dishDialog.getByRole("button", { name: "Search" }).click();
    await dishDialog.locator("ul.results button").first().click();
    await dishDialog.getByLabel(/^Grams of /).last().fill(grams);
  }
  await dishDialog.getByRole("button", { name: "Save" }).click();
  await page.getByRole("status").getByText("Dish Ajvar on toast added.").waitFor();
  await page.locator("summary").filter({ hasText: /^Dishes/ }).click();
  await page.getByRole("cell", { name: "Ajvar on toast", exact: true }).waitFor();
  await page.getByRole("button", { name: "Edit Ajvar on toast" }).click();
  const editDialog = page.getByRole("dialog");
  await editDialog.getByLabel(/^Grams of /).first().waitFor();
  await editDialog.getByLabel("Servings").fill("3");
  await editDialog.getByRole("button", { name: "Save" }).click();
  await page.getByRole("status").getByText("Dish Ajvar on toast saved.").waitFor();

  step("edits a contraindication rule");
  await page.locator("summary").filter({ hasText: /^Contraindication rules/ }).click();
  await page.getByRole("button", { name: /^Edit the rule for Caffeine with .*(blood pressure|hypertension)/i }).click();
  const ruleDialog = page.getByRole("dialog");
  await ruleDialog.getByLabel("Severity").selectOption("info");
  await ruleDialog.getByRole("button", { name: "Save" }).click();
  await page.getByRole("status").getByText("The rule is saved; recommendations follow it at once.").waitFor();
  await page.locator("summary").filter({ hasText: /^Contraindication rules/ }).click();
  await page.getByRole("row", { name: /Caffeine.*(blood pressure|hypertension)/i }).getByRole("cell", { name: "info", exact: true }).waitFor();
  await page.screenshot({ path: `${ARTIFACTS}/catalogue.png`, fullPage: true });

  step("finds a user and changes their role; reads the audit log");
  await page.getByRole("link", { name: "Users" }).click();
  await page.getByRole("heading", { level: 1, name: "Users" }).waitFor();
  await page.getByLabel("E-mail contains").fill("athlete");
  await page.getByRole("button", { name: "Find" }).click();
  await page.getByText("1–1 of 1").waitFor();
  await page.getByLabel(`Role of ${ATHLETE_EMAIL}`).selectOption("coach");
  // A role change needs the admin's password entered again.
  const confirm = page.getByRole("dialog", { name: "Confirm with your password" });
  await confirm.getByLabel("Your password").fill(ADMIN_PASSWORD);
  await confirm.getByRole("button", { name: "Confirm" }).click();
  await page.getByRole("status").getByText(`${ATHLETE_EMAIL} is now coach.`).waitFor();
  await page.getByRole("cell", { name: "auth.login" }).first().waitFor();
  await page.getByRole("row", { name: new RegExp(ATHLETE_EMAIL) }).getByRole("button", { name: "Sessions" }).click();
  await page.getByRole("dialog").getByRole("table", { name: `Sessions of ${ATHLETE_EMAIL}` }).locator("tbody tr").first().waitFor();
  await page.getByRole("dialog").getByRole("button", { name: "Sign out everywhere" }).click();
  await page.getByRole("status").getByText(`Sessions of ${ATHLETE_EMAIL} ended: 1.`).waitFor();
  await page.screenshot({ path: `${ARTIFACTS}/users.png`, fullPage: true });

  step("reads the effective settings, secrets hidden");
  await page.getByRole("link", { name: "Settings" }).click();
  await page.getByRole("heading", { level: 1, name: "Settings" }).waitFor();
  await page.getByLabel("Key contains").fill("auth.jwt");
  await page.getByRole("cell", { name: "auth.jwt_secret" }).waitFor();
  await page.getByRole("cell", { name: "[set, hidden]" }).waitFor();
  if ((await page.content()).includes(process.env.JWT_SECRET)) problems.push("the signing key is on the settings page");
  await page.getByLabel("Key contains").fill("");
  await page.screenshot({ path: `${ARTIFACTS}/settings.png`, fullPage: true });

  step("speaks all seven languages, each picked from the language menu in the one before");
  const messages = (locale) =>
    JSON.parse(readFileSync(new URL(`../../assets/admin/i18n/${locale}.json`, import.meta.url), "utf8"));
  await page.getByLabel("Language").selectOption("sr-Latn");
  await page.getByRole("heading", { level: 1, name: "Podešavanja" }).waitFor();
  await page.getByRole("link", { name: "Pregled" }).click();
  await page.getByRole("heading", { level: 1, name: "Pregled", exact: true }).waitFor();
  await page.screenshot({ path: `${ARTIFACTS}/overview-sr-Latn.png`, fullPage: true });
  let current = messages("sr-Latn");
  for (const locale of ["sr-Cyrl", "hu", "ro", "ru", "uk", "en"]) {
    const next = messages(locale);
    await page.getByLabel(current["nav.language"]).selectOption(locale);
    await page.getByRole("heading", { level: 1, name: next["nav.overview"], exact: true }).waitFor();
    await page.getByRole("heading", { level: 2, name: next["overview.charts"], exact: true }).waitFor();
    // Durations in the locale's own units: the node's uptime, in minutes so early.
    if (locale === "ru") await page.getByRole("group", { name: next["overview.status"] }).getByText(/мин/).waitFor();
    if (locale !== "en") await page.screenshot({ path: `${ARTIFACTS}/overview-${locale}.png`, fullPage: true });
    current = next;
  }

  step("signs out, which a reload does not undo; an athlete is turned away");
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByRole("heading", { level: 1, name: "Sign in to the admin dashboard" }).waitFor();
  await page.reload();
  await page.getByRole("heading", { level: 1, name: "Sign in to the admin dashboard" }).waitFor();
  await signIn(page, ATHLETE_EMAIL, ATHLETE_PASSWORD);
  await page.getByRole("alert").getByText("This dashboard is for admins").waitFor();
  await page.screenshot({ path: `${ARTIFACTS}/forbidden.png`, fullPage: true });

  step("fits a phone, and the keyboard reaches the skip link first");
  const phone = await newPage({ width: 390, height: 844 });
  await phone.goto(`${BASE_URL}/admin`);
  await phone.getByLabel("E-mail").waitFor();
  // The e-mail field has focus; before it come the language picker and the skip link.
  await phone.keyboard.press("Shift+Tab");
  await phone.keyboard.press("Shift+Tab");
  const focused = await phone.evaluate(() => document.activeElement?.textContent);
  if (focused !== "Skip to content") problems.push(`the first stop in tab order: ${focused}`);
  await signIn(phone, ADMIN_EMAIL, ADMIN_PASSWORD);
  await phone.getByRole("heading", { level: 1, name: "Overview" }).waitFor();
  const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  if (overflow > 0) problems.push(`the overview is ${overflow}px wider than a phone`);
  await phone.screenshot({ path: `${ARTIFACTS}/overview-phone.png`, fullPage: true });
} catch (e) {
  problems.push(e.stack ?? String(e));
  problems.push(`the last API calls:\n${calls.slice(-12).join("\n")}`);
  for (const [i, p] of browser.contexts().flatMap((c) => c.pages()).entries()) {
    await p.screenshot({ path: `${ARTIFACTS}/failure-${i}.png`, fullPage: true }).catch(() => {});
    problems.push(`page ${i} at ${p.url()}: ${(await p.locator("main").innerText().catch(() => "")).slice(0, 2000)}`);
  }
} finally {
  await browser.close();
}

if (problems.length) {
  console.error(problems.join("\n"));
  process.exit(1);
}
console.log("dashboard: all steps passed");
