// The solution, one editor per section. The candidate types into a DraftBuffer (saved state per
// section); observers and the replay see the room's draft read-only, updated live.

import { capitalise, h, newId } from "../dom.js";
import {
  defaultLanguage, isOpen, LANGUAGE_PART, languages, limits, sectionLabel, writtenSections,
} from "../vocabulary.js";

// The page's wording, keyed by the served section and language names.
const PLACEHOLDERS = {
  functional_req: "What must the system do? One requirement per line.",
  non_functional_req: "Scale, latency, availability, consistency, security…",
  entities: "The nouns of the problem and their key fields.",
  classes_and_relationships: "Classes, interfaces, and how they relate (has-a, is-a, uses).",
  apis: "Public methods or endpoints with inputs and outputs.",
  code: "The core classes and logic.",
  extra: "Trade-offs, assumptions, what you would do next.",
};
const LANGUAGE_NAMES = { python: "Python", java: "Java", go: "Go", cpp: "C++" };
// The section the language picker sits in.
const CODE_SECTION = "code";

/** The served languages, the default first. */
function languageOptions() {
  const first = defaultLanguage();
  return [first, ...languages().filter((name) => name !== first)]
    .map((name) => h("option", { value: name }, LANGUAGE_NAMES[name] || capitalise(name)));
}

/** options: buffer (DraftBuffer, candidate only), role. */
export function editors({ buffer, role }) {
  const overall = h("p", { class: "save-summary", role: "status" });
  const language = h("select", { id: newId("lang") }, languageOptions());
  const rows = new Map();
  const list = h("div", { class: "sections" });
  for (const { name: section, label: title } of writtenSections()) {
    const code = section === CODE_SECTION;
    const textarea = h("textarea", {
      id: newId(section), rows: code ? 10 : 4, spellcheck: !code, maxlength: limits().section_chars,
      dataset: { section },
      class: code ? "code" : null,
    });
    const state = h("span", { class: "save-state", id: `${textarea.id}-state` });
    textarea.setAttribute("aria-describedby", state.id);
    const head = h("div", { class: "section-head" }, h("label", { for: textarea.id }, title),
      code ? h("span", { class: "language" },
        h("label", { for: language.id }, sectionLabel(LANGUAGE_PART)), language) : null,
      buffer ? state : null);
    if (buffer) {
      textarea.addEventListener("input", () => buffer.edit(section, textarea.value));
      textarea.addEventListener("blur", () => buffer.flush(section));
    }
    rows.set(section, { textarea, state });
    list.append(h("div", { class: "section", dataset: { section } }, head, textarea));
  }
  if (buffer) language.addEventListener("change", () => {
    buffer.edit(LANGUAGE_PART, language.value);
    buffer.flush(LANGUAGE_PART);
  });
  const el = h("section", { class: "panel solution", "aria-labelledby": "solution-title" },
    h("div", { class: "panel-head" }, h("h2", { id: "solution-title" }, "Your solution"), buffer ? overall : null),
    list);
  if (!buffer) el.querySelector("h2").textContent = role === "replay" ? "Solution" : "Candidate's solution";

  function showStatus(section) {
    if (!buffer) return;
    const row = rows.get(section);
    if (row) {
      const [kind, text] = buffer.status(section);
      const empty = kind === "saved" && !buffer.text(section);
      row.state.className = `save-state ${kind}${empty ? " empty" : ""}`;
      row.state.textContent = text;
    }
    const kinds = [...rows.keys(), LANGUAGE_PART].map((key) => buffer.status(key)[0]);
    overall.className = "save-summary";
    if (kinds.includes("error")) {
      overall.textContent = "Some text could not be saved";
      overall.classList.add("error");
    } else if (kinds.includes("offline")) {
      overall.textContent = "Offline: your typing is kept and saves on reconnect";
      overall.classList.add("offline");
    } else if (kinds.includes("saving")) {
      overall.textContent = "Saving…";
    } else {
      overall.textContent = "All changes saved";
      overall.classList.add("saved");
    }
  }

  function update(state) {
    const editable = Boolean(buffer) && isOpen(state.phase);
    for (const [section, { textarea }] of rows) {
      const text = buffer ? buffer.text(section) : state.draft[section] ?? "";
      if (textarea.value !== text) textarea.value = text;
      textarea.readOnly = !editable;
      textarea.placeholder = editable ? PLACEHOLDERS[section] : "";
      if (buffer) showStatus(section);
    }
    const lang = buffer ? buffer.text(LANGUAGE_PART) : state.draft[LANGUAGE_PART];
    if (lang && language.value !== lang) language.value = lang;
    language.disabled = !editable;
    if (buffer) showStatus(LANGUAGE_PART);
  }

  return { el, update, showStatus, focusFirst: () => rows.values().next().value?.textarea.focus() };
}
