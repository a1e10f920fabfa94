// The room's vocabulary as the server serves it (GET /config `vocabulary`, built from domain/
// in server/system/config.py): solution sections, languages, phases, limits, client command
// types and close codes. The page reads it once at start and keeps no copy of its own; only
// the page's wording (placeholders, messages) is keyed by the served names, and every lookup
// falls back to something readable for a name it does not know.

// The draft part that holds the code's language rather than text.
export const LANGUAGE_PART = "language";

let served = null;
let phaseByName = new Map();
let sectionByName = new Map();
let meaningByCode = new Map();

/** Takes the `vocabulary` object of GET /config. */
export function useVocabulary(vocabulary) {
  served = vocabulary;
  phaseByName = new Map(vocabulary.phases.map((phase) => [phase.name, phase]));
  sectionByName = new Map(vocabulary.sections.map((section) => [section.name, section]));
  meaningByCode = new Map(vocabulary.close_codes.map((close) => [close.code, close.meaning]));
}

export function hasVocabulary() {
  return served !== null;
}

export function vocabulary() {
  if (!served) throw new Error("The server's vocabulary is not loaded yet.");
  return served;
}

function humanise(name) {
  const text = String(name ?? "").replaceAll("_", " ");
  return text ? text[0].toUpperCase() + text.slice(1) : "";
}

/** Every draft part in the room's order, [{name, label}], the language included. */
export function draftParts() {
  return vocabulary().sections;
}

// The question type whose sections are named differently (`hld_label`): a high-level design
// is written as a data model, a design and its deep dives, not as classes and code.
export const HLD = "HLD";

/** The written sections (every part but the language), [{name, label}], labelled as a question
 * of this type ("LLD" or "HLD") names them. */
export function writtenSections(questionType) {
  return draftParts().filter((section) => section.name !== LANGUAGE_PART)
    .map((section) => ({ ...section, label: sectionLabelFor(section.name, questionType) }));
}

/** A part's label as LLD questions (and the language picker) name it. */
export function sectionLabel(name) {
  return sectionByName.get(name)?.label ?? humanise(name);
}

/** A part's label for a question of this type; HLD names fall back to the LLD ones. */
export function sectionLabelFor(name, questionType) {
  const hld = questionType === HLD ? sectionByName.get(name)?.hld_label : null;
  return hld || sectionLabel(name);
}

export function languages() {
  return vocabulary().languages;
}

export function defaultLanguage() {
  return vocabulary().default_language;
}

/** {section_chars, text_chars, min_phase_secs, max_phase_secs} */
export function limits() {
  return vocabulary().limits;
}

export function phaseLabel(name) {
  return phaseByName.get(name)?.label ?? humanise(name);
}

/** The candidate is still writing: clarifying or designing. */
export function isOpen(phase) {
  return Boolean(phaseByName.get(phase)?.open);
}

/** The session is over; an unknown phase counts as over, so nothing offers to act on it. */
export function isTerminal(phase) {
  return phaseByName.get(phase)?.terminal ?? true;
}

/** The way through an interview: every phase up to the first terminal one (the served order
 * lists the way forward first, then the ways a session ends early). */
export function progressPhases() {
  const phases = vocabulary().phases;
  const end = phases.findIndex((phase) => phase.terminal);
  return phases.slice(0, end < 0 ? phases.length : end + 1).map((phase) => phase.name);
}

export function isClientCommand(type) {
  return vocabulary().client_command_types.includes(type);
}

/** What a WebSocket close code means ("unauthorized", "flooding", …), or null if not ours. */
export function closeMeaning(code) {
  return meaningByCode.get(code) ?? null;
}
