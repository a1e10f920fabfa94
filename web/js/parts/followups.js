// Follow-up questions during design: a conversation in the room. The interviewer (a person, or
// the system on request and at half time) asks about the candidate's own design; the candidate
// answers here and may ask for a question. Rows are keyed by id, so a half-typed answer
// survives every update of the room.

import { charCounter, fill, h, newId } from "../dom.js";
import { systemFollowups } from "../state.js";
import { limits } from "../vocabulary.js";
import { nameOf } from "./people.js";

// The server's own limit (domain/commands.py MAX_SYSTEM_FOLLOWUPS); it refuses past it anyway.
const MAX_SYSTEM_FOLLOWUPS = 3;

const ASKED_BY = {
  rubric: "Interviewer (from the question's notes)",
  model: "Interviewer (AI)",
};

function askedBy(state, followup) {
  if (followup.origin === "interviewer") return `Interviewer ${nameOf(state, followup.asked_by)}`.trim();
  return ASKED_BY[followup.origin] || "Interviewer";
}

/**
 * options: role (candidate | observer | peer | replay); onAsk(text) (observers), onRequest()
 * and onAnswer(id, text) (the candidate), each returning a promise that rejects with an Error
 * whose message is shown; onNew(followup, state) hears of each question asked after the first
 * update by someone else (the live room puts up a notice).
 */
export function followups({ role, onAsk, onRequest, onAnswer, onNew } = {}) {
  const heading = h("h2", { id: "followups-title", tabindex: "-1" }, "Follow-up questions");
  // Laid out like the clarification chat (its own class: tests and styles address that one).
  const log = h("ol", { class: "followup-log", role: "log", "aria-live": "polite",
    "aria-label": "Follow-up questions" });
  Object.assign(log.style, { listStyle: "none", margin: ".5rem 0", padding: "0", display: "flex",
    flexDirection: "column", gap: ".6rem" });
  const empty = h("p", { class: "muted empty" }, role === "candidate"
    ? "While you design, the interviewer asks about your design here. You can ask for a question too."
    : "No follow-up questions yet.");
  const rows = new Map();
  const request = role === "candidate" && onRequest ? requestButton(onRequest) : null;
  const ask = role === "observer" && onAsk ? askForm(onAsk) : null;
  const el = h("section", { class: "panel followups", "aria-labelledby": "followups-title", hidden: true },
    h("div", { class: "panel-head" }, heading, request?.left), empty, log, request?.el, ask?.el);
  let known = null;

  function row(item, state) {
    let entry = rows.get(item.id);
    if (!entry) {
      const who = h("span", { class: "who" });
      const answer = h("div", { class: "answer" });
      const li = h("li", { class: "exchange", dataset: { followup: item.id } },
        h("p", { class: "question" }, who, item.question), answer);
      entry = { li, who, answer, shown: undefined };
      rows.set(item.id, entry);
      log.append(li);
    }
    entry.who.textContent = askedBy(state, item);
    const canAnswer = role === "candidate" && state.phase === "design" && onAnswer;
    const key = `${item.answer}|${canAnswer}`;
    if (entry.shown === key) return;
    entry.shown = key;
    const answered = item.answer !== null && item.answer !== undefined;
    entry.answer.classList.toggle("pending", !answered);
    if (answered) {
      fill(entry.answer, h("span", { class: "who" }, role === "candidate" ? "You" : "Candidate"), item.answer);
    } else if (canAnswer) {
      fill(entry.answer, answerForm(item.id, onAnswer));
    } else {
      const waiting = state.phase === "design" ? "Waiting for the candidate's answer…" : "Not answered.";
      fill(entry.answer, h("span", { class: "who" }, role === "candidate" ? "Not answered." : waiting));
    }
  }

  function update(state) {
    const items = state.followups || [];
    const ids = new Set(items.map((item) => item.id));
    for (const [id, entry] of rows) {
      if (!ids.has(id)) { // the replay went back in time
        entry.li.remove();
        rows.delete(id);
      }
    }
    for (const item of items) row(item, state);
    el.hidden = state.phase === "clarifying" && !items.length;
    empty.hidden = items.length > 0;
    request?.update(state);
    ask?.update(state);
    if (known !== null && onNew) {
      for (const item of items.slice(known)) if (role !== "observer" || item.origin !== "interviewer") onNew(item, state);
    }
    known = items.length;
  }

  return {
    el,
    update,
    /** Brings the conversation into view and the keyboard to the open question's answer box. */
    reveal() {
      el.scrollIntoView({ block: "center" });
      const box = log.querySelector(".answer-form textarea");
      (box || heading).focus({ preventScroll: true });
    },
  };
}

function requestButton(onRequest) {
  const button = h("button", { type: "button", class: "secondary" }, "Ask me a follow-up question");
  const status = h("p", { class: "form-status", role: "status" });
  const left = h("p", { class: "followup-budget muted" });
  const el = h("div", { class: "followup-request row" }, button, status);
  let busy = false;
  let last = null;

  function show(state) {
    const asked = systemFollowups(state);
    const open = asked.some((f) => f.answer === null || f.answer === undefined);
    const spent = asked.length >= MAX_SYSTEM_FOLLOWUPS;
    const writing = state.followup_requested_at !== null && state.followup_requested_at !== undefined;
    el.hidden = state.phase !== "design";
    left.hidden = state.phase !== "design";
    left.textContent = `${Math.max(0, MAX_SYSTEM_FOLLOWUPS - asked.length)} of ${MAX_SYSTEM_FOLLOWUPS} requests left`;
    button.disabled = busy || open || spent || writing;
    if (writing) status.textContent = "The interviewer is thinking of a question…";
    else if (open) status.textContent = "Answer the open question first.";
    else if (spent) status.textContent = "The interviewer has asked all their questions.";
    else if (!busy && !status.dataset.error) status.textContent = "";
  }

  button.addEventListener("click", async () => {
    if (busy) return;
    busy = true;
    delete status.dataset.error;
    if (last) show(last);
    try {
      await onRequest();
    } catch (error) {
      status.textContent = error.message;
      status.dataset.error = "1";
    } finally {
      busy = false;
      if (last) show(last);
    }
  });

  return {
    el,
    left,
    update(state) {
      last = state;
      show(state);
    },
  };
}

function askForm(onAsk) {
  const id = newId("followup");
  const input = h("textarea", { id, rows: 2, maxlength: limits().text_chars, required: true,
    placeholder: "e.g. What happens to your design when one key gets most of the traffic?" });
  const button = h("button", { type: "submit", class: "primary" }, "Ask the candidate");
  const status = h("p", { class: "form-status", role: "status" });
  const label = h("label", { for: id }, "Ask the candidate a follow-up question");
  const counter = charCounter(input, limits().text_chars, "Your question");
  const el = h("form", { class: "ask followup-ask" }, label, h("div", { class: "row" }, input, button),
    counter.el, status);
  let busy = false;
  el.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text || busy) return;
    busy = true;
    button.disabled = true;
    status.textContent = "Asking…";
    try {
      await onAsk(text);
      input.value = "";
      counter.update();
      status.textContent = "";
    } catch (error) {
      status.textContent = error.message;
    } finally {
      busy = false;
      button.disabled = false;
    }
  });
  return {
    el,
    update(state) {
      el.hidden = state.phase !== "design";
    },
  };
}

function answerForm(followupId, onAnswer) {
  const id = newId("followup-answer");
  const input = h("textarea", { id, rows: 3, maxlength: limits().text_chars, required: true });
  const button = h("button", { type: "submit", class: "primary" }, "Send answer");
  const status = h("span", { class: "form-status", role: "status" });
  const form = h("form", { class: "answer-form" },
    h("label", { for: id }, "Your answer to the interviewer"), input, charCounter(input, limits().text_chars, "Your answer").el,
    h("div", { class: "row" }, button, status));
  let busy = false;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text || busy) return;
    busy = true;
    button.disabled = true;
    status.textContent = "Sending…";
    try {
      await onAnswer(followupId, text);
    } catch (error) {
      status.textContent = error.message;
    } finally {
      busy = false;
      button.disabled = false;
    }
  });
  return form;
}
