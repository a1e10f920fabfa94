// HTTP to the app, with the signed-in user's tokens and silent refresh.
//
// Tokens live in localStorage so every tab shares one sign-in; a tab that finds the stored
// pair newer than its own (another tab refreshed) uses it instead of spending its own refresh
// token, which the server rotates on every use.

const STORAGE_KEY = "interview-rooms.auth";
// Refresh this long before the access token expires (at most a quarter of its lifetime), so a
// request never races the expiry.
const REFRESH_MARGIN_SECS = 60;

let tokens = load();
const listeners = new Set();
let refreshing = null;

function load() {
  try {
    return JSON.parse(localStorage.getItem(STORAGE_KEY)) || null;
  } catch {
    return null;
  }
}

function store(next) {
  tokens = next;
  if (next) localStorage.setItem(STORAGE_KEY, JSON.stringify(next));
  else localStorage.removeItem(STORAGE_KEY);
  for (const fn of listeners) fn(tokens?.user ?? null);
}

window.addEventListener("storage", (event) => {
  if (event.key !== STORAGE_KEY) return;
  tokens = load();
  for (const fn of listeners) fn(tokens?.user ?? null);
});

export class ApiError extends Error {
  constructor(status, code, message, fields = {}, retryAfter = null) {
    super(message);
    this.status = status;
    this.code = code;
    this.fields = fields;
    this.retryAfter = retryAfter;
  }
}

export function currentUser() {
  return tokens?.user ?? null;
}

export function onAuthChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** Keeps a token answer from /auth/otp/verify, /auth/google or /auth/refresh. */
export function signedIn(answer) {
  store({
    access_token: answer.access_token,
    refresh_token: answer.refresh_token,
    expires_at: Date.now() / 1000 + answer.expires_in,
    margin: Math.min(REFRESH_MARGIN_SECS, answer.expires_in / 4),
    user: answer.user,
  });
}

export function updateUser(user) {
  if (tokens) store({ ...tokens, user });
}

export async function signOut() {
  const held = tokens;
  store(null);
  if (!held) return;
  try {
    await fetch("/auth/logout", {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${held.access_token}` },
      body: JSON.stringify({ refresh_token: held.refresh_token }),
    });
  } catch {
    // Signed out locally either way; the refresh token expires on its own.
  }
}

function expiresSoon(held) {
  return held.expires_at - Date.now() / 1000 < (held.margin ?? REFRESH_MARGIN_SECS);
}

/** When accessToken() will next refresh (Unix seconds), or null when signed out. */
export function accessTokenRenewsAt() {
  return tokens ? tokens.expires_at - (tokens.margin ?? REFRESH_MARGIN_SECS) : null;
}

/** A usable access token, refreshed first if it is about to expire; null when signed out. */
export async function accessToken() {
  if (!tokens) return null;
  if (expiresSoon(tokens)) await refresh();
  return tokens?.access_token ?? null;
}

/** Trades the refresh token for a new pair; concurrent callers share one request. */
export function refresh() {
  if (!refreshing) refreshing = doRefresh().finally(() => { refreshing = null; });
  return refreshing;
}

async function doRefresh() {
  const stored = load();
  if (stored && stored.access_token !== tokens?.access_token && !expiresSoon(stored)) {
    tokens = stored; // another tab already refreshed
    return;
  }
  if (!tokens?.refresh_token) throw new ApiError(401, "token_missing", "Please sign in.");
  const response = await send("/auth/refresh", "POST", { refresh_token: tokens.refresh_token });
  if (response.status === 401 || response.status === 400) {
    store(null);
    throw await toError(response);
  }
  if (!response.ok) throw await toError(response);
  signedIn(await response.json());
}

async function send(path, method, body, token) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (token) headers.Authorization = `Bearer ${token}`;
  try {
    return await fetch(path, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, "network", "Could not reach the server. Check your connection and try again.");
  }
}

async function toError(response) {
  let error = {};
  try {
    error = (await response.json()).error || {};
  } catch {
    // not JSON: a proxy page or an empty body
  }
  const { code = `http_${response.status}`, message, ...fields } = error;
  const retry = Number(response.headers.get("Retry-After")) || null;
  return new ApiError(response.status, code, message || `The server answered ${response.status}.`,
    fields, retry);
}

/** Calls the API; returns the decoded JSON (null for 204) or throws ApiError. */
export async function api(path, options = {}) {
  return (await apiWithStatus(path, options)).body;
}

/** Like api(), but also says the HTTP status (200 vs 201, 202 "still running"). */
export async function apiWithStatus(path, { method = "GET", body, auth = true } = {}) {
  const token = auth ? await accessToken() : null;
  let response = await send(path, method, body, token);
  if (response.status === 401 && auth && tokens?.refresh_token) {
    const error = await toError(response.clone());
    if (RETRY_AFTER_REFRESH.has(error.code)) {
      try {
        await refresh();
      } catch {
        store(null);
        throw error;
      }
      response = await send(path, method, body, tokens?.access_token);
    }
  }
  if (response.status === 401 && auth) store(null);
  if (!response.ok) throw await toError(response);
  const text = response.status === 204 ? "" : await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

let config = null;

/** GET /config, asked once per page (asked again only after a failure). */
export function publicConfig() {
  if (!config) config = api("/config", { auth: false }).catch((error) => { config = null; throw error; });
  return config;
}

// token_stale: the account's role changed; a refresh brings a token with the new role.
const RETRY_AFTER_REFRESH = new Set(["token_expired", "token_revoked", "token_invalid", "token_stale"]);
