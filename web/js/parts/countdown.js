// The phase's time left, from the server's deadline and the server's clock.

import { announce, fmtClock, h } from "../dom.js";

// The warning state starts this long before the deadline (or at the server's timer.warning).
const WARNING_SECS = 60;
const TICK_MS = 250;

export function countdown(clock, { quiet = false } = {}) {
  const value = h("span", { class: "countdown-value" }, "—");
  const label = h("span", { class: "countdown-label" }, "Time left");
  const el = h("div", { class: "countdown", role: "timer", "aria-label": "Time left in this phase" },
    label, value);
  let state = null;
  let warnedFor = null;

  function render() {
    if (!state) return;
    const untimed = state.mode !== "timed";
    el.hidden = !untimed && typeof state.deadline !== "number"; // the clock stopped at submit
    if (untimed || el.hidden) {
      label.textContent = "Untimed";
      value.textContent = "∞";
      el.classList.remove("warning", "expired");
      return;
    }
    const left = clock.remaining(state.deadline);
    label.textContent = `${state.phase === "clarifying" ? "Clarifying" : "Design"} time left`;
    value.textContent = fmtClock(left);
    const warning = left <= WARNING_SECS || state.warned;
    el.classList.toggle("warning", warning && left > 0);
    el.classList.toggle("expired", left <= 0);
    if (warning && !quiet && warnedFor !== state.deadline) {
      warnedFor = state.deadline;
      announce(`${fmtClock(left)} left in the ${state.phase} phase.`);
    }
  }

  const timer = quiet ? null : setInterval(render, TICK_MS);
  return {
    el,
    update(next) {
      state = next;
      render();
    },
    stop() {
      clearInterval(timer);
    },
  };
}
