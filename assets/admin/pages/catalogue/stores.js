// Stores: the list with delivery terms, and a dialog to edit one.
import { h, modal, table } from "common/dom.js";
import { details, field, money } from "app/pages/catalogue/common.js";

export function storesSection(ctx, stores) {
  const { t, i18n } = ctx;
  return details(t("catalogue.stores", { count: stores.length }), table(t("catalogue.stores_caption"),
    [t("catalogue.name"), t("catalogue.city"), t("catalogue.delivery"), t("catalogue.min_order"), t("catalogue.feed"), ""],
    stores.map((st) => h("tr", {}, h("td", {}, st.name, st.is_active ? null : h("span", { class: "tag" }, t("catalogue.inactive"))),
      h("td", {}, st.city ?? "—"),
      h("td", {}, `${money(i18n, st.delivery_fee)}${st.free_delivery_from ? ` · ${t("catalogue.free_from", { amount: money(i18n, st.free_delivery_from) })}` : ""}`),
      h("td", { class: "num" }, money(i18n, st.min_order)), h("td", {}, st.feed_configured ? t("catalogue.feed_set") : "—"),
      h("td", {}, h("button", { type: "button", class: "secondary", onclick: () => editStore(ctx, st) },
        t("catalogue.edit_store", { name: st.name })))))));
}

// The store's delivery terms and feed in a dialog; the API replaces the whole store, so every
// field not shown is sent back as it was.
function editStore({ api, t, act }, store) {
  const amount = (v) => (v === null || v === undefined ? "" : String(Number(v)));
  const [feeLabel, fee] = field("store-fee", t("catalogue.delivery_fee"), { type: "number", min: 0, step: "0.01", required: true, value: amount(store.delivery_fee) });
  const [freeLabel, free] = field("store-free", t("catalogue.free_delivery_from"), { type: "number", min: 0, step: "0.01", value: amount(store.free_delivery_from) });
  const [minLabel, min] = field("store-min", t("catalogue.min_order"), { type: "number", min: 0, step: "0.01", required: true, value: amount(store.min_order) });
  const [feedLabel, feed] = field("store-feed", t("catalogue.feed_url"), { type: "url", value: store.feed_url ?? "" });
  const active = h("input", { id: "store-active", type: "checkbox", checked: store.is_active });
  modal(t, t("catalogue.edit_store", { name: store.name }), [
    feeLabel, freeLabel, minLabel, feedLabel,
    h("label", { for: "store-active" }, active, ` ${t("catalogue.active")}`)
  ], () => {
    const body = {
      slug: store.slug, name: store.name, website: store.website ?? null, city: store.city ?? null,
      delivery_fee: fee.value, free_delivery_from: free.value === "" ? null : free.value, min_order: min.value,
      delivery_days_min: store.delivery_days_min ?? null, delivery_days_max: store.delivery_days_max ?? null,
      feed_url: feed.value === "" ? null : feed.value, is_active: active.checked,
      description_en: store.description_en ?? null, description_sr_latn: store.description_sr_latn ?? null,
    };
    act(() => api.request("PUT", `/admin/stores/${store.id}`, body), t("catalogue.store_saved", { name: store.name }));
  }, fee);
}
