// Where the interview is: clarifying → design → submitted → evaluating → evaluated.

import { h } from "../dom.js";
import { PHASES } from "../state.js";

const LABELS = {
  clarifying: "Clarify", design: "Design", submitted: "Submitted", evaluating: "Evaluating",
  evaluated: "Evaluated",
};

export function phaseBar() {
  const items = PHASES.map((phase) => h("li", { dataset: { phase } }, LABELS[phase]));
  const ended = h("p", { class: "phase-ended", hidden: true });
  const el = h("nav", { class: "phasebar", "aria-label": "Interview phase" },
    h("ol", {}, items), ended);
  let shown = null;

  function update(state) {
    if (state.phase === shown) return;
    shown = state.phase;
    const current = PHASES.indexOf(state.phase);
    items.forEach((item, index) => {
      item.classList.toggle("done", current >= 0 && index < current);
      item.classList.toggle("current", index === current);
      if (index === current) item.setAttribute("aria-current", "step");
      else item.removeAttribute("aria-current");
    });
    ended.hidden = current >= 0;
    ended.textContent = state.phase === "abandoned" ? "This session was abandoned."
      : state.phase === "expired" ? "This session expired." : "";
  }
  return { el, update };
}
