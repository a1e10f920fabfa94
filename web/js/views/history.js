// My past sessions with their scores, the rooms I watched with my notes, and (for
// interviewers) the rooms in progress.

import { api, currentUser } from "../api.js";
import { announce, fmtDate, h } from "../dom.js";
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

const STAFF = new Set(["interviewer", "admin"]);
const ENDED_UNSCORED = new Set(["abandoned", "expired"]);

function actions(s, watching = false) {
  const enter = watching ? "Watch" : isOpen(s.status) ? "Resume" : "Open";
  return h("td", {}, h("div", { class: "row-actions" },
    !isTerminal(s.status) ? h("a", { href: `#/room/${s.id}`, class: "button secondary" }, enter) : null,
    h("a", { href: `#/replay/${s.id}`, class: "button secondary" }, "Replay")));
}

/** The score, and why a session is left out of the stats when it is. */
function scoreCell(s) {
  const why = s.empty ? "Empty attempt · not counted" : ENDED_UNSCORED.has(s.status) ? "Not counted" : null;
  return h("td", { "data-label": "Score" }, scoreBadge(s.score),
    why ? h("span", { class: "badge not-counted" }, why) : null);
}

function mySessions(sessions) {
  const rows = sessions.map((s) => h("tr", { class: s.empty ? "not-counted" : null },
    h("th", { scope: "row" }, h("span", { class: "cell-title" }, s.question_title), " ", typeBadge(s.question_type)),
    h("td", { "data-label": "Mode" }, s.mode),
    h("td", { "data-label": "Status" }, statusBadge(s.status)),
    h("td", { "data-label": "Started" }, fmtDate(s.started_at)),
    scoreCell(s),
    actions(s)));
  if (!sessions.length) {
    return h("p", { class: "panel muted" }, "No sessions yet. ", h("a", { href: "#/questions" }, "Pick a question"), " to start one.");
  }
  const uncounted = sessions.some((s) => s.empty || ENDED_UNSCORED.has(s.status));
  return [table("My sessions", ["Question", "Mode", "Status", "Started", "Score", ""], rows),
    uncounted ? h("p", { class: "muted small" },
      "Empty attempts (fewer than ten words written) and abandoned sessions stay listed here, but your averages, topics and study plan leave them out.") : null];
}

function notesCell(s) {
  if (!s.note_count) return h("td", { "data-label": "Your notes" }, h("span", { class: "muted" }, "—"));
  const more = s.note_count - s.notes.length;
  return h("td", { "data-label": "Your notes" }, h("details", { class: "observer-notes" },
    h("summary", {}, `${s.note_count} note${s.note_count === 1 ? "" : "s"}`),
    h("ul", {}, s.notes.map((n) => h("li", {}, h("span", {}, n.text), " ",
      h("time", { class: "muted small", datetime: n.at }, fmtDate(n.at))))),
    more > 0 ? h("p", { class: "muted small" }, `${more} more in the replay.`) : null));
}

function observedSessions(watched, user) {
  if (!watched.length && !STAFF.has(user?.role)) return null;
  const rows = watched.map((s) => h("tr", {},
    h("th", { scope: "row" }, h("span", { class: "cell-title" }, s.question_title), " ", typeBadge(s.question_type)),
    h("td", { "data-label": "Candidate" }, s.candidate_name),
    h("td", { "data-label": "You were" }, s.observed_as === "peer" ? "Peer" : "Interviewer"),
    h("td", { "data-label": "Status" }, statusBadge(s.status)),
    h("td", { "data-label": "Started" }, fmtDate(s.started_at)),
    notesCell(s),
    actions(s, true)));
  return h("section", { class: "observed", "aria-labelledby": "observed-title" },
    h("h2", { id: "observed-title" }, "Rooms I observed"),
    watched.length
      ? table("Rooms I observed", ["Question", "Candidate", "You were", "Status", "Started", "Your notes", ""], rows)
      : h("p", { class: "panel muted" }, "Rooms you watch, from Live rooms or an invite link, are listed here with your notes."));
}

export async function historyView(root, _params, ctx) {
  const [sessions, watched] = await Promise.all([
    api("/sessions?limit=100"),
    api("/sessions?role=observer&limit=100").catch(() => []),
  ]);
  await fillScores(sessions);
  root.replaceChildren(h("section", { class: "history" },
    h("h1", { tabindex: "-1" }, "My sessions"),
    mySessions(sessions),
    observedSessions(watched, ctx?.user)));
}

// The live list asks again this often while the tab is visible, and at once when it shows again.
const LIVE_REFRESH_MS = 10_000;

export async function liveView(root) {
  const list = h("div");
  const updated = h("p", { class: "muted small" });
  const signedInAs = h("p", { class: "muted" });
  root.replaceChildren(h("section", { class: "history" },
    h("h1", { tabindex: "-1" }, "Live rooms"), signedInAs, updated, list));
  let shown = null;

  async function refresh() {
    let sessions;
    try {
      sessions = await api("/sessions/live?limit=100");
    } catch (error) {
      if (shown === null) throw error; // the first load shows the error page
      updated.textContent = `Could not refresh the list (${error.message}); trying again shortly.`;
      return;
    }
    // Read after the request: a role changed since the page loaded has been refreshed into it.
    signedInAs.textContent = `Signed in as ${currentUser()?.role}: you can watch any room, answer clarifications, give hints and keep private notes.`;
    updated.textContent = `${sessions.length} room${sessions.length === 1 ? "" : "s"} in progress · updated ${new Date().toLocaleTimeString()}`;
    const key = JSON.stringify(sessions.map((s) => [s.id, s.status, s.candidate_name]));
    if (key === shown) return;
    // Redrawn under the keyboard: the focused Watch link is focused again after.
    const focused = document.activeElement?.closest?.("[data-session]")?.dataset.session;
    const rows = sessions.map((s) => h("tr", {},
      h("th", { scope: "row" }, s.candidate_name),
      h("td", { "data-label": "Question" }, s.question_title, " ", typeBadge(s.question_type)),
      h("td", { "data-label": "Status" }, statusBadge(s.status)),
      h("td", { "data-label": "Started" }, fmtDate(s.started_at)),
      h("td", {}, h("div", { class: "row-actions" },
        h("a", { href: `#/room/${s.id}`, class: "button primary", dataset: { session: s.id } }, "Watch")))));
    list.replaceChildren(sessions.length ? table("Rooms in progress", ["Candidate", "Question", "Status", "Started", ""], rows)
      : h("p", { class: "panel muted" }, "No rooms are in progress."));
    if (focused) list.querySelector(`[data-session="${focused}"]`)?.focus();
    if (shown !== null) announce(`The live rooms changed: ${sessions.length} in progress.`);
    shown = key;
  }

  await refresh();
  const timer = setInterval(() => {
    if (document.visibilityState === "visible") refresh();
  }, LIVE_REFRESH_MS);
  const onVisible = () => {
    if (document.visibilityState === "visible") refresh();
  };
  document.addEventListener("visibilitychange", onVisible);
  return () => {
    clearInterval(timer);
    document.removeEventListener("visibilitychange", onVisible);
  };
}
