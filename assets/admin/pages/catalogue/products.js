// Products: finding one, its packages and prices at every store (set one) with their history as a
// chart, and dialogs for a product and a package.
import { h, modal, table } from "common/dom.js";
import uPlot from "common/vendor/uPlot.esm.js";
import { field, money } from "app/pages/catalogue/common.js";

const PRODUCT_TYPES = ["protein", "creatine", "amino", "vitamin_mineral", "pre_workout", "post_workout", "carbohydrate", "electrolyte", "fat_burner", "other"];

// The product search, the button for a new product, the search's results, and the prices of the
// product `state.selected` (chosen from the results; kept across the page's refreshes).
export async function productsSection(ctx, state, brands) {
  const { api, t, status, refresh } = ctx;
  const productSearch = h("input", { id: "product-search", type: "search", autocomplete: "off" });
  const results = h("ul", { class: "results" });
  const findProduct = h("form", { class: "toolbar filters", role: "search", onsubmit: async (event) => {
    event.preventDefault();
    try {
      const page = await api.get(`/products?q=${encodeURIComponent(productSearch.value)}&per_page=10`);
      results.replaceChildren(...page.items.map((p) => h("li", {}, h("button", { type: "button", class: "secondary",
        onclick: () => { state.selected = p.id; refresh(); } }, `${p.brand.name} ${p.name}`))));
      if (!page.items.length) results.replaceChildren(h("li", { class: "hint" }, t("catalogue.no_products")));
    } catch (e) {
      status.textContent = e.message;
    }
  } }, h("div", {}, h("label", { for: "product-search" }, t("catalogue.find_product")), productSearch),
  h("div", { class: "align-end" }, h("button", { type: "submit" }, t("catalogue.search"))));
  const prices = state.selected ? await pricesOf(ctx, state.selected, brands) : null;
  const newProduct = h("button", { type: "button", class: "secondary", onclick: () => editProduct(ctx, null, null, brands) },
    t("catalogue.new_product"));
  return [findProduct, h("div", { class: "toolbar" }, newProduct), results, prices];
}

// A product in a dialog: new (`id` null) or as `GET /admin/products/{id}` reads it. Names in
// languages not shown are sent back as they were (the API replaces the product whole).
function editProduct({ api, t, act }, id, product, brands) {
  const p = product ?? { names: {}, substances: [], allergens: [], is_available: true, serving_unit: "g", product_type: "protein" };
  const num = (v) => (v === null || v === undefined ? "" : String(Number(v)));
  const [slugField, slug] = field("product-slug", t("catalogue.slug"), { required: true, value: p.slug ?? "", maxlength: 120 });
  const brand = h("select", { id: "product-brand", required: true }, brands.map((b) => h("option", { value: b.id, selected: b.id === p.brand_id }, b.name)));
  const type = h("select", { id: "product-type" }, PRODUCT_TYPES.map((v) => h("option", { value: v, selected: p.product_type === v }, t(`catalogue.type.${v}`))));
  const [sizeField, size] = field("product-serving", t("catalogue.serving_size"), { type: "number", min: "0.01", step: "0.01", required: true, value: num(p.serving_size) });
  const unit = h("select", { id: "product-unit" }, ["g", "ml", "unit"].map((u) => h("option", { value: u, selected: p.serving_unit === u }, u)));
  const nutrition = [["energy_kcal_per_100g", "catalogue.kcal"], ["protein_g_per_100g", "catalogue.protein"], ["carbohydrate_g_per_100g", "catalogue.carbohydrate"], ["fat_g_per_100g", "catalogue.fat"]]
    .map(([key, label]) => [key, ...field(`product-${key}`, t(label), { type: "number", min: 0, step: "0.1", value: num(p[key]) })]);
  const available = h("input", { id: "product-available", type: "checkbox", checked: p.is_available });
  const names = { ...p.names };
  const nameFields = ["en", "sr-Latn"].map((locale) => {
    const [nf, n] = field(`product-name-${locale}`, t("catalogue.product_name_in", { locale }), { value: names[locale]?.name ?? "", maxlength: 200, required: locale === "en" });
    const d = h("textarea", { id: `product-description-${locale}`, rows: 2, maxlength: 2000 }, names[locale]?.description ?? "");
    return { locale, n, d, nodes: [nf, h("div", { class: "field" }, h("label", { for: `product-description-${locale}` }, t("catalogue.description_in", { locale })), d)] };
  });
  const substances = h("textarea", { id: "product-substances", rows: 4 }, p.substances.map((x) => `${x.code} ${Number(x.amount_per_serving)}`).join("\n"));
  const [allergensField, allergens] = field("product-allergens", t("catalogue.allergen_codes"), { value: p.allergens.join(", ") });
  modal(t, id ? t("catalogue.edit_product") : t("catalogue.new_product"), [
    slugField,
    h("div", { class: "field" }, h("label", { for: "product-brand" }, t("catalogue.brand")), brand),
    h("div", { class: "field" }, h("label", { for: "product-type" }, t("catalogue.type")), type),
    sizeField, h("div", { class: "field" }, h("label", { for: "product-unit" }, t("catalogue.unit")), unit),
    nutrition.map(([, node]) => node),
    h("div", { class: "field" }, h("label", { for: "product-available" }, available, ` ${t("catalogue.available")}`)),
    nameFields.map((f) => f.nodes),
    h("div", { class: "field" }, h("label", { for: "product-substances" }, t("catalogue.substances_lines")), substances),
    allergensField
  ], () => {
    for (const { locale, n, d } of nameFields) {
      if (n.value.trim()) names[locale] = { name: n.value, description: d.value.trim() ? d.value : null };
      else delete names[locale];
    }
    const body = {
      slug: slug.value, brand_id: brand.value, product_type: type.value, serving_size: size.value, serving_unit: unit.value,
      is_available: available.checked, names,
      substances: substances.value.split("\n").map((l) => l.trim()).filter(Boolean).map((l) => {
        const [code, amount] = l.split(/\s+/);
        return { code, amount_per_serving: amount ?? "" };
      }),
      allergens: allergens.value.split(",").map((a) => a.trim()).filter(Boolean),
    };
    for (const [key, , input] of nutrition) body[key] = input.value === "" ? null : input.value;
    act(() => (id ? api.request("PUT", `/admin/products/${id}`, body) : api.post("/admin/products", body)), t("catalogue.product_saved", { name: names.en?.name ?? slug.value }));
  }, slug);
}

// A package's size, servings and GTIN in a dialog (the API replaces the package whole).
function editPackage({ api, t, act }, pk) {
  const [sizeField, size] = field("package-size", t("catalogue.size"), { type: "number", min: "0.01", step: "0.01", required: true, value: Number(pk.size) });
  const unit = h("select", { id: "package-unit" }, ["g", "ml", "unit"].map((u) => h("option", { value: u, selected: pk.size_unit === u }, u)));
  const [servingsField, servings] = field("package-servings", t("catalogue.servings"), { type: "number", min: "0.01", step: "0.01", required: true, value: Number(pk.servings) });
  const [gtinField, gtin] = field("package-gtin", "GTIN", { inputmode: "numeric", pattern: "[0-9]{8}|[0-9]{12,14}", value: pk.gtin ?? "" });
  modal(t, t("catalogue.edit_package", { size: `${pk.size} ${pk.size_unit}` }), [
    sizeField, h("div", { class: "field" }, h("label", { for: "package-unit" }, t("catalogue.unit")), unit), servingsField, gtinField
  ], () => {
    const body = { size: size.value, size_unit: unit.value, servings: servings.value, gtin: gtin.value === "" ? null : gtin.value };
    act(() => api.request("PUT", `/admin/packages/${pk.id}`, body), t("catalogue.package_saved"));
  }, size);
}

async function pricesOf(ctx, productId, brands) {
  const { api, t, act, i18n } = ctx;
  const [product, history] = await Promise.all([
    api.get(`/products/${productId}`),
    api.get(`/products/${productId}/price-history`),
  ]);
  const rows = product.packages.flatMap((pk) => pk.offers.map((offer) => {
    const label = `${i18n.number(Number(pk.size), 2)} ${pk.size_unit} · ${offer.store.name}`;
    const input = h("input", { type: "number", min: "0.01", step: "0.01", value: Number(offer.price), class: "price",
      "aria-label": t("catalogue.price_of", { what: label }) });
    const original = offer.discount_price === undefined || offer.discount_price === null ? "" : String(Number(offer.discount_price));
    const discount = h("input", { type: "number", min: "0.01", step: "0.01", value: original, class: "price",
      "aria-label": t("catalogue.discount_of", { what: label }) });
    const stock = h("input", { type: "checkbox", checked: offer.in_stock, "aria-label": t("catalogue.in_stock_of", { what: label }) });
    const save = () => {
      // A full replacement of the store's price: what the admin did not touch is sent as it was.
      const body = { price: input.value, in_stock: stock.checked };
      if (discount.value !== "") {
        body.discount_price = discount.value;
        if (discount.value === original && offer.discount_ends_at) body.discount_ends_at = offer.discount_ends_at;
      }
      return api.request("PUT", `/admin/stores/${offer.store.id}/prices/${pk.id}`, body);
    };
    return h("tr", {},
      h("td", {}, `${i18n.number(Number(pk.size), 2)} ${pk.size_unit}`), h("td", {}, offer.store.name),
      h("td", {}, input), h("td", {}, discount), h("td", {}, stock),
      h("td", {}, h("button", { type: "button", onclick: () => act(save,
        t("catalogue.price_saved", { what: label, price: money(i18n, input.value) })) }, t("catalogue.save"))));
  }));
  const packageRows = product.packages.map((pk) => h("tr", {},
    h("td", {}, `${i18n.number(Number(pk.size), 2)} ${pk.size_unit}`), h("td", { class: "num" }, i18n.number(Number(pk.servings), 2)),
    h("td", { class: "mono" }, pk.gtin ?? "—"),
    h("td", {}, h("button", { type: "button", class: "secondary", onclick: () => editPackage(ctx, pk) },
      t("catalogue.edit_package", { size: `${i18n.number(Number(pk.size), 2)} ${pk.size_unit}` })))));
  return h("section", { "aria-label": product.name },
    h("h3", {}, `${product.brand.name} ${product.name}`),
    h("div", { class: "toolbar" }, h("button", { type: "button", class: "secondary", onclick: async () =>
      editProduct(ctx, productId, await api.get(`/admin/products/${productId}`), brands) }, t("catalogue.edit_product"))),
    table(t("catalogue.packages_caption"), [t("catalogue.package"), t("catalogue.servings"), "GTIN", ""], packageRows),
    rows.length ? table(t("catalogue.current_prices"), [t("catalogue.package"), t("catalogue.store"), t("catalogue.price"),
      t("catalogue.discount"), t("catalogue.in_stock"), ""], rows) : h("p", {}, t("catalogue.no_prices")),
    historyChart(history, product, i18n));
}

function historyChart(points, product, i18n) {
  const box = h("figure", { class: "chart", "aria-label": i18n.t("catalogue.history") }, h("figcaption", {}, `${i18n.t("catalogue.history")} (RSD)`));
  if (!points.length) return box;
  const sizes = new Map(product.packages.map((pk) => [pk.id, `${i18n.number(Number(pk.size), 2)} ${pk.size_unit}`]));
  const keys = [...new Set(points.map((p) => `${p.store}|${p.package_id}`))];
  const times = [...new Set(points.map((p) => Date.parse(p.observed_at) / 1000))].sort((a, b) => a - b);
  const series = keys.map(() => times.map(() => null));
  for (const p of points) {
    series[keys.indexOf(`${p.store}|${p.package_id}`)][times.indexOf(Date.parse(p.observed_at) / 1000)] = Number(p.discount_price ?? p.price);
  }
  const colours = ["#1b6ac9", "#c2410c", "#15803d", "#7e22ce", "#0e7490", "#a16207"];
  const width = Math.min(720, (document.getElementById("main")?.clientWidth ?? 600) - 56);
  new uPlot({
    width: Math.max(280, width), height: 220,
    series: [{ label: i18n.t("chart.time") }, ...keys.map((key, i) => {
      const [store, pk] = key.split("|");
      return { label: `${store} ${sizes.get(pk) ?? ""}`, stroke: colours[i % colours.length], width: 2, spanGaps: true, paths: uPlot.paths.stepped({ align: 1 }) };
    })],
    axes: [{}, { size: 64 }],
  }, [times, ...series], box);
  return box;
}
