// The solution, one editor per section. The candidate types into a DraftBuffer (saved state per
// section); observers and the replay see the room's draft read-only, updated live.

import { capitalise, charCount, charCounter, h, newId } from "../dom.js";
import {
  defaultLanguage, HLD, isOpen, LANGUAGE_PART, languages, limits, sectionLabel, writtenSections,
} from "../vocabulary.js";

// The page's wording, keyed by the served section and language names.
const LLD_PLACEHOLDERS = {
  functional_req: "What must the system do? One requirement per line.",
  non_functional_req: "Scale, latency, availability, consistency, security…",
  entities: "The nouns of the problem and their key fields.",
  classes_and_relationships: "Classes, interfaces, and how they relate (has-a, is-a, uses).",
  apis: "Public methods or endpoints with inputs and outputs.",
  code: "The core classes and logic.",
  extra: "Trade-offs, assumptions, what you would do next.",
};
// The same fields as a high-level design fills them (their labels are the served `hld_label`s).
const HLD_PLACEHOLDERS = {
  functional_req: "What the system must do, and for whom; one requirement per line. Say what is out of scope.",
  non_functional_req: "Capacity estimates (users, reads and writes per second, storage per year, bandwidth), then latency, availability, consistency.",
  entities: "The stored records, their key fields, and which store holds each (relational, key-value, blob…).",
  classes_and_relationships: "The components and how a request flows through them: clients, load balancers, services, caches, queues, databases.",
  apis: "The endpoints: method, path, parameters, response and errors.",
  code: "Two or three hard parts in depth: e.g. ID generation, sharding, caching and hot keys, failures.",
  extra: "Trade-offs you made, bottlenecks, what you would do next.",
};
const LANGUAGE_NAMES = { python: "Python", java: "Java", go: "Go", cpp: "C++" };
// The section the language picker sits in.
const CODE_SECTION = "code";
// Under this many characters in all, or with half the sections empty, an answer is "almost empty".
const ALMOST_EMPTY_CHARS = 200;
const INDENT = "    ";

/** The served languages, the default first. */
function languageOptions() {
  const first = defaultLanguage();
  return [first, ...languages().filter((name) => name !== first)]
    .map((name) => h("option", { value: name }, LANGUAGE_NAMES[name] || capitalise(name)));
}

/** options: buffer (DraftBuffer, candidate only), role, questionType ("LLD" or "HLD"). */
export function editors({ buffer, role, questionType }) {
  const hld = questionType === HLD;
  const placeholders = hld ? HLD_PLACEHOLDERS : LLD_PLACEHOLDERS;
  const overall = h("p", { class: "save-summary", role: "status" });
  const language = h("select", { id: newId("lang") }, languageOptions());
  const rows = new Map();
  const list = h("div", { class: "sections" });
  for (const { name: section, label: title } of writtenSections(questionType)) {
    // An HLD's "code" field holds its deep dives: prose, with no language to pick.
    const code = section === CODE_SECTION && !hld;
    // No maxlength: a paste over the limit would be cut without a word; the counter says it.
    const textarea = h("textarea", {
      id: newId(section), rows: code ? 10 : section === CODE_SECTION ? 8 : 4, spellcheck: !code, dataset: { section },
      class: code ? "code" : null,
    });
    const state = h("span", { class: "save-state", id: `${textarea.id}-state` });
    const keys = code && buffer ? h("small", { class: "hint code-hint", id: `${textarea.id}-keys` },
      "Tab indents, Shift+Tab outdents. To leave the box with the keyboard, press Esc then Tab.") : null;
    textarea.setAttribute("aria-describedby", [state.id, keys?.id].filter(Boolean).join(" "));
    const counter = buffer ? charCounter(textarea, limits().section_chars, title) : null;
    const head = h("div", { class: "section-head" }, h("label", { for: textarea.id }, title),
      code ? h("span", { class: "language" },
        h("label", { for: language.id }, sectionLabel(LANGUAGE_PART)), language) : null,
      buffer ? state : null);
    if (buffer) {
      textarea.addEventListener("input", () => buffer.edit(section, textarea.value));
      textarea.addEventListener("blur", () => buffer.flush(section));
      if (code) indentWithTab(textarea);
    }
    rows.set(section, { textarea, state, counter, label: title });
    list.append(h("div", { class: "section", dataset: { section } }, head, textarea, counter?.el, keys));
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

  /** What submitting now would lose or leave empty, for the confirmation. */
  function review() {
    const limit = limits().section_chars;
    const unsaved = [];
    const empty = [];
    let chars = 0;
    for (const [section, { label }] of rows) {
      const text = buffer.text(section);
      const count = charCount(text);
      const [kind, message] = buffer.status(section);
      chars += text.trim() ? count : 0;
      if (!text.trim()) empty.push(label);
      if (count > limit) {
        unsaved.push({ label, reason: `${(count - limit).toLocaleString()} characters over the limit of ${limit.toLocaleString()}; not saved` });
      } else if (kind === "error") unsaved.push({ label, reason: message });
      else if (kind === "offline") unsaved.push({ label, reason: "kept in this tab only; the room does not have it yet" });
      else if (kind === "saving") unsaved.push({ label, reason: "still saving" });
    }
    const almostEmpty = chars < ALMOST_EMPTY_CHARS || empty.length * 2 >= rows.size;
    return { unsaved, empty, almostEmpty };
  }

  function update(state) {
    const editable = Boolean(buffer) && isOpen(state.phase);
    for (const [section, { textarea, counter }] of rows) {
      const text = buffer ? buffer.text(section) : state.draft[section] ?? "";
      if (textarea.value !== text) textarea.value = text;
      textarea.readOnly = !editable;
      textarea.placeholder = editable ? placeholders[section] : "";
      if (buffer) {
        showStatus(section);
        counter.update();
      }
    }
    for (const hint of list.querySelectorAll(".code-hint")) hint.hidden = !editable;
    const lang = buffer ? buffer.text(LANGUAGE_PART) : state.draft[LANGUAGE_PART];
    if (lang && language.value !== lang) language.value = lang;
    language.disabled = !editable;
    if (buffer) showStatus(LANGUAGE_PART);
  }

  return {
    el, update, showStatus, review,
    focusFirst: () => rows.values().next().value?.textarea.focus(),
  };
}

/** Tab indents and Shift+Tab outdents the line(s); Esc then Tab leaves the box as usual. */
function indentWithTab(textarea) {
  let leaving = false;
  textarea.addEventListener("blur", () => { leaving = false; });
  textarea.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      leaving = true;
      return;
    }
    if (event.key === "Shift") return;
    const plainTab = event.key === "Tab" && !event.ctrlKey && !event.altKey && !event.metaKey;
    if (!plainTab || leaving || textarea.readOnly) {
      leaving = false;
      return;
    }
    event.preventDefault();
    indent(textarea, event.shiftKey);
  });
}

function indent(textarea, outdent) {
  const { value, selectionStart: start, selectionEnd: end } = textarea;
  const several = value.slice(start, end).includes("\n");
  if (!outdent && !several) {
    replaceText(textarea, start, end, INDENT);
    return;
  }
  const from = value.lastIndexOf("\n", start - 1) + 1;
  const last = end > start && value[end - 1] === "\n" ? end - 1 : end;
  const lineEnd = value.indexOf("\n", last);
  const to = lineEnd < 0 ? value.length : lineEnd;
  const lines = value.slice(from, to).split("\n");
  const changed = lines.map((line) => (outdent ? line.replace(/^(?: {1,4}|\t)/, "") : INDENT + line));
  const text = changed.join("\n");
  if (text === value.slice(from, to)) return;
  replaceText(textarea, from, to, text);
  if (several) textarea.setSelectionRange(from, from + text.length);
  else {
    const caret = Math.max(from, start - (lines[0].length - changed[0].length));
    textarea.setSelectionRange(caret, caret);
  }
}

/** Replaces a range as typing would: the browser's undo keeps it and an input event follows. */
function replaceText(textarea, from, to, text) {
  textarea.setSelectionRange(from, to);
  const done = text ? document.execCommand("insertText", false, text) : document.execCommand("delete");
  if (!done) {
    textarea.setRangeText(text, from, to, "end");
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
  }
}
