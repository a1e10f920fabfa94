// The clarification chat: the candidate asks, the rules or a human interviewer answer.
// Observers answer pending questions here. Rows are keyed by id, so a half-typed answer
// survives every update of the room.

import { charCounter, fill, h, newId } from "../dom.js";
import { clarificationsLeft } from "../state.js";
import { isOpen, limits } from "../vocabulary.js";

const ANSWERED_BY = {
  rules: "Interviewer (from the question's notes)",
  human: "Interviewer",
  fallback: "Interviewer (no human answer in time)",
};

/**
 * options: role (candidate | observer | replay), onAsk(text) and onAnswer(id, text) returning
 * promises that reject with an Error whose message is shown.
 */
export function chat({ role, onAsk, onAnswer }) {
  const budget = h("p", { class: "budget", id: newId("budget") });
  const log = h("ol", { class: "chat-log", role: "log", "aria-live": "polite", "aria-label": "Clarifications" });
  const empty = h("p", { class: "muted empty" }, role === "candidate"
    ? "Ask about scope, scale and constraints before you design. Each question uses one of your budget."
    : "No clarifying questions yet.");
  const rows = new Map();
  const form = role === "candidate" ? askForm(onAsk, budget.id) : null;
  const el = h("section", { class: "panel chat", "aria-labelledby": "chat-title" },
    h("div", { class: "panel-head" }, h("h2", { id: "chat-title" }, "Clarifications"), budget),
    empty, log, form?.el);

  function row(item, state) {
    let entry = rows.get(item.id);
    if (!entry) {
      const answer = h("div", { class: "answer" });
      const li = h("li", { class: "exchange" },
        h("p", { class: "question" }, h("span", { class: "who" }, role === "candidate" ? "You" : "Candidate"),
          item.question),
        answer);
      entry = { li, answer, shown: undefined };
      rows.set(item.id, entry);
      log.append(li);
    }
    const key = `${item.answer}|${item.answered_by}|${state.phase}`;
    if (entry.shown === key) return;
    entry.shown = key;
    if (item.answer !== null && item.answer !== undefined) {
      fill(entry.answer, h("span", { class: "who" }, ANSWERED_BY[item.answered_by] || "Interviewer"),
        item.answer);
      entry.answer.classList.remove("pending");
    } else {
      entry.answer.classList.add("pending");
      const canAnswer = role === "observer" && isOpen(state.phase);
      const hasForm = Boolean(entry.answer.querySelector("form"));
      if (!hasForm || !canAnswer) {
        fill(entry.answer, h("span", { class: "who" }, "Waiting for the interviewer…"),
          canAnswer ? answerForm(item.id, onAnswer) : null);
      }
    }
  }

  function update(state) {
    const ids = new Set(state.clarifications.map((item) => item.id));
    for (const [id, entry] of rows) {
      if (!ids.has(id)) { // the replay went back in time
        entry.li.remove();
        rows.delete(id);
      }
    }
    for (const item of state.clarifications) row(item, state);
    empty.hidden = state.clarifications.length > 0;
    const left = clarificationsLeft(state);
    budget.textContent = `${left} of ${state.max_clarifications} questions left`;
    budget.classList.toggle("exhausted", left === 0);
    form?.update(state, left);
  }

  /** Puts text into the answer box of a waiting question (the answer key's suggestions). */
  function fillAnswer(clarificationId, text) {
    const input = rows.get(clarificationId)?.answer.querySelector("form textarea");
    if (!input) return false;
    input.value = text;
    input.dispatchEvent(new Event("input", { bubbles: true })); // the counter follows
    input.focus();
    return true;
  }
  return { el, update, fillAnswer };
}

function askForm(onAsk, budgetId) {
  const input = h("textarea", { rows: 2, maxlength: limits().text_chars, required: true, "aria-describedby": budgetId,
    placeholder: "e.g. How many users, and how many requests at peak?" });
  const button = h("button", { type: "submit", class: "primary" }, "Ask");
  const status = h("p", { class: "form-status", role: "status" });
  const label = h("label", { for: newId("ask") }, "Ask a clarifying question");
  input.id = label.htmlFor;
  const counter = charCounter(input, limits().text_chars, "Your question");
  const row = h("div", { class: "row" }, input, button);
  const el = h("form", { class: "ask", onsubmit: submit }, label, row, counter.el, status);
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      el.requestSubmit();
    }
  });

  // One command per question: until the room answers this one, Enter and the button do nothing
  // (the box is read-only rather than disabled, so the keyboard stays in it).
  let asking = false;
  let open = true;

  function showAsking() {
    input.disabled = !open;
    input.readOnly = asking;
    button.disabled = !open || asking;
    el.setAttribute("aria-busy", String(asking));
  }

  async function submit(event) {
    event.preventDefault();
    const text = input.value.trim();
    if (!text || asking) return;
    asking = true;
    showAsking();
    status.textContent = "Asking…";
    try {
      await onAsk(text);
      input.value = "";
      counter.update();
      status.textContent = "";
    } catch (error) {
      status.textContent = error.message;
    } finally {
      asking = false;
      showAsking();
    }
  }

  return {
    el,
    update(state, left) {
      open = state.phase === "clarifying" && left > 0;
      showAsking();
      label.hidden = state.phase !== "clarifying";
      row.hidden = state.phase !== "clarifying";
      if (state.phase !== "clarifying") status.textContent = "The clarifying phase is over.";
      else if (left === 0) status.textContent = "You have used all your clarifying questions.";
      else if (status.textContent.startsWith("The clarifying") || status.textContent.startsWith("You have used")) status.textContent = "";
    },
  };
}

function answerForm(clarificationId, onAnswer) {
  const id = newId("answer");
  const input = h("textarea", { id, rows: 2, maxlength: limits().text_chars, required: true });
  const status = h("span", { class: "form-status", role: "status" });
  const form = h("form", { class: "answer-form" },
    h("label", { for: id }, "Your answer"), input, charCounter(input, limits().text_chars, "Your answer").el,
    h("div", { class: "row" }, h("button", { type: "submit", class: "primary" }, "Send answer"), status));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!input.value.trim()) return;
    status.textContent = "Sending…";
    try {
      await onAnswer(clarificationId, input.value.trim());
    } catch (error) {
      status.textContent = error.message;
    }
  });
  return form;
}
