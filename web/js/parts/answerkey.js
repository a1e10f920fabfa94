// The interviewer's answer key (observers only): a suggested answer for each clarification
// still waiting, with the time left before the rules answer it, the question's rules, the
// rubric by section and, once the candidate submitted, the reference solution.

import { fill, fmtClock, h } from "../dom.js";
import { referenceText } from "./modelanswer.js";

const TICK_MS = 1000;

/**
 * options: load() returning GET /sessions/{id}/answer-key, clock (ServerClock), and
 * onUse(clarificationId, text) putting a suggestion into the answer box for that question.
 */
export function answerKey({ load, clock, onUse }) {
  const status = h("p", { class: "form-status", role: "status" });
  const pending = h("div", { class: "key-pending" });
  const rules = h("div", { class: "key-rules" });
  const rubric = h("div", { class: "key-rubric" });
  const reference = h("div", { class: "key-reference" });
  // Folded parts keep their open state across refreshes: only their bodies are refilled.
  const rulesTitle = h("h3", {}, "Clarification rules");
  const folded = (title, body) => h("details", { class: "key-part" }, h("summary", {}, title), body);
  const el = h("details", { class: "panel answer-key", open: true },
    h("summary", {}, h("h2", { id: "key-title" }, "Answer key")),
    h("p", { class: "muted" }, "Only interviewers see this."),
    status, pending, folded(rulesTitle, rules), folded(h("h3", {}, "Rubric"), rubric), reference);
  let deadlines = []; // [{fallbackAt, output}] of the pending questions shown
  let loading = null;
  let again = false;

  function tick() {
    for (const { fallbackAt, output } of deadlines) {
      const left = clock.remaining(fallbackAt);
      output.textContent = left > 0 ? `The notes answer in ${fmtClock(left)}` : "The notes answer now";
    }
  }
  const timer = setInterval(tick, TICK_MS);

  function showPending(items) {
    deadlines = [];
    if (!items.length) {
      fill(pending);
      return;
    }
    fill(pending, h("h3", {}, "Waiting for your answer"), h("ol", { class: "key-list" }, items.map((item) => {
      const output = h("span", { class: "key-fallback", role: "timer" });
      deadlines.push({ fallbackAt: item.fallback_at, output });
      return h("li", { class: "key-suggestion", dataset: { clarification: item.clarification_id } },
        h("p", { class: "question" }, item.question),
        h("p", { class: "suggested" }, h("span", { class: "who" }, "Suggested"), item.suggested_answer),
        h("div", { class: "row" },
          h("button", { type: "button", class: "secondary",
            onclick: () => onUse(item.clarification_id, item.suggested_answer) }, "Use this answer"),
          output));
    })));
    tick();
  }

  function show(key) {
    showPending(key.pending);
    rulesTitle.textContent = `Clarification rules (${key.rules.length})`;
    fill(rules, key.rules.length
      ? h("dl", { class: "key-rules-list" }, key.rules.map((rule) => [
        h("dt", {}, rule.intent), h("dd", {}, rule.answer)]))
      : h("p", { class: "muted" }, "This question has no rules."));
    fill(rubric, key.rubric.map((item) => h("div", { class: "key-section" },
      h("h4", {}, item.label), h("ul", {}, item.points.map((point) => h("li", {}, point))))));
    fill(reference, key.reference_solution
      ? [h("h3", {}, "Reference solution"), key.reference_solution.map((part) => h("div", { class: "key-section" },
        h("h4", {}, part.label), referenceText(part, 5)))]
      : h("p", { class: "muted" }, "The reference solution shows here once the candidate submits."));
  }

  /** Loads the key again; calls during a load make one more load after it. */
  async function refresh() {
    if (loading) {
      again = true;
      return loading;
    }
    loading = (async () => {
      do {
        again = false;
        try {
          show(await load());
          status.textContent = "";
        } catch (error) {
          status.textContent = `The answer key could not be loaded: ${error.message}`;
        }
      } while (again);
    })();
    try {
      await loading;
    } finally {
      loading = null;
    }
    return undefined;
  }

  return {
    el,
    refresh,
    stop: () => clearInterval(timer),
  };
}
