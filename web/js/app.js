// The page shell: a hash router (#/questions, #/room/<id>, …), the navigation, and sign-in
// guarding. Each view is `async (root, params, ctx) => cleanup?`.

import { ApiError, currentUser, onAuthChange, publicConfig, signOut } from "./api.js";
import { h } from "./dom.js";
import { hasVocabulary, useVocabulary } from "./vocabulary.js";
import { historyView, liveView } from "./views/history.js";
import { inviteView } from "./views/invite.js";
import { profileView } from "./views/profile.js";
import { questionsView } from "./views/questions.js";
import { replayView } from "./views/replay.js";
import { roomView } from "./views/room.js";
import { signinView } from "./views/signin.js";

const NEXT_KEY = "interview-rooms.next";
const STAFF = new Set(["interviewer", "admin"]);

const ROUTES = [
  { path: /^\/signin$/, view: signinView, public: true, title: "Sign in" },
  { path: /^\/questions$/, view: questionsView, nav: "questions", title: "Questions" },
  { path: /^\/room\/([\w-]+)$/, view: roomView, keys: ["id"], title: "Room" },
  { path: /^\/replay\/([\w-]+)$/, view: replayView, keys: ["id"], nav: "history", title: "Replay" },
  { path: /^\/history$/, view: historyView, nav: "history", title: "History" },
  { path: /^\/live$/, view: liveView, nav: "live", title: "Live rooms" },
  { path: /^\/profile$/, view: profileView, nav: "profile", title: "Profile" },
  { path: /^\/invite\/([\w-]+)$/, view: inviteView, keys: ["token"], title: "Invite" },
];

let cleanup = null;
let generation = 0;

function parseHash() {
  const raw = location.hash.replace(/^#/, "") || "/";
  const [path, query = ""] = raw.split("?");
  return { path, query: new URLSearchParams(query) };
}

function go(hash) {
  if (location.hash === hash) route();
  else location.hash = hash;
}

function requireSignIn() {
  if (!location.hash.startsWith("#/signin")) sessionStorage.setItem(NEXT_KEY, location.hash);
  go("#/signin");
}

function afterSignIn() {
  const next = sessionStorage.getItem(NEXT_KEY);
  sessionStorage.removeItem(NEXT_KEY);
  go(next && !next.startsWith("#/signin") ? next : "#/questions");
}

async function leave() {
  await signOut();
  sessionStorage.removeItem(NEXT_KEY); // the next person to sign in starts afresh
  go("#/signin");
}

function renderNav(active) {
  const user = currentUser();
  const nav = document.getElementById("nav");
  if (!user) {
    nav.replaceChildren();
    return;
  }
  const link = (key, href, text) => h("a", { href, "aria-current": key === active ? "page" : null }, text);
  nav.replaceChildren(h("ul", {},
    h("li", {}, link("questions", "#/questions", "Questions")),
    h("li", {}, link("history", "#/history", "History")),
    STAFF.has(user.role) ? h("li", {}, link("live", "#/live", "Live rooms")) : null,
    h("li", {}, link("profile", "#/profile", user.name || user.email.split("@")[0])),
    h("li", {}, h("button", { class: "link", onclick: leave }, "Sign out"))));
}

function errorPanel(error) {
  const notFound = error instanceof ApiError && error.status === 404;
  return h("section", { class: "panel error-panel", role: "alert" },
    h("h1", { tabindex: "-1" }, notFound ? "Not found" : "Something went wrong"),
    h("p", {}, error.message || String(error)),
    h("p", {}, h("a", { href: "#/questions" }, "Back to the questions")));
}

/** The server's vocabulary (sections, phases, limits…), read once before the first view needs it. */
async function loadVocabulary() {
  if (!hasVocabulary()) useVocabulary((await publicConfig()).vocabulary);
}

async function route() {
  const { path, query } = parseHash();
  if (cleanup) {
    try { cleanup(); } catch { /* a view's cleanup never blocks navigation */ }
    cleanup = null;
  }
  const user = currentUser();
  if (path === "/" || path === "") return go(user ? "#/questions" : "#/signin");
  const found = ROUTES.find((r) => r.path.test(path));
  if (!found) return go("#/questions");
  if (!found.public && !user) return requireSignIn();
  if (found.public && user && path === "/signin") return afterSignIn();
  const params = Object.fromEntries((found.keys || []).map((k, i) => [k, path.match(found.path)[i + 1]]));
  renderNav(found.nav);
  document.title = `${found.title} · Interview Rooms`;
  const main = document.getElementById("main");
  const mine = ++generation;
  main.replaceChildren(h("p", { class: "muted" }, "Loading…"));
  const ctx = {
    user, query, navigate: go, redirect: (hash) => location.replace(hash), requireSignIn, afterSignIn,
  };
  try {
    if (!found.public) await loadVocabulary();
    const done = await found.view(main, params, ctx);
    if (mine !== generation) { done?.(); return; }
    cleanup = done || null;
  } catch (error) {
    if (mine !== generation) return;
    if (error instanceof ApiError && error.status === 401) return requireSignIn();
    main.replaceChildren(errorPanel(error));
  }
  if (mine === generation && !main.contains(document.activeElement)) {
    (main.querySelector("h1[tabindex]") || main).focus({ preventScroll: false });
  }
}

onAuthChange((user) => {
  if (!user && !location.hash.startsWith("#/signin")) requireSignIn();
  else renderNav(ROUTES.find((r) => r.path.test(parseHash().path))?.nav);
});

document.addEventListener("click", (event) => {
  if (!event.target.closest("[data-skip]")) return;
  event.preventDefault(); // the skip link must not touch the hash router
  document.getElementById("main").focus();
});

window.addEventListener("hashchange", route);
route();
