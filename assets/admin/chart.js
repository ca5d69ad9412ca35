// Line charts with uPlot (vendored from npm), one series per node.
import uPlot from "app/vendor/uPlot.esm.js";

const COLOURS = ["#1b6ac9", "#c2410c", "#15803d", "#7e22ce", "#0e7490"];

// `hours`: the x axis spans the last this many hours, however few points there are.
export function lineChart(title, points, field, unit, width, hours, timeLabel) {
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
    series: [{ label: timeLabel }, ...nodes.map((node, i) => ({ label: node, stroke: COLOURS[i % COLOURS.length], width: 2, spanGaps: true }))],
    axes: [{}, { size: 56 }],
  }, [times, ...series], box);
  return box;
}
