// Pieces the screens share: figures, sections, form fields and the locale's dates and money.
import { h } from "common/dom.js";

// Today in the athlete's time zone, as the API writes dates (YYYY-MM-DD).
export function isoDate(date = new Date()) {
  const local = new Date(date.getTime() - date.getTimezoneOffset() * 60000);
  return local.toISOString().slice(0, 10);
}

export function addDays(iso, days) {
  const date = new Date(`${iso}T12:00:00`);
  date.setDate(date.getDate() + days);
  return isoDate(date);
}

// A date the API sent (YYYY-MM-DD) the way the locale writes it.
export function day(i18n, iso, style = { weekday: "long", day: "numeric", month: "long" }) {
  return new Intl.DateTimeFormat(i18n.locale, style).format(new Date(`${iso}T12:00:00`));
}

// A decimal amount of money (the API sends decimals as strings) in `currency`.
export function money(i18n, amount, currency = "RSD") {
  if (amount === null || amount === undefined) return "—";
  return new Intl.NumberFormat(i18n.locale, { style: "currency", currency, maximumFractionDigits: 0 }).format(Number(amount));
}

// A number with its unit (`kilogram`, `gram`, `kilocalorie` is not an Intl unit, so text follows).
export function amount(i18n, value, unit, digits = 0) {
  if (value === null || value === undefined) return i18n.t("common.unknown");
  const text = i18n.number(Number(value), digits);
  return unit ? `${text} ${unit}` : text;
}

export function figure(label, value) {
  return h("div", { class: "figure" }, h("div", { class: "label" }, label), h("div", { class: "value num" }, value));
}

export function panel(title, ...children) {
  const id = `panel-${Math.random().toString(36).slice(2, 9)}`;
  return h("section", { class: "panel", "aria-labelledby": id }, h("h2", { id }, title), children);
}

let fields = 0;
// A labelled input (or select): `control` is built with the id it is given.
export function field(label, control, hint = null) {
  fields += 1;
  const id = `f${fields}`;
  const input = control(id);
  const hintId = hint ? `${id}-hint` : null;
  if (hintId) input.setAttribute("aria-describedby", hintId);
  return [h("label", { for: id }, label), input, hint ? h("p", { class: "hint", id: hintId }, hint) : null];
}

// A select of an API enum, each value named by `t(prefix + value)`.
export function enumSelect(id, t, prefix, values, selected, attrs = {}) {
  return h("select", { id, ...attrs }, values.map((v) => h("option", { value: v, selected: v === selected }, t(`${prefix}${v}`))));
}

// A form that runs `submit` with its button disabled meanwhile, and says the outcome on its
// status line (what `submit` returns, or the error).
export function form(label, children, submitLabel, submit) {
  const status = h("p", { class: "status", role: "status" });
  const button = h("button", { type: "submit" }, submitLabel);
  const element = h("form", {
    "aria-label": label,
    onsubmit: async (event) => {
      event.preventDefault();
      button.disabled = true;
      status.className = "status";
      status.textContent = "";
      try {
        status.textContent = (await submit(element)) ?? "";
      } catch (e) {
        status.className = "status error";
        status.textContent = fieldMessage(e);
      } finally {
        button.disabled = false;
      }
    },
  }, children, button, status);
  return element;
}

// A button that runs `run` once per click, disabled meanwhile; a failure is said on the status line,
// never swallowed.
export function actionButton(ctx, label, attrs, run) {
  const button = h("button", { type: "button", ...attrs }, label);
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      await run(button);
    } catch (e) {
      ctx.status(e instanceof TypeError ? ctx.t("offline.needed") : fieldMessage(e));
    } finally {
      button.disabled = attrs.disabled ?? false;
    }
  });
  return button;
}

// A problem's message, with the fields it names.
export function fieldMessage(error) {
  const fields = error?.problem?.errors;
  if (Array.isArray(fields) && fields.length) return fields.map((f) => `${f.field}: ${f.message}`).join("; ");
  return error?.message ?? String(error);
}

// The value of a number input, or undefined when empty (the API takes absence as "unknown").
export function numberOf(input) {
  return input.value === "" ? undefined : Number(input.value);
}

export function sources(t, list) {
  if (!list?.length) return null;
  return h("details", {}, h("summary", {}, t("common.sources")), h("ul", {}, list.map((s) => h("li", {}, s))));
}
