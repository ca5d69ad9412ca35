// Catalogue: the price-feed review queue, a product's prices at every store with their history,
// the latest price-feed runs, and the lists admins edit (brands, stores, dishes and ingredients,
// substances, contraindication rules). Each part is a module of its own in pages/catalogue/.
import { h } from "common/dom.js";
import { brandsSection } from "app/pages/catalogue/brands.js";
import { dishesSections } from "app/pages/catalogue/dishes.js";
import { reviewSection, runsSection } from "app/pages/catalogue/feeds.js";
import { productsSection } from "app/pages/catalogue/products.js";
import { rulesSection } from "app/pages/catalogue/rules.js";
import { storesSection } from "app/pages/catalogue/stores.js";
import { substancesSection } from "app/pages/catalogue/substances.js";

// Kept across the page's refreshes: the message of the last change, and the product whose prices
// are shown.
const state = { flash: "", selected: null };

export async function render({ api, i18n, refresh }) {
  const t = (k, v) => i18n.t(k, v);
  const [queue, runs, brands, stores, dishes, rules, substances] = await Promise.all([
    api.get("/admin/price-review?limit=50"),
    api.get("/admin/price-feed-runs?limit=10"),
    api.get("/brands"),
    api.get("/admin/stores"),
    api.get(`/dishes?per_page=100&lang=${encodeURIComponent(i18n.locale)}`),
    api.get(`/safety-rules?lang=${encodeURIComponent(i18n.locale)}`),
    api.get("/admin/substances"),
  ]);
  const status = h("p", { class: "status", role: "status", "aria-live": "polite" }, state.flash);
  state.flash = "";
  // Every change: done, then the page again with its message; or the error in the status line.
  const act = async (work, message) => {
    try { await work(); state.flash = message; await refresh(); } catch (e) { status.textContent = e.message; }
  };
  const ctx = { api, i18n, t, act, refresh, status };

  return [
    h("h1", {}, t("nav.catalogue")), status,
    h("h2", {}, t("catalogue.review")), reviewSection(ctx, queue),
    h("h2", {}, t("catalogue.prices")), ...(await productsSection(ctx, state, brands)),
    h("h2", {}, t("catalogue.runs")), runsSection(ctx, runs),
    h("h2", {}, t("catalogue.lists")),
    h("section", { "aria-label": t("catalogue.lists") },
      brandsSection(ctx, brands), storesSection(ctx, stores), ...dishesSections(ctx, dishes),
      substancesSection(ctx, substances), rulesSection(ctx, rules)),
  ];
}
