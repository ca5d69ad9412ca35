// Supplements: what the profile allows, by tier — recommended, ask your doctor first, not for you —
// each with its reasons, evidence, dose and sources; the cheapest way to buy a choice of them
// across the stores; and the lists saved before.
import { h } from "common/dom.js";
import { actionButton, fieldMessage, money, panel, sources } from "app/ui.js";

export async function render(ctx, arg) {
  const { api, t } = ctx;
  if (arg) return savedList(ctx, arg);
  const [recommendations, lists] = await Promise.all([api.get("/recommendations"), api.get("/shopping-lists")]);
  const chosen = new Set();
  const result = h("div", { "aria-live": "polite" });
  return [
    h("h1", {}, t("nav.supplements")),
    h("p", { class: "hint" }, t("supplements.intro")),
    panel(t("supplements.recommended"), recommendations.items.length === 0 ? h("p", {}, t("supplements.none")) :
      h("ul", { class: "plain" }, recommendations.items.map((item) => recommendation(ctx, item, chosen)))),
    recommendations.ask_doctor.length ? panel(t("supplements.ask_doctor"),
      h("p", { class: "hint" }, t("supplements.ask_doctor_why")),
      h("ul", { class: "plain" }, recommendations.ask_doctor.map((item) => recommendation(ctx, item, null, "warn")))) : null,
    recommendations.excluded.length ? panel(t("supplements.not_for_you"),
      h("ul", { class: "plain" }, recommendations.excluded.map((item) => h("li", {},
        h("h3", {}, item.product.name, h("span", { class: "muted" }, ` · ${item.product.brand}`)),
        h("p", {}, h("span", { class: "tag bad" }, t("supplements.excluded"))),
        item.explanation.map((line) => h("p", { class: "muted" }, line)),
        warnings(t, item.warnings))))) : null,
    sources(t, recommendations.sources),
    panel(t("shopping.title"), shoppingForm(ctx, chosen, result), result),
    panel(t("shopping.saved"), lists.length === 0 ? h("p", { class: "hint" }, t("shopping.none_saved")) :
      h("ul", { class: "plain" }, lists.map((list) => h("li", { class: "row" },
        h("a", { href: `#/supplements/${list.id}` }, list.name ?? t("shopping.unnamed")),
        h("span", { class: "num" }, money(ctx.i18n, list.total, list.currency)))))),
  ];
}

function recommendation({ t, i18n }, item, chosen, tone = "good") {
  const dose = item.dose;
  const id = `pick-${item.product.id}`;
  return h("li", {},
    h("h3", {}, item.product.name, h("span", { class: "muted" }, ` · ${item.product.brand}`)),
    item.evidence ? h("p", {}, h("span", { class: `tag ${tone}` }, t("supplements.evidence", { grade: item.evidence }))) : null,
    h("p", {}, t("supplements.dose", {
      servings: i18n.number(Number(dose.servings_per_day), 2), size: i18n.number(Number(dose.serving_size), 2),
      unit: dose.serving_unit === "unit" ? t("supplements.unit") : dose.serving_unit, timing: dose.timing_text,
    })),
    dose.amounts.length ? h("p", { class: "muted" }, dose.amounts.map((a) => `${a.name} ${i18n.number(Number(a.amount), 1)} ${a.unit}`).join(" · ")) : null,
    dose.capped_by ? h("p", {}, t(`supplements.capped_${dose.capped_by}`)) : null,
    h("details", {}, h("summary", {}, t("supplements.why")),
      h("ul", {}, item.reasons.map((r) => h("li", {}, r.text)))),
    warnings(t, item.warnings),
    chosen ? h("label", { for: id }, h("input", { id, type: "checkbox", onchange: (e) => {
      if (e.target.checked) chosen.add(item.product.id); else chosen.delete(item.product.id);
    } }), t("shopping.include")) : null);
}

function warnings(t, list) {
  if (!list?.length) return null;
  return h("ul", {}, list.map((w) => h("li", { class: w.severity === "avoid" ? "error" : "" },
    w.explanation, w.source ? h("span", { class: "muted" }, ` (${t("common.source")}: ${w.source})`) : null)));
}

function shoppingForm(ctx, chosen, result) {
  const { api, t } = ctx;
  const days = h("input", { id: "shop-days", type: "number", min: 1, max: 365, value: 30, inputmode: "numeric" });
  const name = h("input", { id: "shop-name", type: "text", maxlength: 100, placeholder: t("shopping.name_hint") });
  const status = h("p", { class: "status", role: "status" });
  const button = h("button", { type: "submit" }, t("shopping.plan"));
  return h("form", {
    "aria-label": t("shopping.title"),
    onsubmit: async (event) => {
      event.preventDefault();
      status.textContent = "";
      if (chosen.size === 0) { status.textContent = t("shopping.choose"); return; }
      button.disabled = true;
      try {
        const plan = await api.post("/shopping-plan", {
          items: [...chosen].map((product_id) => ({ product_id })), days: Number(days.value),
          save: name.value.trim() !== "", name: name.value.trim() || undefined,
        });
        result.replaceChildren(planView(ctx, plan));
        if (plan.id) status.textContent = t("shopping.saved_as", { name: plan.name });
      } catch (e) {
        status.className = "status error";
        status.textContent = fieldMessage(e);
      } finally {
        button.disabled = false;
      }
    },
  },
  h("label", { for: "shop-days" }, t("shopping.days")), days,
  h("label", { for: "shop-name" }, t("shopping.name")), name,
  button, status);
}

// A plan: each store's packages, subtotal and delivery fee, and the totals.
export function planView({ t, i18n }, plan) {
  const m = (v) => money(i18n, v, plan.currency);
  return h("div", {},
    plan.stores.map((store) => h("div", { class: "panel" },
      h("h3", {}, store.name),
      h("ul", { class: "plain" }, store.lines.map((line) => h("li", { class: "row" },
        h("span", {}, t("shopping.line", { count: line.count, product: line.product_name, size: i18n.number(Number(line.size)), unit: line.size_unit })),
        h("span", { class: "num" }, m(line.line_total))))),
      h("p", { class: "row" }, h("span", {}, t("shopping.subtotal")), h("span", { class: "num" }, m(store.subtotal))),
      h("p", { class: "row" }, h("span", {}, t("shopping.delivery")), h("span", { class: "num" }, m(store.delivery_fee))))),
    h("p", { class: "row" }, h("span", {}, t("shopping.packages")), h("span", { class: "num" }, m(plan.packages_total))),
    h("p", { class: "row" }, h("span", {}, t("shopping.delivery_total")), h("span", { class: "num" }, m(plan.delivery_total))),
    h("p", { class: "row" }, h("strong", {}, t("shopping.total")), h("strong", { class: "num" }, m(plan.total))),
    plan.best_single_store ? h("p", { class: "hint" }, t("shopping.single_store", {
      store: plan.best_single_store.store_name, total: m(plan.best_single_store.total),
    })) : null,
    plan.items.flatMap((item) => item.warnings).length ? warnings(t, plan.items.flatMap((item) => item.warnings)) : null);
}

async function savedList(ctx, id) {
  const { api, t, go, offline } = ctx;
  const plan = await api.get(`/shopping-lists/${encodeURIComponent(id)}`);
  const remove = actionButton(ctx, t("shopping.delete"), { class: "danger", disabled: offline }, async () => {
    if (!confirm(t("shopping.delete_confirm"))) return;
    await api.request("DELETE", `/shopping-lists/${encodeURIComponent(id)}`);
    go("#/supplements");
  });
  return [
    h("p", {}, h("a", { href: "#/supplements" }, `← ${t("nav.supplements")}`)),
    h("h1", {}, plan.name ?? t("shopping.unnamed")),
    h("p", { class: "muted" }, t("shopping.for_days", { days: plan.days })),
    planView(ctx, plan), remove,
  ];
}
