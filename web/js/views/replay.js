// Replay: a session's event log played back through the same parts as the live room, with a
// timeline scrubber, play/pause, speed, and an event list to jump from.

import { api } from "../api.js";
import { fmtClock, h } from "../dom.js";
import { applyEvent } from "../state.js";
import { isOpen } from "../vocabulary.js";
import { chat } from "../parts/chat.js";
import { countdown } from "../parts/countdown.js";
import { editors } from "../parts/editors.js";
import { evaluation } from "../parts/evaluation.js";
import { phaseBar } from "../parts/phasebar.js";
import { hints, notesPanel } from "../parts/people.js";
import { questionBody, questionHeader } from "../parts/question.js";
import { describeLog } from "../parts/eventlog.js";
import { modelAnswer } from "../parts/modelanswer.js";

const TICK_MS = 100;
const SPEEDS = [1, 2, 5, 10, 30, 60];
const EVENTS_PAGE = 1000;

async function loadEvents(id) {
  const events = [];
  let after = 0;
  for (;;) {
    const page = await api(`/sessions/${id}/events?after=${after}&limit=${EVENTS_PAGE}`);
    events.push(...page.events);
    if (page.next_after === null || page.next_after === undefined) return events;
    after = page.next_after;
  }
}

export async function replayView(root, { id }) {
  const [view, events] = await Promise.all([api(`/sessions/${id}`), loadEvents(id)]);
  const title = questionHeader(view.question, "Replay");
  if (!events.length) {
    root.replaceChildren(title, h("p", { class: "panel muted" }, "This session has no recorded events yet."));
    return null;
  }
  const start = events[0].ts;
  const length = Math.max(1, Math.ceil(events[events.length - 1].ts - start));
  let position = 0; // seconds since the first event
  let index = -1; // last applied event
  let state = null;
  let playing = false;
  let timer = null;

  const questionType = view.question.type;
  const clock = { remaining: (deadline) => (typeof deadline === "number" ? Math.max(0, deadline - (start + position)) : null) };
  const parts = [phaseBar(), countdown(clock, { quiet: true }), chat({ role: "replay" }), hints(),
    evaluation({ questionType }), editors({ buffer: null, role: "replay", questionType })];
  const notes = view.role === "observer" ? notesPanel() : null;
  if (notes) parts.push(notes);
  // A finished session's model answer, shown once the replay is past the design phase.
  const model = isOpen(view.phase) ? null
    : modelAnswer({ load: () => api(`/sessions/${encodeURIComponent(id)}/model-answer`) });
  if (model) parts.push(model);

  const play = h("button", { class: "primary", onclick: toggle }, "Play");
  const speed = h("select", { id: "replay-speed" }, SPEEDS.map((s) => h("option", { value: s, selected: s === 10 }, `${s}×`)));
  const scrubber = h("input", { id: "replay-scrubber", type: "range", min: 0, max: length, step: 1, value: 0 });
  const time = h("output", { for: "replay-scrubber", class: "replay-time" });
  const log = describeLog(events, (eventIndex) => { pause(); seekTo(events[eventIndex].ts - start); },
    questionType);
  const controls = h("div", { class: "replay-controls panel", role: "group", "aria-label": "Replay controls" },
    h("button", { class: "secondary", onclick: () => jump(-1) }, "‹ Previous event"),
    play,
    h("button", { class: "secondary", onclick: () => jump(1) }, "Next event ›"),
    h("div", { class: "field" }, h("label", { for: speed.id }, "Speed"), speed),
    h("div", { class: "field grow" }, h("label", { for: scrubber.id }, "Timeline"), scrubber),
    time);

  const room = h("div", { class: "room replay" },
    h("header", { class: "room-head" }, title, h("div", { class: "room-status" }, parts[1].el)),
    parts[0].el, controls,
    h("div", { class: "room-grid" },
      h("div", { class: "col-left" }, questionBody(view.question, false), parts[2].el, parts[3].el),
      h("div", { class: "col-main" }, parts[4].el, model?.el, parts[5].el),
      h("div", { class: "col-side" }, log.el, notes?.el)));
  root.replaceChildren(room);

  function seekTo(seconds) {
    position = Math.min(length, Math.max(0, seconds));
    const target = lastIndexAt(start + position);
    if (target < index) {
      index = -1;
      state = null;
    }
    for (; index < target; index += 1) state = applyEvent(state, events[index + 1]);
    scrubber.value = String(Math.floor(position));
    scrubber.setAttribute("aria-valuetext", `${fmtClock(position)} of ${fmtClock(length)}`);
    time.textContent = `${fmtClock(position)} / ${fmtClock(length)}`;
    if (state) for (const part of parts) part.update(state);
    room.dataset.phase = state?.phase ?? "";
    log.mark(index);
  }

  function lastIndexAt(ts) {
    let found = 0;
    for (let i = 0; i < events.length && events[i].ts <= ts + 1e-6; i += 1) found = i;
    return found;
  }

  function jump(direction) {
    pause();
    const next = Math.min(events.length - 1, Math.max(0, index + direction));
    seekTo(events[next].ts - start);
  }

  function toggle() {
    if (playing) pause();
    else {
      if (position >= length) seekTo(0);
      playing = true;
      play.textContent = "Pause";
      let last = performance.now();
      timer = setInterval(() => {
        const now = performance.now();
        seekTo(position + ((now - last) / 1000) * Number(speed.value));
        last = now;
        if (position >= length) pause();
      }, TICK_MS);
    }
  }

  function pause() {
    playing = false;
    clearInterval(timer);
    play.textContent = position >= length ? "Play again" : "Play";
  }

  scrubber.addEventListener("input", () => { pause(); seekTo(Number(scrubber.value)); });
  seekTo(0);
  return () => clearInterval(timer);
}
