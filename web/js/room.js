// The live room's WebSocket client (docs/protocol.md).
//
// It remembers the last event seq it saw and reconnects with ?after=<seq>, so it receives
// exactly what it missed. Every command carries an id and stays pending until the server acks
// or refuses it; after a reconnect, pending commands are sent again with the same ids, which
// the server applies once. Nothing the user did is dropped by a flaky network.

import { accessToken, accessTokenRenewsAt, refresh } from "./api.js";
import { closeMeaning, isClientCommand } from "./vocabulary.js";

// Reconnect quickly after a blip, then back off so a down server is not hammered.
const BACKOFF_FIRST_MS = 300;
const BACKOFF_MAX_MS = 10_000;
// The server sends a heartbeat every ~25 s (±20%); two missed means the connection is dead.
const SILENCE_LIMIT_MS = 65_000;
// A ping now and then keeps the page's clock close to the server's.
const PING_EVERY_MS = 30_000;
// A `room_busy` or rate-limited command is tried again after this pause.
const RETRY_BUSY_MS = 400;
// The socket closes when its access token expires unless a fresh one is sent on it (`auth`);
// a renewal that failed (the network) is tried again after this pause.
const RENEW_RETRY_MS = 5_000;

// Closes after which reconnecting cannot help, keyed by the meaning the server serves for each
// close code (GET /config). "unauthorized" first tries a refresh; "flooding" backs off; any
// other close, ours or unknown, is a dropped connection and is retried.
const FATAL_CLOSES = {
  bad_request: "The room address is not valid.",
  forbidden: "This page's address is not allowed to open the room (check ALLOWED_ORIGINS).",
  not_found: "This session does not exist, or you are not allowed to see it.",
};
const SIGNED_OUT = "Your sign-in has ended. Please sign in again.";

export class RoomSocket {
  /**
   * handlers: frame(frame) for snapshots and room events, status(state, detail) with state one of
   * connecting | open | reconnecting | closed, fatal(message, meaning) with meaning a served
   * close meaning ("unauthorized", "not_found", …), clock(serverTime, rttMs).
   */
  constructor(sessionId, lastSeq, handlers, epoch = null) {
    this.sessionId = sessionId;
    this.lastSeq = lastSeq;
    this.epoch = epoch; // the room's epoch lastSeq counts in (GET /sessions/{id} says)
    this.handlers = handlers;
    this.pending = new Map(); // id -> {command, resolve, reject, key}
    this.prefix = Math.random().toString(36).slice(2, 8);
    this.counter = 0;
    this.attempts = 0;
    this.stopped = false;
    this.ws = null;
    this.pings = new Map();
    this.onOnline = () => this.reconnectNow();
    window.addEventListener("online", this.onOnline);
  }

  get open() {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  start() {
    this.connect();
    this.pingTimer = setInterval(() => this.ping(), PING_EVERY_MS);
  }

  stop() {
    this.stopped = true;
    clearInterval(this.pingTimer);
    clearTimeout(this.retryTimer);
    clearTimeout(this.silenceTimer);
    clearTimeout(this.renewTimer);
    window.removeEventListener("online", this.onOnline);
    this.ws?.close(1000, "leaving");
    for (const entry of this.pending.values()) entry.reject(new CommandError("closed", "You left the room."));
    this.pending.clear();
  }

  /**
   * Sends a command; resolves with its ack, rejects with a CommandError. Commands with the same
   * `key` (a section's draft) replace an older one still waiting for a connection.
   */
  send(type, fields = {}, key = null) {
    if (!isClientCommand(type)) {
      return Promise.reject(new CommandError("unknown_type", `The room does not take ${type} commands.`));
    }
    this.counter += 1;
    const id = `${this.prefix}-${this.counter}`;
    const command = { type, id, ...fields };
    if (key && !this.open) {
      for (const [oldId, entry] of this.pending) {
        if (entry.key === key) {
          this.pending.delete(oldId);
          entry.resolve({ type: "ack", id: oldId, superseded: true });
        }
      }
    }
    return new Promise((resolve, reject) => {
      this.pending.set(id, { command, resolve, reject, key });
      if (this.open) this.ws.send(JSON.stringify(command));
    });
  }

  ping() {
    if (!this.open) return;
    this.counter += 1;
    const id = `${this.prefix}-p${this.counter}`;
    this.pings.set(id, performance.now());
    this.ws.send(JSON.stringify({ type: "ping", id }));
  }

  async connect() {
    if (this.stopped || this.connecting) return;
    this.connecting = true;
    this.handlers.status(this.attempts ? "reconnecting" : "connecting");
    let token;
    try {
      token = await accessToken();
    } catch (error) {
      token = null;
      if (error.code === "network" || error.status >= 500) {
        this.connecting = false;
        this.scheduleReconnect(null); // the server is away, not the sign-in
        return;
      }
    } finally {
      this.connecting = false;
    }
    if (!token) {
      this.handlers.fatal(SIGNED_OUT, "unauthorized");
      return;
    }
    if (this.stopped) return;
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    // `after` counts within an epoch: a room rebuilt since answers with a fresh snapshot.
    const query = this.lastSeq > 0
      ? `?after=${this.lastSeq}${this.epoch === null ? "" : `&epoch=${this.epoch}`}` : "";
    const ws = new WebSocket(`${scheme}//${location.host}/ws/sessions/${this.sessionId}${query}`,
      ["bearer", token]);
    this.ws = ws;
    ws.onopen = () => this.opened(ws);
    ws.onmessage = (message) => this.received(ws, message);
    ws.onclose = (event) => this.closed(ws, event);
  }

  opened(ws) {
    if (ws !== this.ws) return;
    this.attempts = 0;
    this.handlers.status("open");
    this.watchSilence();
    this.scheduleRenewal();
    this.resendPending();
    this.ping();
  }

  /** Sends a fresh access token on the live socket before the one it opened with expires. */
  scheduleRenewal() {
    clearTimeout(this.renewTimer);
    const at = accessTokenRenewsAt();
    if (at === null) return;
    const wait = Math.max(RENEW_RETRY_MS, at * 1000 - Date.now() + 250);
    this.renewTimer = setTimeout(() => this.renew(), wait);
  }

  async renew() {
    if (!this.open) return;
    let token = null;
    try {
      token = await accessToken();
    } catch {
      // the network: tried again below; a socket that outlives its token is closed and resumed
    }
    if (token && this.open) {
      this.counter += 1;
      this.ws.send(JSON.stringify({ type: "auth", id: `${this.prefix}-a${this.counter}`, token }));
    }
    if (this.open) this.scheduleRenewal();
  }

  resendPending() {
    if (!this.open) return;
    for (const entry of this.pending.values()) this.ws.send(JSON.stringify(entry.command));
  }

  watchSilence() {
    clearTimeout(this.silenceTimer);
    this.silenceTimer = setTimeout(() => this.ws?.close(4000, "silent"), SILENCE_LIMIT_MS);
  }

  received(ws, message) {
    if (ws !== this.ws) return;
    this.watchSilence();
    let frame;
    try {
      frame = JSON.parse(message.data);
    } catch {
      return;
    }
    if (frame.type === "snapshot") {
      // The room lost recent events (Redis lost its data) when its epoch changed under us:
      // whoever holds text the snapshot lacks sends it again.
      frame.epochChanged = this.epoch !== null && frame.epoch !== undefined && frame.epoch !== this.epoch;
      if (frame.epoch !== undefined) this.epoch = frame.epoch;
      this.lastSeq = frame.seq;
      this.handlers.clock(frame.server_time, 0);
      this.handlers.frame(frame);
    } else if (frame.type.includes(".")) {
      if (frame.seq <= this.lastSeq) return; // already applied
      this.lastSeq = frame.seq;
      this.handlers.frame(frame);
    } else if (frame.type === "ack") {
      this.settle(frame.id, (entry) => entry.resolve(frame));
    } else if (frame.type === "error") {
      this.refused(frame);
    } else if (frame.type === "pong") {
      const sent = this.pings.get(frame.id);
      this.pings.delete(frame.id);
      this.handlers.clock(frame.server_time, sent === undefined ? 0 : performance.now() - sent);
    } else if (frame.type === "heartbeat") {
      this.handlers.clock(frame.server_time, 0);
    }
  }

  settle(id, how) {
    const entry = this.pending.get(id);
    if (!entry) return;
    this.pending.delete(id);
    how(entry);
  }

  refused(frame) {
    const entry = frame.id === null || frame.id === undefined ? null : this.pending.get(frame.id);
    if (frame.code === "room_busy" && entry) {
      setTimeout(() => this.open && this.ws.send(JSON.stringify(entry.command)), RETRY_BUSY_MS);
    } else if (entry) {
      this.settle(frame.id, (e) => e.reject(new CommandError(frame.code, frame.message, frame)));
    } else if (frame.code === "rate_limited") {
      // The refused frame is not named; everything unacknowledged goes again after a pause.
      setTimeout(() => this.resendPending(), RETRY_BUSY_MS * 3);
    }
  }

  async closed(ws, event) {
    if (ws !== this.ws) return;
    clearTimeout(this.silenceTimer);
    clearTimeout(this.renewTimer);
    this.ws = null;
    if (this.stopped) return;
    const meaning = closeMeaning(event.code);
    if (FATAL_CLOSES[meaning]) {
      this.handlers.fatal(FATAL_CLOSES[meaning], meaning);
      return;
    }
    if (meaning === "unauthorized") {
      try {
        await refresh();
      } catch (error) {
        if (error.code !== "network") {
          this.handlers.fatal(SIGNED_OUT, meaning);
          return;
        }
      }
    }
    this.scheduleReconnect(meaning === "flooding" ? BACKOFF_MAX_MS : null);
  }

  scheduleReconnect(delayMs) {
    this.attempts += 1;
    const backoff = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** (this.attempts - 1));
    const wait = delayMs ?? backoff * (0.8 + Math.random() * 0.4);
    this.handlers.status("reconnecting", { inMs: wait });
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.connect(), wait);
  }

  reconnectNow() {
    if (this.stopped || this.ws || this.connecting) return;
    clearTimeout(this.retryTimer);
    this.connect();
  }
}

export class CommandError extends Error {
  constructor(code, message, frame = {}) {
    super(message);
    this.code = code;
    this.frame = frame;
  }
}
