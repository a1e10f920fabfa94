// The live room, for the candidate and for observers: the session's state from REST, then
// every event over the WebSocket, folded into one state that every part redraws from.

import { api, signOut } from "../api.js";
import { ServerClock } from "../clock.js";
import { announce, h } from "../dom.js";
import { DraftBuffer } from "../drafts.js";
import { CommandError, RoomSocket } from "../room.js";
import { applyEvent, fromSnapshot, fromView } from "../state.js";
import { isOpen } from "../vocabulary.js";
import { candidateActions } from "../parts/actions.js";
import { chat } from "../parts/chat.js";
import { countdown } from "../parts/countdown.js";
import { editors } from "../parts/editors.js";
import { evaluation } from "../parts/evaluation.js";
import { phaseBar } from "../parts/phasebar.js";
import { notices } from "../parts/notices.js";
import { followups } from "../parts/followups.js";
import { answerKey } from "../parts/answerkey.js";
import { modelAnswer } from "../parts/modelanswer.js";
import { hints, nameOf, observerTools, presence } from "../parts/people.js";
import { questionBody, questionHeader } from "../parts/question.js";

// The page's wording for the error codes the room answers commands with; any other code shows
// the server's own message.
const MESSAGES = {
  clarification_budget_exhausted: "You have used all your clarifying questions.",
  phase_illegal: "That is not possible in this phase any more.",
  role_forbidden: "Your role in this room cannot do that.",
  clarification_answered: "Someone already answered that question.",
  followup_pending: "Answer the open follow-up question first.",
  followup_limit_reached: "The interviewer has asked all their follow-up questions.",
  followup_answered: "You already answered that question.",
  rate_limited: "Slow down a little; try again in a moment.",
  closed: "You left the room.",
};

// Announced when the room enters the phase (keyed by the served phase names).
const PHASE_NEWS = {
  design: "The design phase has started.",
  submitted: "The solution was submitted.",
  evaluating: "The evaluation has started.",
  evaluated: "The evaluation is ready.",
  abandoned: "The session was abandoned.",
};

// Before the submit confirmation, pending saves get this long to land (offline, they wait).
const REVIEW_FLUSH_MS = 3000;

// Events after which the answer key's waiting questions have changed.
const KEY_EVENTS = new Set(["clarification.asked", "clarification.answered", "snapshot"]);

const JOINED_AS = { observer: "an interviewer", peer: "an invited guest" };

const CONNECTION = {
  connecting: ["Connecting…", "connecting"],
  open: ["Live", "open"],
  reconnecting: ["Reconnecting… nothing you type is lost", "reconnecting"],
};

function friendly(error) {
  if (error instanceof CommandError) return new Error(MESSAGES[error.code] || error.message);
  return error;
}

const pause = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

/** The keyboard was on something that has just gone (a hidden button, a closed form). */
function focusLost() {
  const active = document.activeElement;
  return !active || active === document.body || !active.isConnected || active.getClientRects().length === 0;
}

/** The keyboard is where the candidate left it to act (or nowhere): the next step may take it. */
function focusIsOnActions() {
  return focusLost() || Boolean(document.activeElement.closest(".actions-bar"));
}

export async function roomView(root, { id }, ctx) {
  const view = await api(`/sessions/${encodeURIComponent(id)}`);
  const clock = new ServerClock();
  clock.sync(view.server_time);
  const role = view.role;
  let state = fromView(view);
  const connection = h("p", { class: "connection connecting", role: "status" }, "Connecting…");

  const socket = new RoomSocket(view.id, view.seq, {
    frame: onFrame,
    status: (kind) => {
      const [text, cls] = CONNECTION[kind] || [kind, kind];
      connection.textContent = text;
      connection.className = `connection ${cls}`;
      buffer?.setOnline(kind === "open");
    },
    fatal: (message, meaning) => {
      connection.textContent = message;
      connection.className = "connection fatal";
      if (meaning === "unauthorized") signOut().then(() => ctx.requireSignIn());
    },
    clock: (serverTime, rtt) => clock.sync(serverTime, rtt),
  }, view.epoch ?? null);
  const command = (type, fields, key) => socket.send(type, fields, key).catch((e) => { throw friendly(e); });

  const buffer = role === "candidate"
    ? new DraftBuffer(view.id, (section, text) => command("draft", { section, text }, `draft:${section}`),
      (section) => solution?.showStatus(section))
    : null;

  const parts = {
    phases: phaseBar(),
    timer: countdown(clock),
    chat: chat({
      role,
      onAsk: (question) => command("clarify", { question }),
      onAnswer: (clarificationId, text) => command("answer", { clarification_id: clarificationId, text }),
    }),
    evaluation: evaluation({
      questionType: view.question.type,
      onRetry: role === "candidate"
        ? () => api(`/sessions/${view.id}/evaluation/retry`, { method: "POST" }) : null,
    }),
    presence: presence(ctx.user.id),
    model: modelAnswer({ load: () => api(`/sessions/${encodeURIComponent(view.id)}/model-answer`) }),
  };
  const solution = editors({ buffer, role, questionType: view.question.type });
  parts.solution = solution;
  const notice = notices();
  let key = null; // the interviewer's answer key (observers only)
  parts.followups = followups({
    role,
    onAsk: (text) => command("followup", { text }),
    onRequest: () => command("followup_request", {}),
    onAnswer: (followupId, text) => command("followup_answer", { followup_id: followupId, text }),
    onNew: role === "candidate"
      ? (item) => notice.show(`The interviewer asks: ${item.question}`,
        { label: "Answer it", run: () => parts.followups.reveal() })
      : null,
  });
  if (role === "candidate") {
    parts.hints = hints({
      onNew: (hint, now) => notice.show(`New hint from ${nameOf(now, hint.by)}: ${hint.text}`,
        { label: "Show the hint", run: () => parts.hints.reveal() }),
    });
    parts.actions = candidateActions({
      sessionId: view.id,
      onAdvance: async () => {
        await command("advance", { to: "design" });
        if (focusIsOnActions()) solution.focusFirst();
        return "";
      },
      onReview: async () => {
        await Promise.race([buffer.flushAll(), pause(REVIEW_FLUSH_MS)]);
        return solution.review();
      },
      onSubmit: async () => {
        await buffer.flushAll();
        await command("submit");
        if (focusIsOnActions()) parts.evaluation.focus(); // else the panel takes it when it shows
        return "Submitted.";
      },
      onAbandon: () => command("abandon").then(() => ""),
    });
  } else if (role === "observer") {
    parts.tools = observerTools({
      onHint: (text) => command("hint", { text }),
      onNote: (text) => command("note", { text }),
      onAnswerMode: (mode) => command("answer_mode", { mode }),
    });
    key = answerKey({
      load: () => api(`/sessions/${encodeURIComponent(view.id)}/answer-key`),
      clock,
      onUse: (clarificationId, text) => {
        if (!parts.chat.fillAnswer(clarificationId, text)) announce("That question has been answered.");
      },
    });
  }
  buffer?.seed(state.draft);

  const replayLink = h("a", { href: `#/replay/${view.id}`, class: "button secondary", hidden: true }, "Replay this session");
  const room = h("div", { class: `room role-${role}` },
    h("header", { class: "room-head" },
      questionHeader(view.question, { observer: "Observing", peer: "Watching" }[role] ?? null),
      h("div", { class: "room-status" }, parts.timer.el, connection)),
    parts.phases.el,
    h("div", { class: "room-grid" },
      h("div", { class: "col-left" }, questionBody(view.question), parts.chat.el, parts.followups.el,
        parts.hints?.el),
      h("div", { class: "col-main" }, parts.actions?.el, replayLink, parts.evaluation.el, parts.model.el, solution.el),
      h("div", { class: "col-side" }, parts.presence.el, key?.el, parts.tools?.el)),
    notice.el);
  root.replaceChildren(room);

  function render() {
    for (const part of Object.values(parts)) part.update(state);
    room.dataset.phase = state.phase;
    replayLink.hidden = isOpen(state.phase);
  }

  const greeted = new Set(Object.keys(state.presence || {}));
  /** Someone new came to watch: worth saying, wherever the page is scrolled. */
  function greet(frame, presentBefore) {
    if (frame.type !== "presence.joined" || frame.user_id === ctx.user.id || frame.role === "candidate") return;
    if (presentBefore[frame.user_id] || greeted.has(frame.user_id)) return;
    greeted.add(frame.user_id);
    notice.show(`${frame.name} joined to watch${JOINED_AS[frame.role] ? `, as ${JOINED_AS[frame.role]}` : ""}.`);
  }

  /** After the phase moved under the keyboard (a timer, a hidden button), focus goes on. */
  function keepFocus() {
    if (role !== "candidate" || !focusLost()) return;
    if (state.phase === "design") solution.focusFirst();
    else if (!parts.evaluation.el.hidden) parts.evaluation.focus();
  }

  function onFrame(frame) {
    const before = state.phase;
    const presentBefore = state.presence || {};
    if (frame.type === "snapshot") {
      state = fromSnapshot(frame, state);
      // A new epoch: the room lost its latest events. What this tab knew the room held, and
      // the room no longer does, is the candidate's own text: it goes back.
      if (frame.epochChanged && isOpen(state.phase)) buffer?.resynced(state.draft);
      for (const [section, text] of Object.entries(state.draft)) buffer?.roomHas(section, text);
    } else {
      state = applyEvent(state, frame);
      if (frame.type === "draft.updated") buffer?.roomHas(frame.section, frame.text);
    }
    if (state.phase !== before && PHASE_NEWS[state.phase]) announce(PHASE_NEWS[state.phase]);
    render();
    if (key && (KEY_EVENTS.has(frame.type) || state.phase !== before)) key.refresh();
    greet(frame, presentBefore);
    if (state.phase !== before) keepFocus();
  }

  render();
  key?.refresh();
  socket.start();
  return () => {
    key?.stop();
    socket.stop();
    buffer?.stop();
    parts.timer.stop();
  };
}
