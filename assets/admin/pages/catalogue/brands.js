// Brands: the list, and a form to add one.
import { h, table } from "common/dom.js";
import { details, field } from "app/pages/catalogue/common.js";

export function brandsSection(ctx, brands) {
  const { t } = ctx;
  return details(t("catalogue.brands", { count: brands.length }), brandForm(ctx), table(t("catalogue.brands_caption"),
    [t("catalogue.name"), t("catalogue.origin"), t("catalogue.products")],
    brands.map((b) => h("tr", {}, h("td", {}, b.name, b.is_local ? h("span", { class: "tag" }, t("catalogue.local")) : null),
      h("td", {}, b.origin_country ?? "—"), h("td", { class: "num" }, b.products)))));
}

function brandForm({ api, t, act }) {
  const [slugLabel, slug] = field("brand-slug", t("catalogue.slug"), { required: true, pattern: "[a-z0-9]+(-[a-z0-9]+)*", maxlength: 80 });
  const [nameLabel, name] = field("brand-name", t("catalogue.name"), { required: true, maxlength: 120 });
  const [originLabel, origin] = field("brand-origin", t("catalogue.origin_code"), { maxlength: 2, pattern: "[A-Z]{2}" });
  const local = h("input", { id: "brand-local", type: "checkbox" });
  return h("form", { class: "inline-form", "aria-label": t("catalogue.add_brand"), onsubmit: (event) => {
    event.preventDefault();
    act(() => api.post("/admin/brands", { slug: slug.value, name: name.value, origin_country: origin.value || null, is_local: local.checked }),
      t("catalogue.brand_added", { name: name.value }));
  } }, h("h3", {}, t("catalogue.add_brand")), slugLabel, nameLabel, originLabel,
  h("div", { class: "field" }, h("label", { for: "brand-local" }, local, ` ${t("catalogue.local_brand")}`)),
  h("button", { type: "submit" }, t("catalogue.add")));
}
