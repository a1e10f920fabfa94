// The replay's event list: one line per moment (runs of edits to one section and of streamed
// evaluation text are folded into one line); each line jumps the replay there.

import { fmtClock, h } from "../dom.js";
import { sectionLabelFor } from "../vocabulary.js";

function describe(ev, names, questionType) {
  switch (ev.type) {
    case "session.started":
      return ev.mode === "timed"
        ? `Started, timed (${fmtClock(ev.durations.clarifying)} + ${fmtClock(ev.durations.design)})`
        : "Started, untimed";
    case "clarification.asked": return `Asked: “${ev.question}”`;
    case "clarification.answered": return `Answered (${ev.answered_by}): “${ev.answer}”`;
    case "phase.changed": return `${ev.from_phase} → ${ev.to_phase}${ev.reason === "timer" ? " (time ran out)" : ""}`;
    case "draft.updated": return `Edited ${sectionLabelFor(ev.section, questionType)}`;
    case "timer.warning": return `Time warning (${ev.phase})`;
    case "presence.joined": return `${ev.name} joined (${ev.role})`;
    case "presence.left": return `${names[ev.user_id] || "Someone"} left`;
    case "hint.given": return `Hint: “${ev.text}”`;
    case "note.added": return `Private note: “${ev.text}”`;
    case "answer_mode.changed": return ev.mode === "human" ? "A human answers now" : "The notes answer now";
    case "solution.submitted": return ev.reason === "timer" ? "Submitted when time ran out" : "Submitted";
    case "session.abandoned": return "Abandoned";
    case "evaluation.started": return "Evaluation started";
    case "evaluation.delta": return "Evaluation written";
    case "evaluation.completed": return `Evaluated: ${ev.result?.score ?? "?"} / 100`;
    case "evaluation.failed": return `Evaluation failed: ${ev.reason}`;
    default: return ev.type;
  }
}

function sameRun(a, b) {
  if (a.type !== b.type) return false;
  return a.type === "evaluation.delta" || (a.type === "draft.updated" && a.section === b.section);
}

/** el: the list; mark(index): highlights the line holding event `index`. questionType ("LLD"
 * or "HLD") names the sections. */
export function describeLog(events, onPick, questionType) {
  const start = events[0]?.ts ?? 0;
  const names = {};
  const groups = [];
  events.forEach((ev, i) => {
    if (ev.type === "presence.joined") names[ev.user_id] = ev.name;
    const last = groups[groups.length - 1];
    if (last && sameRun(events[last.first], ev)) last.last = i;
    else groups.push({ first: i, last: i, text: describe(ev, names, questionType) });
  });
  const items = groups.map((group) => {
    const button = h("button", { class: "log-line", onclick: () => onPick(group.last) },
      h("span", { class: "log-time" }, fmtClock(events[group.first].ts - start)),
      h("span", { class: "log-text" }, group.text),
      group.last > group.first ? h("span", { class: "muted" }, ` ×${group.last - group.first + 1}`) : null);
    return h("li", {}, button);
  });
  const list = h("ol", { class: "event-log" }, items);
  const el = h("section", { class: "panel log", "aria-labelledby": "log-title" },
    h("h2", { id: "log-title" }, "Events"), list);
  let marked = null;
  return {
    el,
    mark(index) {
      const at = groups.findIndex((g) => index >= g.first && index <= g.last);
      if (at === marked) return;
      if (marked !== null && items[marked]) {
        items[marked].classList.remove("current");
        items[marked].firstChild.removeAttribute("aria-current");
      }
      marked = at;
      if (at >= 0) {
        items[at].classList.add("current");
        items[at].firstChild.setAttribute("aria-current", "true");
        // Scroll the list only, never the page under the reader.
        const item = items[at];
        if (item.offsetTop < list.scrollTop || item.offsetTop + item.offsetHeight > list.scrollTop + list.clientHeight) {
          list.scrollTop = item.offsetTop - list.clientHeight / 2;
        }
      }
    },
  };
}
