// Price feeds: the review queue (approve a line with a package, or reject it) and the latest runs.
import { h, table } from "common/dom.js";
import { money } from "app/pages/catalogue/common.js";

export function reviewSection(ctx, queue) {
  const { api, t, act, i18n, status } = ctx;
  const pending = queue.filter((item) => item.status === "pending");
  const reviewRows = pending.map((item) => {
    const label = `${item.brand ?? ""} ${item.name} ${item.size ?? ""}`.trim();
    const packages = h("select", { "aria-label": t("catalogue.package_for", { name: label }) },
      h("option", { value: "" }, t("catalogue.choose_package")),
      item.candidate_package_id ? h("option", { value: item.candidate_package_id, selected: true }, t("catalogue.suggested")) : null);
    const find = h("input", { type: "search", "aria-label": t("catalogue.find_package_for", { name: label }), value: item.name });
    const approve = h("button", { type: "button", disabled: !item.candidate_package_id,
      onclick: () => act(() => api.post(`/admin/price-review/${item.id}/approve`, { package_id: packages.value }),
        t("catalogue.approved", { name: label })) }, t("catalogue.approve"));
    packages.addEventListener("change", () => { approve.disabled = !packages.value; });
    const search = h("button", { type: "button", class: "secondary", onclick: async () => {
      try {
        const found = await packagesMatching(api, find.value, i18n);
        packages.replaceChildren(h("option", { value: "" }, t("catalogue.choose_package")),
          ...found.map((p) => h("option", { value: p.id }, p.label)));
        if (found.length === 1) { packages.value = found[0].id; }
        approve.disabled = !packages.value;
        status.textContent = found.length ? "" : t("catalogue.no_products");
      } catch (e) {
        status.textContent = e.message;
      }
    } }, t("catalogue.search"));
    return h("tr", {},
      h("td", {}, item.store), h("td", { class: "num" }, item.line), h("td", {}, t(`catalogue.reason.${item.reason}`)),
      h("td", {}, label, item.sku ? h("div", { class: "hint mono" }, item.sku) : null),
      h("td", { class: "num" }, money(i18n, item.price)),
      h("td", { class: "actions" }, h("div", { class: "toolbar" }, find, search), packages,
        h("div", { class: "toolbar" }, approve,
          h("button", { type: "button", class: "danger", onclick: () =>
            act(() => api.post(`/admin/price-review/${item.id}/reject`, {}), t("catalogue.rejected", { name: label })) },
          t("catalogue.reject")))));
  });
  return reviewRows.length ? table(t("catalogue.review"), [t("catalogue.store"), t("catalogue.line"), t("catalogue.reason"),
    t("catalogue.item"), t("catalogue.price"), t("catalogue.decision")], reviewRows) : h("p", {}, t("catalogue.review_empty"));
}

export function runsSection({ t, i18n }, runs) {
  const runRows = runs.map((r) => h("tr", {},
    h("td", {}, i18n.date(r.started_at)), h("td", {}, r.trigger), h("td", { class: `state ${r.status === "failed" ? "failed" : "ok"}` }, r.status),
    h("td", { class: "num" }, r.rows_read), h("td", { class: "num" }, r.rows_applied), h("td", { class: "num" }, r.rows_queued),
    h("td", { class: "num" }, r.rows_rejected)));
  return runRows.length ? table(t("catalogue.runs"), [t("catalogue.started"), t("catalogue.trigger"), t("catalogue.status"),
    t("catalogue.read"), t("catalogue.applied"), t("catalogue.queued"), t("catalogue.rejected_rows")], runRows) : h("p", {}, t("catalogue.no_runs"));
}

// Packages of the products matching `text`, labelled for a select.
async function packagesMatching(api, text, i18n) {
  const page = await api.get(`/products?q=${encodeURIComponent(text)}&per_page=5`);
  const products = await Promise.all(page.items.map((p) => api.get(`/products/${p.id}`)));
  return products.flatMap((p) => p.packages.map((pk) => ({
    id: pk.id,
    label: `${p.brand.name} ${p.name} — ${i18n.number(Number(pk.size), 2)} ${pk.size_unit}${pk.gtin ? ` (${pk.gtin})` : ""}`,
  })));
}
