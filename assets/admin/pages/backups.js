// Backups: the list with size, checksum and verification; take one now; verify; download; restore
// after typing the backup's file name.
import { h, table } from "common/dom.js";

// A message that outlives the re-render after an action.
let flash = "";

export async function render({ api, i18n, refresh }) {
  const t = (k, v) => i18n.t(k, v);
  const list = await api.get("/admin/backups");
  const status = h("p", { class: "status", role: "status", "aria-live": "polite" }, flash);
  flash = "";
  const run = h("button", { type: "button", onclick: async () => {
    run.disabled = true;
    status.replaceChildren(h("progress", { "aria-label": t("backup.running") }), " ", t("backup.running"));
    try {
      const taken = await api.post("/admin/backups");
      flash = t("backup.done", { name: taken.file_name, status: t(`backup.status.${taken.status}`) });
      await refresh();
    } catch (e) {
      status.textContent = e.message;
    } finally {
      run.disabled = false;
    }
  } }, t("backup.run_now"));

  const rows = list.backups.map((b) => h("tr", {},
    h("td", {}, i18n.date(b.started_at)),
    h("td", {}, b.node),
    h("td", {}, t(`backup.trigger.${b.trigger}`)),
    h("td", { class: `state ${b.status}` }, t(`backup.status.${b.status}`), b.error ? h("div", { class: "hint" }, b.error) : null),
    h("td", { class: "num" }, i18n.bytes(b.size_bytes)),
    h("td", { class: "mono", title: b.sha256 ?? "" }, b.sha256 ? `${b.sha256.slice(0, 12)}…` : "—"),
    h("td", {}, b.verify_ok === true ? t("backup.verified") : b.verify_ok === false ? t("backup.verify_failed") : "—"),
    h("td", { class: "actions" }, b.status === "ok" ? [
      h("button", { type: "button", class: "secondary", onclick: async () => {
        status.textContent = t("backup.verifying");
        try { await api.post(`/admin/backups/${b.id}/verify`); await refresh(); } catch (e) { status.textContent = e.message; }
      } }, t("backup.verify")),
      h("button", { type: "button", class: "secondary", onclick: () => download(api, b, status) }, t("backup.download")),
      h("button", { type: "button", class: "danger", onclick: () => restore(api, b, t, status, refresh) }, t("backup.restore")),
    ] : null)));

  const policy = h("p", { class: "hint" }, t("backup.policy", {
    schedule: list.schedule, days: list.keep_days, last: list.keep_last, weeks: list.keep_weekly_weeks,
  }), list.enabled ? "" : ` ${t("backup.disabled")}`);
  return [
    h("h1", {}, t("nav.backups")),
    policy,
    h("div", { class: "toolbar" }, run),
    status,
    rows.length ? table(t("backup.caption"), [t("backup.started"), t("backup.node"), t("backup.trigger"), t("backup.status"),
      t("backup.size"), t("backup.sha256"), t("backup.verification"), t("backup.actions")], rows) : h("p", {}, t("backup.none")),
  ];
}

async function download(api, backup, status) {
  try {
    const response = await api.request("GET", `/admin/backups/${backup.id}/download`, undefined, { raw: true });
    const url = URL.createObjectURL(await response.blob());
    const a = document.createElement("a");
    a.href = url;
    a.download = backup.file_name;
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  } catch (e) {
    status.textContent = e.message;
  }
}

function restore(api, backup, t, status, refresh) {
  const input = h("input", { id: "confirm-name", autocomplete: "off", spellcheck: "false" });
  const dialog = h("dialog", { "aria-labelledby": "restore-title" },
    h("form", { method: "dialog", onsubmit: async (event) => {
      event.preventDefault();
      dialog.close();
      status.textContent = t("backup.restoring");
      try {
        await api.destructive("POST", `/admin/backups/${backup.id}/restore`, { confirm: input.value });
        flash = t("backup.restored");
        await refresh();
      } catch (e) {
        status.textContent = e.message;
      } finally {
        dialog.remove();
      }
    } },
    h("h2", { id: "restore-title" }, t("backup.restore_title")),
    h("p", {}, t("backup.restore_warning")),
    h("label", { for: "confirm-name" }, t("backup.restore_type", { name: backup.file_name })),
    input,
    h("div", { class: "toolbar" },
      h("button", { type: "submit", class: "danger" }, t("backup.restore")),
      h("button", { type: "button", class: "secondary", onclick: () => { dialog.close(); dialog.remove(); } }, t("common.cancel")))));
  document.body.append(dialog);
  dialog.showModal();
  input.focus();
}
