// A small line chart in SVG, built node by node (no markup parsed), with the figures also in a
// table for screen readers and keyboards.
import { h } from "common/dom.js";

const SVG = "http://www.w3.org/2000/svg";
const W = 320, H = 160, PAD = { left: 40, right: 8, top: 8, bottom: 22 };

function svg(tag, attrs = {}, text = null) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== null) el.textContent = text;
  return el;
}

// `series`: [{ label, points: [{ x: "YYYY-MM-DD", y }], dashed }], on one date axis.
export function lineChart(i18n, title, unit, series, digits = 1) {
  const all = series.flatMap((s) => s.points).filter((p) => p.y !== null && p.y !== undefined);
  const box = h("figure", { class: "chart" }, h("figcaption", {}, `${title} (${unit})`));
  if (all.length === 0) return box;
  const xs = all.map((p) => Date.parse(p.x)), ys = all.map((p) => p.y);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs) || 1];
  let [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  if (y0 === y1) { y0 -= 1; y1 += 1; }
  const px = (x) => PAD.left + ((x - x0) / (x1 - x0 || 1)) * (W - PAD.left - PAD.right);
  const py = (y) => H - PAD.bottom - ((y - y0) / (y1 - y0)) * (H - PAD.top - PAD.bottom);
  const chart = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": title });
  chart.append(svg("line", { class: "axis", x1: PAD.left, y1: H - PAD.bottom, x2: W - PAD.right, y2: H - PAD.bottom }));
  for (const y of [y0, (y0 + y1) / 2, y1]) {
    chart.append(svg("text", { x: PAD.left - 4, y: py(y) + 3, "text-anchor": "end" }, i18n.number(y, digits)));
  }
  const short = (x) => new Intl.DateTimeFormat(i18n.locale, { day: "numeric", month: "short" }).format(new Date(x));
  chart.append(svg("text", { x: PAD.left, y: H - 6 }, short(x0)));
  chart.append(svg("text", { x: W - PAD.right, y: H - 6, "text-anchor": "end" }, short(x1)));
  for (const s of series) {
    const points = s.points.filter((p) => p.y !== null && p.y !== undefined);
    if (points.length === 0) continue;
    const d = points.map((p, i) => `${i ? "L" : "M"}${px(Date.parse(p.x)).toFixed(1)},${py(p.y).toFixed(1)}`).join(" ");
    chart.append(svg("path", { class: "line", d, "stroke-dasharray": s.dashed ? "4 3" : "none" }));
    if (!s.dashed) for (const p of points) chart.append(svg("circle", { class: "dot", cx: px(Date.parse(p.x)), cy: py(p.y), r: 2.5 }));
  }
  const dates = [...new Set(series.flatMap((s) => s.points.map((p) => p.x)))].sort();
  const head = h("tr", {}, h("th", { scope: "col" }, i18n.t("chart.date")),
    series.map((s) => h("th", { scope: "col", class: "num" }, s.label)));
  const rows = dates.map((x) => h("tr", {},
    h("th", { scope: "row" }, short(Date.parse(x))),
    series.map((s) => h("td", { class: "num" }, i18n.number(s.points.find((p) => p.x === x)?.y, digits)))));
  box.append(chart, h("details", {}, h("summary", {}, i18n.t("chart.figures")),
    h("div", { class: "table-wrap" }, h("table", {}, h("thead", {}, head), h("tbody", {}, rows)))));
  return box;
}
