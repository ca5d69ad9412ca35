// Line charts with uPlot (vendored from npm), one series per node.
import uPlot from "common/vendor/uPlot.esm.js";

const COLOURS = ["#1b6ac9", "#c2410c", "#15803d", "#7e22ce", "#0e7490"];

// `hours`: the x axis spans the last this many hours, however few points there are. Times and
// numbers on the axes and in the legend are written as `i18n`'s locale writes them.
export function lineChart(title, points, field, unit, width, hours, i18n) {
  const nodes = [...new Set(points.map((p) => p.node))];
  const times = [...new Set(points.map((p) => Date.parse(p.at) / 1000))].sort((a, b) => a - b);
  const index = new Map(times.map((t, i) => [t, i]));
  const series = nodes.map(() => times.map(() => null));
  for (const p of points) {
    const value = p[field];
    if (value !== undefined) series[nodes.indexOf(p.node)][index.get(Date.parse(p.at) / 1000)] = value;
  }
  const box = document.createElement("figure");
  box.className = "chart";
  const caption = document.createElement("figcaption");
  caption.textContent = `${title} (${unit})`;
  box.append(caption);
  if (times.length === 0) return box;
  new uPlot({
    width: Math.max(280, width),
    height: 180,
    scales: { x: { time: true, range: () => [Date.now() / 1000 - hours * 3600, Date.now() / 1000] } },
    series: [
      { label: i18n.t("chart.time"), value: (u, v) => (v === null ? "—" : i18n.date(v * 1000)) },
      ...nodes.map((node, i) => ({
        label: node, stroke: COLOURS[i % COLOURS.length], width: 2, spanGaps: true,
        value: (u, v) => i18n.number(v, 2),
      })),
    ],
    axes: [
      { values: (u, splits) => splits.map((s) => i18n.axisTime(s, hours > 24)) },
      { size: 56, values: (u, splits) => splits.map((v) => i18n.number(v, 2)) },
    ],
  }, [times, ...series], box);
  return box;
}
