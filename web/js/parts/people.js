// Who is in the room, hints for the candidate, and the observer's tools: who answers
// clarifications, hints, and private notes the candidate never receives.

import { charCounter, fill, h, newId } from "../dom.js";
import { isOpen, isTerminal, limits } from "../vocabulary.js";

export function presence(myId) {
  const list = h("ul", { class: "presence-list", "aria-live": "polite" });
  const el = h("section", { class: "panel presence", "aria-labelledby": "presence-title" },
    h("h2", { id: "presence-title" }, "In the room"), list);
  let shown = "";
  return {
    el,
    update(state) {
      const entries = Object.entries(state.presence || {});
      const key = JSON.stringify(entries);
      if (key === shown) return;
      shown = key;
      fill(list, entries.length ? entries.map(([id, who]) => h("li", {},
        h("span", { class: `dot role-${who.role}`, "aria-hidden": "true" }),
        who.name, h("span", { class: "muted" }, ` · ${who.role}${id === myId ? " (you)" : ""}`)))
        : h("li", { class: "muted" }, "Nobody is connected."));
    },
  };
}

export function nameOf(state, userId) {
  return state.names?.[userId] || state.presence?.[userId]?.name || "Interviewer";
}

/** A list of hints or notes that only grows; rows are appended, never rebuilt. */
function remarkList(className, emptyText) {
  const list = h("ol", { class: `remarks ${className}` });
  const empty = h("p", { class: "muted" }, emptyText);
  let count = 0;
  return {
    nodes: [empty, list],
    update(items, state) {
      if (items.length < count) { // the replay went back in time
        list.replaceChildren();
        count = 0;
      }
      for (; count < items.length; count += 1) {
        const item = items[count];
        list.append(h("li", {}, h("span", { class: "who" }, nameOf(state, item.by)), item.text));
      }
      empty.hidden = items.length > 0;
    },
  };
}

/** The candidate's hints; onNew(hint, state) hears of each one given after the first update
 * (the live room puts up a notice, since the panel may be out of sight). */
export function hints({ onNew } = {}) {
  const remarks = remarkList("hint-list", "");
  const heading = h("h2", { id: "hints-title", tabindex: "-1" }, "Hints from your interviewer");
  const el = h("section", { class: "panel hints", "aria-labelledby": "hints-title", hidden: true },
    heading, remarks.nodes);
  let known = null;
  return {
    el,
    update(state) {
      el.hidden = !state.hints.length;
      remarks.update(state.hints, state);
      if (known !== null && onNew) for (const hint of state.hints.slice(known)) onNew(hint, state);
      known = state.hints.length;
    },
    /** Brings the hints into view and puts the keyboard there. */
    reveal() {
      el.scrollIntoView({ block: "center" });
      heading.focus({ preventScroll: true });
    },
  };
}

function textForm({ label, button, onSend, rows = 2, done = "Sent" }) {
  const id = newId("text");
  const input = h("textarea", { id, rows, maxlength: limits().text_chars, required: true });
  const status = h("span", { class: "form-status", role: "status" });
  const counter = charCounter(input, limits().text_chars, label);
  const el = h("form", { class: "text-form" }, h("label", { for: id }, label), input, counter.el,
    h("div", { class: "row" }, h("button", { type: "submit", class: "primary" }, button), status));
  el.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    status.textContent = "Sending…";
    try {
      await onSend(text);
      input.value = "";
      counter.update();
      status.textContent = done;
    } catch (error) {
      status.textContent = error.message;
    }
  });
  return { el, input };
}

/** Private notes, read-only (the replay). */
export function notesPanel() {
  const notes = remarkList("note-list", "No notes.");
  const el = h("section", { class: "panel notes", "aria-labelledby": "notes-title" },
    h("h2", { id: "notes-title" }, "Private notes"),
    h("p", { class: "muted" }, "Only observers see these; the candidate never receives them."), notes.nodes);
  return { el, update: (state) => notes.update(state.notes || [], state) };
}

/** The observer's side: answer mode, hints, private notes. */
export function observerTools({ onHint, onNote, onAnswerMode }) {
  const name = newId("mode");
  const radios = ["rules", "human"].map((mode) => h("input", {
    type: "radio", name, value: mode, id: `${name}-${mode}`,
    onchange: async () => {
      modeStatus.textContent = "Switching…";
      try {
        await onAnswerMode(mode);
        modeStatus.textContent = mode === "human" ? "You answer new questions now." : "The notes answer now.";
      } catch (error) {
        modeStatus.textContent = error.message;
      }
    },
  }));
  const modeStatus = h("span", { class: "form-status", role: "status" });
  const mode = h("fieldset", { class: "answer-mode" },
    h("legend", {}, "Who answers clarifications"),
    h("div", { class: "choice" }, radios[0], h("label", { for: radios[0].id }, "The question's notes (instant)")),
    h("div", { class: "choice" }, radios[1], h("label", { for: radios[1].id }, "Me, live (falls back after 90 s)")),
    modeStatus);
  const hint = textForm({ label: "Give the candidate a hint", button: "Send hint", onSend: onHint });
  const hintList = remarkList("hint-list", "No hints given.");
  const notes = remarkList("note-list", "No notes yet.");
  const note = textForm({ label: "Add a private note", button: "Save note", onSend: onNote, rows: 3, done: "Saved" });
  const el = h("div", { class: "observer-tools" },
    h("section", { class: "panel", "aria-labelledby": "tools-title" },
      h("h2", { id: "tools-title" }, "Interviewer"), mode, hint.el,
      h("h3", {}, "Hints given"), hintList.nodes),
    h("section", { class: "panel notes", "aria-labelledby": "notes-title" },
      h("h2", { id: "notes-title" }, "Private notes"),
      h("p", { class: "muted" }, "Only observers see these; the candidate never receives them."),
      notes.nodes, note.el));

  return {
    el,
    update(state) {
      for (const radio of radios) {
        radio.checked = radio.value === state.answer_mode;
        radio.disabled = isTerminal(state.phase);
      }
      const open = isOpen(state.phase);
      hint.input.disabled = !open;
      hint.el.querySelector("button").disabled = !open;
      hintList.update(state.hints, state);
      notes.update(state.notes || [], state);
    },
  };
}
