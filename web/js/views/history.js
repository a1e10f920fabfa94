// My past sessions with their scores, and (for interviewers) the rooms in progress.

import { api } from "../api.js";
import { fmtDate, h } from "../dom.js";
import { scoreBadge, statusBadge, typeBadge } from "../parts/badges.js";
import { isOpen, isTerminal } from "../vocabulary.js";

function table(caption, columns, rows) {
  return h("table", { class: "sessions" },
    h("caption", { class: "sr-only" }, caption),
    h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col" }, c)))),
    h("tbody", {}, rows));
}

/** Scores the listing lacks, from each evaluated session's evaluation. */
async function fillScores(sessions) {
  const missing = sessions.filter((s) => s.status === "evaluated" && typeof s.score !== "number");
  await Promise.all(missing.slice(0, 50).map(async (s) => {
    try {
      const found = await api(`/sessions/${s.id}/evaluation`);
      if (typeof found?.score === "number") s.score = found.score;
    } catch { /* the row shows a dash */ }
  }));
}

export async function historyView(root) {
  const sessions = await api("/sessions?limit=100");
  await fillScores(sessions);
  const rows = sessions.map((s) => h("tr", {},
    h("th", { scope: "row" }, h("span", { class: "cell-title" }, s.question_title), " ", typeBadge(s.question_type)),
    h("td", { "data-label": "Mode" }, s.mode),
    h("td", { "data-label": "Status" }, statusBadge(s.status)),
    h("td", { "data-label": "Started" }, fmtDate(s.started_at)),
    h("td", { "data-label": "Score" }, scoreBadge(s.score)),
    h("td", {}, h("div", { class: "row-actions" },
      !isTerminal(s.status) ? h("a", { href: `#/room/${s.id}`, class: "button secondary" }, isOpen(s.status) ? "Resume" : "Open") : null,
      h("a", { href: `#/replay/${s.id}`, class: "button secondary" }, "Replay")))));
  root.replaceChildren(h("section", { class: "history" },
    h("h1", { tabindex: "-1" }, "My sessions"),
    sessions.length
      ? table("My sessions", ["Question", "Mode", "Status", "Started", "Score", ""], rows)
      : h("p", { class: "panel muted" }, "No sessions yet. ", h("a", { href: "#/questions" }, "Pick a question"), " to start one.")));
}

export async function liveView(root, _params, ctx) {
  const sessions = await api("/sessions/live?limit=100");
  const rows = sessions.map((s) => h("tr", {},
    h("th", { scope: "row" }, s.candidate_name),
    h("td", { "data-label": "Question" }, s.question_title, " ", typeBadge(s.question_type)),
    h("td", { "data-label": "Status" }, statusBadge(s.status)),
    h("td", { "data-label": "Started" }, fmtDate(s.started_at)),
    h("td", {}, h("div", { class: "row-actions" }, h("a", { href: `#/room/${s.id}`, class: "button primary" }, "Watch")))));
  root.replaceChildren(h("section", { class: "history" },
    h("h1", { tabindex: "-1" }, "Live rooms"),
    h("p", { class: "muted" }, `Signed in as ${ctx.user.role}: you can watch any room, answer clarifications, give hints and keep private notes.`),
    sessions.length ? table("Rooms in progress", ["Candidate", "Question", "Status", "Started", ""], rows)
      : h("p", { class: "panel muted" }, "No rooms are in progress.")));
}
