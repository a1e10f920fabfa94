// Where the interview is: the served phases from the first to the first terminal one
// (clarifying → design → submitted → evaluating → evaluated); a session that ended early says so.

import { h } from "../dom.js";
import { phaseLabel, progressPhases } from "../vocabulary.js";

// The bar names its steps as actions; every other step takes the served label.
const STEP_LABELS = { clarifying: "Clarify", design: "Design" };
const ENDED = { abandoned: "This session was abandoned.", expired: "This session expired." };

export function phaseBar() {
  const phases = progressPhases();
  const items = phases.map((phase) => h("li", { dataset: { phase } }, STEP_LABELS[phase] || phaseLabel(phase)));
  const ended = h("p", { class: "phase-ended", hidden: true });
  const el = h("nav", { class: "phasebar", "aria-label": "Interview phase" },
    h("ol", {}, items), ended);
  let shown = null;

  function update(state) {
    if (state.phase === shown) return;
    shown = state.phase;
    const current = phases.indexOf(state.phase);
    items.forEach((item, index) => {
      item.classList.toggle("done", current >= 0 && index < current);
      item.classList.toggle("current", index === current);
      if (index === current) item.setAttribute("aria-current", "step");
      else item.removeAttribute("aria-current");
    });
    ended.hidden = current >= 0;
    ended.textContent = current >= 0 ? "" : ENDED[state.phase] || `${phaseLabel(state.phase)}.`;
  }
  return { el, update };
}
