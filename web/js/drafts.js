// The candidate's solution as typed: kept in the page and in localStorage until the room has
// it, so neither a dropped connection nor a reload loses a keystroke.

// Long enough to send once per pause in typing, short enough that an observer sees it live.
const DEBOUNCE_MS = 400;

const PHASE_OVER = new Set(["phase_illegal"]);

export class DraftBuffer {
  /** send(section, text) returns the command's promise; changed(section) redraws its status. */
  constructor(sessionId, send, changed) {
    this.storageKey = `interview-rooms.draft.${sessionId}`;
    this.send = send;
    this.changed = changed;
    this.local = {}; // section -> text typed here that the room does not hold yet
    this.server = {}; // section -> the room's text
    this.errors = {};
    this.timers = {};
    this.online = false;
  }

  /** Takes the room's draft; text typed before a reload and never saved is kept and sent. */
  seed(draft) {
    this.server = { ...draft };
    let unsaved = {};
    try {
      unsaved = JSON.parse(localStorage.getItem(this.storageKey)) || {};
    } catch {
      unsaved = {};
    }
    for (const [section, text] of Object.entries(unsaved)) {
      if (text !== this.server[section]) this.edit(section, text);
    }
    this.persist();
  }

  /** The room was rebuilt without its latest events: every section this tab last saw in the
   * room (or still holds unsent) that the rebuilt room lacks is sent again. */
  resynced(draft) {
    const known = { ...this.server, ...this.local };
    for (const [section, text] of Object.entries(known)) {
      if (text !== (draft[section] ?? "")) this.edit(section, text);
    }
  }

  text(section) {
    return section in this.local ? this.local[section] : this.server[section] ?? "";
  }

  edit(section, text) {
    this.local[section] = text;
    delete this.errors[section];
    this.persist();
    clearTimeout(this.timers[section]);
    this.timers[section] = setTimeout(() => this.flush(section), DEBOUNCE_MS);
    this.changed(section);
  }

  /** Sends a section now (on blur, before submit). */
  async flush(section) {
    clearTimeout(this.timers[section]);
    delete this.timers[section];
    if (!(section in this.local)) return;
    const text = this.local[section];
    if (text === this.server[section]) {
      this.confirmed(section, text);
      return;
    }
    try {
      const ack = await this.send(section, text);
      if (!ack.superseded) this.confirmed(section, text);
    } catch (error) {
      // A refusal of text the box no longer holds (fixed since) is not the box's state.
      if (this.local[section] !== text) return;
      this.errors[section] = PHASE_OVER.has(error.code)
        ? "Not saved: this phase is over. Copy your text if you need it."
        : `Not saved: ${error.message}`;
      this.changed(section);
    }
  }

  flushAll() {
    return Promise.all(Object.keys(this.local).map((section) => this.flush(section)));
  }

  /** The room now holds `text` for the section (our own edit coming back, or a snapshot). */
  roomHas(section, text) {
    this.server[section] = text;
    if (this.local[section] === text) this.confirmed(section, text);
  }

  confirmed(section, text) {
    this.server[section] = text;
    if (this.local[section] === text) {
      delete this.errors[section];
      delete this.local[section];
      this.persist();
    }
    this.changed(section);
  }

  setOnline(online) {
    this.online = online;
    for (const section of Object.keys(this.local)) this.changed(section);
  }

  /** saved | saving | offline | error, and a message for error. */
  status(section) {
    if (this.errors[section]) return ["error", this.errors[section]];
    if (!(section in this.local)) return ["saved", "Saved"];
    return this.online ? ["saving", "Saving…"] : ["offline", "Kept here; saves on reconnect"];
  }

  get dirty() {
    return Object.keys(this.local).length > 0;
  }

  persist() {
    if (Object.keys(this.local).length) localStorage.setItem(this.storageKey, JSON.stringify(this.local));
    else localStorage.removeItem(this.storageKey);
  }

  stop() {
    for (const timer of Object.values(this.timers)) clearTimeout(timer);
  }
}
