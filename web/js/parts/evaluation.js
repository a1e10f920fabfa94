// The evaluation: its text streams in as it is written, then the stored result replaces the
// waiting state with the score, per-section notes and the lists.

import { announce, fill, h, newId } from "../dom.js";
import { renderMarkdown } from "../markdown.js";
import { isOpen, sectionLabelFor, writtenSections } from "../vocabulary.js";
import { scoreBadge } from "./badges.js";

const LISTS = [
  ["strengths", "Strengths"],
  ["weaknesses", "Weaknesses"],
  ["improvement_points", "How to improve"],
  ["follow_up_questions", "Follow-up questions an interviewer might ask"],
];

export function evaluatorLabel(evaluator) {
  if (!evaluator) return "";
  if (evaluator === "rubric") return "Offline rubric evaluator (no AI model configured on this server)";
  if (evaluator.startsWith("openai:")) return `AI evaluator (${evaluator.slice(7)})`;
  return evaluator;
}

/** options: onRetry() for the candidate when an evaluation failed; questionType ("LLD" or
 * "HLD") names the sections. */
export function evaluation({ onRetry, questionType } = {}) {
  const status = h("p", { class: "eval-status", role: "status" });
  const stream = h("div", { class: "eval-stream markdown", id: newId("stream"), "aria-live": "off" });
  // Once the result is in, it says every point the streamed text said; the text folds away.
  const writeup = h("button", { type: "button", class: "link writeup-toggle", hidden: true,
    "aria-expanded": "false", "aria-controls": stream.id, onclick: toggleWriteup });
  const score = h("div", { class: "eval-score" });
  const result = h("div", { class: "eval-result" });
  const retry = onRetry ? h("button", { class: "secondary", hidden: true, onclick: retryNow }, "Retry the evaluation") : null;
  const heading = h("h2", { id: "eval-title", tabindex: "-1" }, "Evaluation");
  const el = h("section", { class: "panel evaluation", "aria-labelledby": "eval-title", hidden: true },
    h("div", { class: "panel-head" }, heading),
    status, retry, score, result, writeup, stream);
  let streamed = "";
  let resultShown = null;
  let writeupOpen = false;

  function toggleWriteup() {
    writeupOpen = !writeupOpen;
    showWriteup(true);
  }

  function showWriteup(folded) {
    const open = !folded || writeupOpen;
    stream.hidden = !streamed || !open;
    writeup.hidden = !folded || !streamed;
    writeup.setAttribute("aria-expanded", String(open));
    writeup.textContent = open ? "Hide the evaluator's full write-up" : "Show the evaluator's full write-up";
  }

  async function retryNow() {
    retry.disabled = true;
    status.textContent = "Asking for a new evaluation…";
    try {
      await onRetry();
    } catch (error) {
      status.textContent = error.message;
    } finally {
      retry.disabled = false;
    }
  }

  function showStream(text) {
    if (text === streamed) return;
    streamed = text; // the feedback is Markdown; a few kilobytes re-render in well under a frame
    fill(stream, renderMarkdown(text, 4));
  }

  function update(state) {
    // Past the writing phases with a submitted solution (not abandoned, not expired).
    const submitted = !isOpen(state.phase) && typeof state.submitted_at === "number";
    const visible = submitted || Boolean(state.evaluation || state.evaluation_text);
    el.hidden = !visible;
    if (!visible) return;
    showStream(state.evaluation_text || "");
    showWriteup(Boolean(state.evaluation));
    stream.setAttribute("aria-busy", state.phase === "evaluating" ? "true" : "false");
    if (retry) retry.hidden = !state.failure || state.phase !== "submitted";
    if (state.evaluation) {
      status.textContent = evaluatorLabel(state.evaluator);
      if (resultShown !== state.evaluation) {
        resultShown = state.evaluation;
        const [head, ...details] = renderResult(state.evaluation, questionType);
        fill(score, head);
        fill(result, details);
        if (state.evaluation.score !== undefined) announce(`Evaluation complete: ${state.evaluation.score} out of 100.`);
      }
    } else {
      resultShown = null;
      score.replaceChildren();
      result.replaceChildren();
      status.textContent = state.failure ? `The evaluation failed: ${state.failure}`
        : state.phase === "evaluating" ? `Evaluating… ${evaluatorLabel(state.evaluator)}`
          : "Submitted. Waiting for an evaluator to pick it up…";
    }
    status.classList.toggle("error", Boolean(state.failure) && !state.evaluation);
  }

  return { el, update, focus: () => heading.focus() };
}

/** A stored result, whatever optional parts it has: [score line, ...details]. */
export function renderResult(result, questionType) {
  const parts = [];
  const hasScore = result.score !== undefined && result.score !== null;
  parts.push(hasScore ? h("div", { class: "score-line" }, scoreBadge(result.score),
    h("span", { class: "out-of" }, "/ 100"),
    result.verdict || result.summary ? h("p", { class: "verdict" }, result.verdict || result.summary) : null) : null);
  const sections = sectionRows(result.sections, questionType);
  if (sections.length) {
    parts.push(h("h3", {}, "Per section"),
      h("table", { class: "section-notes" },
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Section"), h("th", { scope: "col" }, "Score"),
          h("th", { scope: "col" }, "Notes"))),
        h("tbody", {}, sections)));
  }
  for (const [key, title] of LISTS) {
    const items = asList(result[key]);
    if (items.length) parts.push(h("h3", {}, title), h("ul", { class: `list-${key}` }, items.map((i) => h("li", {}, i))));
  }
  return parts;
}

/** One row per scored section, in the editor's order and with its labels. */
function sectionRows(sections, questionType) {
  if (!sections) return [];
  const labels = new Map(writtenSections(questionType).map((section) => [section.name, section.label]));
  const entries = Array.isArray(sections)
    ? sections.map((s) => [s.section || s.name || "", s])
    : Object.entries(sections);
  const order = [...labels.keys()];
  const rank = (name) => (order.includes(name) ? order.indexOf(name) : order.length);
  entries.sort(([a], [b]) => rank(a) - rank(b)); // stable: unknown names keep their order, last
  return entries.map(([name, value]) => {
    const detail = typeof value === "object" && value !== null ? value : { notes: value };
    const score = detail.score ?? "";
    const max = detail.max_score ?? detail.max ?? detail.out_of;
    const notes = asList(detail.notes ?? detail.comment ?? detail.feedback ?? detail.summary);
    const missing = asList(detail.missing);
    return h("tr", {},
      h("th", { scope: "row" }, labels.get(name) ?? sectionLabelFor(name, questionType)),
      h("td", {}, score === "" ? "—" : max ? `${score} / ${max}` : String(score)),
      h("td", {}, notes.join(" "), missing.length ? h("span", { class: "missing" }, ` Missing: ${missing.join("; ")}`) : null));
  });
}

/** A list from an array of strings, or from text with one item per line. */
export function asList(value) {
  if (value === null || value === undefined || value === "") return [];
  if (Array.isArray(value)) return value.map((v) => (typeof v === "string" ? v : v.text || v.point || JSON.stringify(v)));
  if (typeof value === "object") return Object.values(value).map(String);
  return String(value).split("\n").map((line) => line.replace(/^\s*[-*•]\s*/, "").trim()).filter(Boolean);
}
