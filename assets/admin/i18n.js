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

  duration(seconds) {
    const d = Math.floor(seconds / 86400), h = Math.floor((seconds % 86400) / 3600), m = Math.floor((seconds % 3600) / 60);
    if (d) return h ? `${d} d ${h} h` : `${d} d`;
    if (h) return m ? `${h} h ${m} min` : `${h} h`;
    return `${m} min`;
  }
}

export function preferredLocale() {
  const saved = localStorage.getItem("sn-admin-locale");
  if (saved && saved in LOCALES) return saved;
  const browser = navigator.language || "en";
  if (browser.startsWith("sr")) return browser.includes("Cyrl") ? "sr-Cyrl" : "sr-Latn";
  const primary = browser.split("-")[0];
  return primary in LOCALES ? primary : "en";
}
