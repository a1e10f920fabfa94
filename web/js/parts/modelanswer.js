// The model answer: the question's reference solution by section, for everyone in the room once
// the design phase is over, folded beside the feedback so one's own answer is read first.

import { fill, h } from "../dom.js";
import { renderMarkdown } from "../markdown.js";
import { isOpen } from "../vocabulary.js";

// The section written as code: shown as typed, line for line, unless it brings its own fences.
const CODE_SECTION = "code";

/** A reference section's text: Markdown, or the code as it was written. */
export function referenceText(part, headingLevel) {
  if (part.section === CODE_SECTION && !part.text.includes("```")) {
    return h("pre", { class: "reference-code" }, h("code", {}, part.text));
  }
  return h("div", { class: "markdown" }, renderMarkdown(part.text, headingLevel));
}

/** options: load() returning GET /sessions/{id}/model-answer. */
export function modelAnswer({ load }) {
  const body = h("div", { class: "model-answer-body" });
  const el = h("details", { class: "panel model-answer", hidden: true },
    h("summary", {}, h("h2", {}, "Model answer")),
    h("p", { class: "muted" }, "One good answer to this question, to compare with your own."), body);
  let loaded = null; // the load's promise, once asked for

  function show(answer) {
    fill(body, answer.sections.length
      ? answer.sections.map((part) => h("section", { class: "model-section", dataset: { section: part.section } },
        h("h3", {}, part.label), referenceText(part, 4)))
      : h("p", { class: "muted" }, "This question has no model answer yet."));
  }

  function update(state) {
    const over = !isOpen(state.phase);
    el.hidden = !over;
    if (!over || loaded) return;
    body.textContent = "Loading…";
    loaded = load().then(show, (error) => {
      loaded = null; // the next update tries again
      body.textContent = `The model answer could not be loaded: ${error.message}`;
    });
  }

  return { el, update };
}
