// Interface strings per locale (JSON beside this module, resolved through the import map).
export const LOCALES = {
  "sr-Latn": "Srpski (latinica)",
  "sr-Cyrl": "Српски (ћирилица)",
  en: "English",
  hu: "Magyar",
  ro: "Română",
  ru: "Русский",
  uk: "Українська",
};

export class I18n {
  constructor(locale, messages, fallback) {
    this.locale = locale;
    this.messages = messages;
    this.fallback = fallback;
  }

  static async load(locale) {
    const chosen = locale in LOCALES ? locale : "en";
    const fetchJson = async (l) => (await fetch(import.meta.resolve(`app/i18n/${l}.json`))).json();
    const fallback = await fetchJson("en");
    const messages = chosen === "en" ? fallback : await fetchJson(chosen);
    return new I18n(chosen, messages, fallback);
  }

  t(key, vars = {}) {
    const text = this.messages[key] ?? this.fallback[key] ?? key;
    return text.replace(/\{(\w+)\}/g, (_, name) => (name in vars ? String(vars[name]) : `{${name}}`));
  }

  date(value) {
    if (!value) return "—";
    return new Intl.DateTimeFormat(this.locale, { dateStyle: "medium", timeStyle: "short" }).format(new Date(value));
  }

  number(value, digits = 0) {
    if (value === null || value === undefined || Number.isNaN(value)) return "—";
    return new Intl.NumberFormat(this.locale, { maximumFractionDigits: digits }).format(value);
  }

  bytes(value) {
    if (value === null || value === undefined) return "—";
    const units = ["B", "KiB", "MiB", "GiB"];
    let v = value, u = 0;
    while (v >= 1024 && u < units.length - 1) { v /= 1024; u += 1; }
    return `${this.number(v, u ? 1 : 0)} ${units[u]}`;
  }

  // Days, hours and minutes in the locale's own short units ("2 ч 5 мин", "2 óra 5 perc").
  duration(seconds) {
    const d = Math.floor(seconds / 86400), h = Math.floor((seconds % 86400) / 3600), m = Math.floor((seconds % 3600) / 60);
    const unit = (value, name) => new Intl.NumberFormat(this.locale, { style: "unit", unit: name, unitDisplay: "short" }).format(value);
    if (d) return h ? `${unit(d, "day")} ${unit(h, "hour")}` : unit(d, "day");
    if (h) return m ? `${unit(h, "hour")} ${unit(m, "minute")}` : unit(h, "hour");
    return unit(m, "minute");
  }

  // A time on a chart's axis: the hour and minute, with the day when the chart spans days.
  axisTime(seconds, withDay) {
    const options = withDay ? { weekday: "short", hour: "2-digit", minute: "2-digit" } : { hour: "2-digit", minute: "2-digit" };
    return new Intl.DateTimeFormat(this.locale, options).format(new Date(seconds * 1000));
  }
}

// The locale saved under `storageKey`, else the browser's when the product speaks it.
export function preferredLocale(storageKey) {
  const saved = localStorage.getItem(storageKey);
  if (saved && saved in LOCALES) return saved;
  const browser = navigator.language || "en";
  if (browser.startsWith("sr")) return browser.includes("Cyrl") ? "sr-Cyrl" : "sr-Latn";
  const primary = browser.split("-")[0];
  return primary in LOCALES ? primary : "en";
}
