// Settings: the node's effective configuration, secrets redacted, and when a change takes effect.
import { h, table } from "common/dom.js";

export async function render({ api, i18n }) {
  const t = (k, v) => i18n.t(k, v);
  const { settings } = await api.get("/admin/settings");
  const filter = h("input", { id: "settings-filter", type: "search", autocomplete: "off" });
  const rows = settings.map((s) => h("tr", { "data-key": s.key },
    h("td", { class: "mono" }, s.key),
    h("td", { class: "mono" }, s.secret ? t("settings.redacted") : s.value),
    h("td", {}, t(`settings.applies.${s.applies}`))));
  filter.addEventListener("input", () => {
    const text = filter.value.trim().toLowerCase();
    for (const row of rows) row.hidden = text !== "" && !row.dataset.key.includes(text);
  });
  return [
    h("h1", {}, t("nav.settings")),
    h("p", { class: "hint" }, t("settings.explain")),
    h("div", { class: "toolbar filters" }, h("div", {}, h("label", { for: "settings-filter" }, t("settings.filter")), filter)),
    table(t("settings.caption"), [t("settings.key"), t("settings.value"), t("settings.applies")], rows),
  ];
}
