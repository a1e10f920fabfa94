// The room's state in the page: a fold over its events, the same rules as domain/room.py's
// `evolve`, so the live room and the replay show the same thing.

import { defaultLanguage, draftParts, LANGUAGE_PART } from "./vocabulary.js";

function emptyDraft() {
  const draft = Object.fromEntries(draftParts().map(({ name }) => [name, ""]));
  draft[LANGUAGE_PART] = defaultLanguage();
  return draft;
}

/** State from a SessionView (GET /sessions/{id}). */
export function fromView(view) {
  return {
    session_id: view.id,
    phase: view.phase,
    mode: view.mode,
    durations: view.durations,
    max_clarifications: view.max_clarifications,
    answer_mode: view.answer_mode,
    started_at: view.started_at,
    deadline: view.deadline,
    warned: false,
    clarifications: view.clarifications,
    draft: { ...emptyDraft(), ...view.draft },
    presence: view.presence,
    hints: view.hints,
    notes: view.notes,
    evaluator: view.evaluator,
    evaluation_text: view.evaluation_text,
    evaluation: view.evaluation,
    failure: view.failure,
    submitted_at: view.submitted_at,
    followups: view.followups || [],
    followup_requested_at: view.followup_requested_at ?? null,
    names: namesOf(view.presence),
  };
}

// Names of everyone seen in the room (the page's own addition: remarks name their author even
// after they left).
function namesOf(presence) {
  return Object.fromEntries(Object.entries(presence || {}).map(([id, who]) => [id, who.name]));
}

/** State from a `snapshot` frame. */
export function fromSnapshot(frame, previous) {
  const state = frame.state;
  return { ...state, draft: { ...emptyDraft(), ...state.draft }, notes: state.notes || [],
    followups: state.followups || [], followup_requested_at: state.followup_requested_at ?? null,
    names: { ...previous?.names, ...namesOf(state.presence) } };
}

function started(ev) {
  return {
    session_id: ev.session_id,
    question_id: ev.question_id,
    phase: "clarifying",
    mode: ev.mode,
    durations: ev.durations,
    max_clarifications: ev.max_clarifications,
    answer_mode: ev.answer_mode,
    started_at: ev.at,
    deadline: ev.deadline,
    warned: false,
    clarifications: [],
    draft: emptyDraft(),
    presence: {},
    hints: [],
    notes: [],
    evaluator: null,
    evaluation_text: "",
    evaluation: null,
    failure: null,
    submitted_at: null,
    followups: [],
    followup_requested_at: null,
    names: {},
  };
}

const EVOLVE = {
  "session.started": (s, ev) => started(ev),
  "clarification.asked": (s, ev) => ({
    ...s,
    clarifications: [...s.clarifications,
      { id: ev.clarification_id, question: ev.question, asked_by: ev.by, asked_at: ev.at,
        answer: null, answered_by: null, rule_intent: null, confidence: null }],
  }),
  "clarification.answered": (s, ev) => ({
    ...s,
    clarifications: s.clarifications.map((c) => (c.id === ev.clarification_id
      ? { ...c, answer: ev.answer, answered_by: ev.answered_by, rule_intent: ev.rule_intent ?? null,
        confidence: ev.confidence ?? null } : c)),
  }),
  "phase.changed": (s, ev) => ({ ...s, phase: ev.to_phase, deadline: ev.deadline, warned: false }),
  "draft.updated": (s, ev) => ({ ...s, draft: { ...s.draft, [ev.section]: ev.text } }),
  "timer.warning": (s) => ({ ...s, warned: true }),
  "presence.joined": (s, ev) => ({
    ...s,
    presence: { ...s.presence, [ev.user_id]: { role: ev.role, name: ev.name } },
    names: { ...s.names, [ev.user_id]: ev.name },
  }),
  "presence.left": (s, ev) => {
    const presence = { ...s.presence };
    delete presence[ev.user_id];
    return { ...s, presence };
  },
  "hint.given": (s, ev) => ({ ...s, hints: [...s.hints, { text: ev.text, by: ev.by }] }),
  "note.added": (s, ev) => ({ ...s, notes: [...s.notes, { text: ev.text, by: ev.by }] }),
  "answer_mode.changed": (s, ev) => ({ ...s, answer_mode: ev.mode }),
  "followup.requested": (s, ev) => ({ ...s, followup_requested_at: ev.at }),
  "followup.asked": (s, ev) => ({
    ...s,
    followups: [...s.followups,
      { id: ev.followup_id, question: ev.question, asked_by: ev.asked_by, asked_at: ev.at,
        origin: ev.origin, trigger: ev.trigger, section: ev.section ?? null, answer: null,
        answered_at: null }],
    followup_requested_at: ev.trigger === "request" ? null : s.followup_requested_at,
  }),
  "followup.answered": (s, ev) => ({
    ...s,
    followups: s.followups.map((f) => (f.id === ev.followup_id
      ? { ...f, answer: ev.text, answered_at: ev.at } : f)),
  }),
  // The submitted draft is the whole solution; it replaces the room's, as in domain/room.py.
  "solution.submitted": (s, ev) => ({ ...s, draft: { ...ev.draft }, submitted_at: ev.at }),
  "session.abandoned": (s) => s,
  "evaluation.started": (s, ev) => ({
    ...s, evaluator: ev.evaluator, evaluation_text: "", evaluation: null, failure: null,
  }),
  "evaluation.delta": (s, ev) => ({ ...s, evaluation_text: s.evaluation_text + ev.text }),
  "evaluation.completed": (s, ev) => ({ ...s, evaluation: ev.result }),
  "evaluation.failed": (s, ev) => ({ ...s, failure: ev.reason }),
};

/** The state after one room event; unknown event types leave it as it was. */
export function applyEvent(state, event) {
  const evolve = EVOLVE[event.type];
  if (!evolve || (!state && event.type !== "session.started")) return state;
  return evolve(state, event);
}

/** The system's follow-up questions asked so far (an interviewer's do not count). */
export function systemFollowups(state) {
  return (state.followups || []).filter((f) => f.origin !== "interviewer");
}

export function clarificationsLeft(state) {
  return Math.max(0, state.max_clarifications - state.clarifications.length);
}
