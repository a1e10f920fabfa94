// Progress as a picture, drawn by the page: the score of each evaluated, counted session over
// time, and the average per topic as bars. Each picture has a title and a description, and the
// same numbers are in a table for screen readers.

import { fmtDate, h, newId } from "../dom.js";

const SVG_NS = "http://www.w3.org/2000/svg";
const MAX_SCORE = 100;
// The score chart's drawing box (user units; it scales to the panel's width).
const WIDTH = 600;
const HEIGHT = 220;
const PAD = { left: 36, right: 16, top: 12, bottom: 28 };
// The first and last dots sit this far inside the plot, off the axis.
const INSET = 10;
// One topic bar's height and the gap under it; the label column's width.
const BAR_HEIGHT = 18;
const BAR_GAP = 10;
const LABEL_WIDTH = 170;
const GRID_SCORES = [0, 25, 50, 75, 100];

function svg(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined) continue;
    el.setAttribute(key, typeof value === "number" ? String(Math.round(value * 10) / 10) : String(value));
  }
  for (const child of children.flat(Infinity)) if (child !== null && child !== undefined) el.append(child);
  return el;
}

/** An SVG picture with its accessible name and description. */
function picture(className, width, height, title, desc, shapes) {
  const titleId = newId("chart-title");
  const descId = newId("chart-desc");
  return svg("svg", { class: className, viewBox: `0 0 ${width} ${height}`, role: "img",
    "aria-labelledby": `${titleId} ${descId}`, preserveAspectRatio: "xMidYMid meet" },
  svg("title", { id: titleId }, title), svg("desc", { id: descId }, desc), shapes);
}

/** The sessions the chart shows, oldest first: evaluated, counted, with a score. */
export function scoredSessions(sessions) {
  return sessions
    .filter((s) => s.counted && typeof s.score === "number")
    .map((s) => ({ ...s, at: Date.parse(s.ended_at || s.started_at) }))
    .filter((s) => Number.isFinite(s.at))
    .sort((a, b) => a.at - b.at);
}

function scoreChart(points) {
  const innerW = WIDTH - PAD.left - PAD.right - 2 * INSET;
  const innerH = HEIGHT - PAD.top - PAD.bottom;
  const first = points[0].at;
  const span = points[points.length - 1].at - first;
  const x = (p, i) => PAD.left + INSET + (span > 0 ? ((p.at - first) / span) * innerW
    : points.length > 1 ? (i / (points.length - 1)) * innerW : innerW / 2);
  const y = (score) => PAD.top + innerH - (score / MAX_SCORE) * innerH;
  const grid = GRID_SCORES.map((score) => [
    svg("line", { class: "chart-grid", x1: PAD.left, x2: WIDTH - PAD.right, y1: y(score), y2: y(score) }),
    svg("text", { class: "chart-axis", x: PAD.left - 6, y: y(score) + 4, "text-anchor": "end" }, String(score)),
  ]);
  const coords = points.map((p, i) => [x(p, i), y(p.score)]);
  const line = points.length > 1
    ? svg("polyline", { class: "chart-line", fill: "none", points: coords.map((c) => c.join(",")).join(" ") }) : null;
  const dots = points.map((p, i) => svg("circle", { class: "chart-dot", cx: coords[i][0], cy: coords[i][1], r: 4 },
    svg("title", {}, `${p.question_title}, ${fmtDate(p.ended_at || p.started_at)}: ${p.score}`)));
  const dates = [points[0], points[points.length - 1]].filter((p, i) => i === 0 || points.length > 1)
    .map((p, i) => svg("text", { class: "chart-axis", x: i === 0 ? PAD.left : WIDTH - PAD.right, y: HEIGHT - 8,
      "text-anchor": i === 0 ? "start" : "end" }, fmtDate(p.ended_at || p.started_at)));
  const scores = points.map((p) => p.score);
  const desc = `${points.length} evaluated session${points.length === 1 ? "" : "s"}, from ${scores[0]} `
    + `to ${scores[scores.length - 1]}; lowest ${Math.min(...scores)}, highest ${Math.max(...scores)}.`;
  return picture("chart chart-scores", WIDTH, HEIGHT, "Score per session over time", desc,
    [grid, line, dots, dates]);
}

function topicChart(topics) {
  const height = topics.length * (BAR_HEIGHT + BAR_GAP) + BAR_GAP;
  const barW = WIDTH - LABEL_WIDTH - 48;
  const bars = topics.map(([topic, score], i) => {
    const top = BAR_GAP + i * (BAR_HEIGHT + BAR_GAP);
    const rounded = Math.round(score);
    return svg("g", { class: "chart-bar" },
      svg("text", { class: "chart-label", x: LABEL_WIDTH - 8, y: top + BAR_HEIGHT - 4, "text-anchor": "end" }, topic),
      svg("rect", { class: "chart-track", x: LABEL_WIDTH, y: top, width: barW, height: BAR_HEIGHT, rx: 3 }),
      svg("rect", { class: "chart-fill", x: LABEL_WIDTH, y: top, rx: 3, height: BAR_HEIGHT,
        width: Math.max(0, Math.min(MAX_SCORE, score)) / MAX_SCORE * barW }),
      svg("text", { class: "chart-value", x: LABEL_WIDTH + barW + 6, y: top + BAR_HEIGHT - 4 }, String(rounded)));
  });
  const best = topics.reduce((a, b) => (b[1] > a[1] ? b : a));
  const worst = topics.reduce((a, b) => (b[1] < a[1] ? b : a));
  const desc = `${topics.length} topic${topics.length === 1 ? "" : "s"}; strongest ${best[0]} (${Math.round(best[1])}), `
    + `weakest ${worst[0]} (${Math.round(worst[1])}).`;
  return picture("chart chart-topics", WIDTH, height, "Average score per topic", desc, bars);
}

function numbersTable(caption, head, rows) {
  return h("table", { class: "sr-only chart-numbers" }, h("caption", {}, caption),
    h("thead", {}, h("tr", {}, head.map((text) => h("th", { scope: "col" }, text)))),
    h("tbody", {}, rows.map((cells) => h("tr", {}, h("th", { scope: "row" }, cells[0]),
      cells.slice(1).map((cell) => h("td", {}, cell))))));
}

/** The progress panel's body, from GET /sessions and the `topic_scores` of GET /me/stats. */
export function progressCharts(sessions, topicScores) {
  const points = scoredSessions(sessions);
  if (!points.length) return [h("p", { class: "muted empty chart-empty" }, "No evaluated sessions yet")];
  const topics = Object.entries(topicScores || {}).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  return [
    h("h3", {}, "Score per session"),
    h("figure", { class: "chart-figure" }, scoreChart(points)),
    numbersTable("Score per session, oldest first", ["Session", "Date", "Score"],
      points.map((p) => [p.question_title, fmtDate(p.ended_at || p.started_at), String(p.score)])),
    topics.length ? [
      h("h3", {}, "Average per topic"),
      h("figure", { class: "chart-figure" }, topicChart(topics)),
      numbersTable("Average score per topic", ["Topic", "Average score"],
        topics.map(([topic, score]) => [topic, String(Math.round(score))])),
    ] : null,
  ];
}
