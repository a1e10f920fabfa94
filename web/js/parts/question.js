// The question being answered: title, badges and its description (Markdown, rendered safely).

import { h } from "../dom.js";
import { renderMarkdown } from "../markdown.js";
import { difficultyBadge, typeBadge } from "./badges.js";

export function questionHeader(question, roleNote) {
  return h("div", { class: "room-title" },
    h("h1", { tabindex: "-1" }, question.title),
    h("div", { class: "badges" }, typeBadge(question.type), difficultyBadge(question.difficulty),
      roleNote ? h("span", { class: "badge role" }, roleNote) : null));
}

export function questionBody(question, open = true) {
  return h("details", { class: "panel question-text", open },
    h("summary", {}, h("h2", {}, "The question")),
    h("div", { class: "markdown" }, renderMarkdown(question.description || "")));
}
