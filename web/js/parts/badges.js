// Small labels shared by the question bank, the room and the history.

import { capitalise, h, safeUrl } from "../dom.js";
import { phaseLabel } from "../vocabulary.js";

export function typeBadge(type) {
  const full = type === "HLD" ? "High-level design" : "Low-level design";
  return h("span", { class: `badge type-${String(type).toLowerCase()}`, title: full }, type);
}

export function difficultyBadge(difficulty) {
  return h("span", { class: `badge difficulty-${difficulty}` }, capitalise(difficulty));
}

export function companyBadge(company) {
  const logo = company.logo_url ? safeUrl(company.logo_url) : null;
  return h("span", { class: "badge company" },
    logo ? h("img", { src: logo, alt: "", width: 14, height: 14, loading: "lazy" }) : null,
    company.name);
}

/** A session's phase, in the server's words. */
export function statusBadge(status) {
  return h("span", { class: `badge status-${status}` }, phaseLabel(status));
}

export function scoreBadge(score) {
  if (score === null || score === undefined) return h("span", { class: "muted" }, "—");
  const band = score >= 75 ? "good" : score >= 50 ? "fair" : "low";
  return h("span", { class: `score score-${band}`, "aria-label": `Score ${score} out of 100` },
    String(score));
}
