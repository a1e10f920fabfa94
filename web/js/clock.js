// The server's clock as this page sees it. Deadlines are server times, so the countdown is
// deadline - (local now + offset): right even when the browser's clock is off.

export class ServerClock {
  constructor() {
    this.offset = 0;
  }

  /** Records the server's time as of a frame or response that just arrived. */
  sync(serverTime, roundTripMs = 0) {
    if (typeof serverTime !== "number") return;
    this.offset = serverTime + roundTripMs / 2000 - Date.now() / 1000;
  }

  now() {
    return Date.now() / 1000 + this.offset;
  }

  /** Seconds left before `deadline` (server time), or null when there is none. */
  remaining(deadline) {
    return typeof deadline === "number" ? Math.max(0, deadline - this.now()) : null;
  }
}
