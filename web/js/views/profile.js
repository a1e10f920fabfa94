// Profile and progress: name and avatar, stats, leaderboard position (and whether to be on it)
// and study plan. The progress endpoints are optional: without them the page says so and shows
// what the session history alone can tell.

import { api, updateUser } from "../api.js";
import { fill, fmtDate, h, safeUrl } from "../dom.js";
import { renderMarkdown } from "../markdown.js";
import { progressCharts } from "../parts/progresschart.js";

async function optional(path) {
  try {
    return { data: await api(path) };
  } catch (error) {
    return { error };
  }
}

function avatar(user, size = 64) {
  const src = user.avatar_url ? safeUrl(user.avatar_url) : null;
  const initials = (user.name || user.email).split(/[\s@.]+/).filter(Boolean).slice(0, 2).map((p) => p[0].toUpperCase()).join("");
  return src ? h("img", { class: "avatar", src, alt: "", width: size, height: size })
    : h("span", { class: "avatar initials", "aria-hidden": "true" }, initials);
}

function profileForm(me, onSaved) {
  const name = h("input", { id: "profile-name", value: me.name || "", maxlength: 200, autocomplete: "name" });
  const url = h("input", { id: "profile-avatar", type: "url", value: me.avatar_url || "", maxlength: 2000,
    placeholder: "https://…", "aria-describedby": "profile-avatar-hint" });
  const status = h("p", { class: "form-status", role: "status" });
  const form = h("form", { class: "profile-form" },
    h("div", { class: "field" }, h("label", { for: name.id }, "Display name"), name),
    h("div", { class: "field" }, h("label", { for: url.id }, "Avatar image URL"), url,
      h("small", { class: "hint", id: "profile-avatar-hint" }, "An https:// link to a square image; leave empty for initials.")),
    h("button", { type: "submit", class: "primary" }, "Save profile"), status);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    status.textContent = "Saving…";
    try {
      const user = await api("/me", { method: "PATCH", body: { name: name.value.trim(), avatar_url: url.value.trim() } });
      updateUser(user);
      status.textContent = "Saved";
      onSaved(user);
    } catch (error) {
      status.textContent = error.message;
    }
  });
  return form;
}

function statCards(stats) {
  return h("dl", { class: "stats" }, stats.map(([label, value]) =>
    h("div", { class: "stat" }, h("dt", {}, label), h("dd", {}, value))));
}

const KNOWN_STATS = [
  ["problems_solved", "Problems solved", String],
  ["sessions_completed", "Sessions evaluated", String],
  ["average_score", "Average score", (v) => String(Math.round(v))],
  ["best_score", "Best score", String],
  ["time_spent_secs", "Time practised", (v) => `${Math.round(v / 60)} min`],
  ["rank", "Leaderboard rank", (v) => `#${v}`],
];

/** Stats from /me/stats when the server has it; otherwise from the session history. */
function statsFrom(server, sessions) {
  if (server && typeof server === "object") {
    return KNOWN_STATS.filter(([key]) => server[key] !== null && server[key] !== undefined)
      .map(([key, label, show]) => [label, show(server[key])]);
  }
  const scored = sessions.filter((s) => typeof s.score === "number" && !s.empty);
  const average = scored.length ? Math.round(scored.reduce((a, s) => a + s.score, 0) / scored.length) : null;
  return [
    ["Sessions", String(sessions.length)],
    ["Evaluated", String(scored.length)],
    ["Average score", average === null ? "—" : String(average)],
    ["Best score", scored.length ? String(Math.max(...scored.map((s) => s.score))) : "—"],
  ];
}

function topicScores(server) {
  const topics = Object.entries(server?.topic_scores || {});
  if (!topics.length) return null;
  return [h("h3", {}, "By topic"), h("ul", { class: "topic-scores" },
    topics.map(([topic, score]) => h("li", {}, h("span", {}, topic), h("strong", {}, String(Math.round(score))))))];
}

function rowsOf(data) {
  if (Array.isArray(data)) return data;
  return data?.items || data?.entries || data?.leaders || data?.plan || data?.study_plan || [];
}

function leaderboard(result, me) {
  if (result.error) return h("p", { class: "muted" }, "The leaderboard is not available on this server yet.");
  const rows = rowsOf(result.data);
  const mine = rows.find((r) => String(r.user_id ?? r.id) === String(me.id));
  const position = mine?.rank ?? null;
  const where = me.leaderboard === false ? "You are not on the leaderboard."
    : position ? `You are #${position}${result.data?.total ? ` of ${result.data.total}` : ""}.`
      : "Finish an evaluated session to get a place.";
  return [
    h("p", { class: "position" }, where),
    rows.length ? h("ol", { class: "leaders" }, rows.slice(0, 10).map((r, i) => h("li", { class: r === mine ? "me" : null },
      h("span", { class: "rank" }, `#${r.rank ?? i + 1}`),
      h("span", { class: "name" }, r.name || "—"),
      h("span", { class: "muted" }, r.problems_solved !== undefined
        ? `${r.problems_solved} solved · avg ${Math.round(r.average_score ?? 0)}` : String(r.score ?? ""))))) : null,
  ];
}

/** Whether to be listed, and under which name others see you; saved as soon as it changes. */
function leaderboardSetting(me, onSaved) {
  const box = h("input", { id: "profile-leaderboard", type: "checkbox", checked: me.leaderboard !== false,
    "aria-describedby": "profile-leaderboard-hint" });
  const hint = h("small", { class: "hint", id: "profile-leaderboard-hint" });
  const status = h("p", { class: "form-status", role: "status" });
  const explain = (user) => {
    hint.textContent = user.leaderboard === false ? "Nobody sees your results; you can come back at any time."
      : `Others see you as “${user.public_name || user.name}”, never your email address.${user.name ? "" : " Set a display name to choose it."}`;
  };
  explain(me);
  box.addEventListener("change", async () => {
    status.textContent = "Saving…";
    box.disabled = true;
    try {
      const user = await api("/me", { method: "PATCH", body: { leaderboard: box.checked } });
      updateUser(user);
      status.textContent = "Saved";
      explain(user);
      onSaved(user);
    } catch (error) {
      box.checked = !box.checked;
      status.textContent = error.message;
    } finally {
      box.disabled = false;
    }
  });
  return { el: h("div", { class: "leaderboard-setting" },
    h("div", { class: "choice" }, box, h("label", { for: box.id }, "Show me on the leaderboard")), hint, status), explain };
}

function planItem(item) {
  if (typeof item === "string") return h("li", {}, item);
  const questions = item.questions || [];
  return h("li", {},
    h("strong", {}, item.label || item.area || item.title || ""),
    typeof item.average_score === "number"
      ? h("span", { class: "muted" }, ` · average ${Math.round(item.average_score)} over ${item.evaluations ?? "?"} evaluation${item.evaluations === 1 ? "" : "s"}`) : null,
    questions.length ? h("ul", {}, questions.map((q) => h("li", {},
      h("a", { href: `#/questions?q=${encodeURIComponent(q.title)}` }, q.title),
      q.difficulty ? h("span", { class: "muted" }, ` (${q.difficulty})`) : null))) : null);
}

function studyPlan(result) {
  if (result.error) return h("p", { class: "muted" }, "A study plan is not available on this server yet.");
  if (typeof result.data === "string") return h("div", { class: "markdown" }, renderMarkdown(result.data));
  const items = rowsOf(result.data);
  if (!items.length) return h("p", { class: "muted" }, "Nothing to plan yet: finish an evaluated session first.");
  const weak = result.data?.weak_topics || [];
  return [h("ol", { class: "plan" }, items.map(planItem)),
    weak.length ? h("p", { class: "muted" }, `Weakest topics: ${weak.map((t) => `${t.topic} (${Math.round(t.average_score)})`).join(", ")}`) : null];
}

function uncountedNote(sessions) {
  const empty = sessions.filter((s) => s.empty).length;
  if (!empty) return null;
  return h("p", { class: "muted small" }, `${empty} empty attempt${empty === 1 ? " is" : "s are"} not counted here (`,
    h("a", { href: "#/history" }, "see your history"), ").");
}

export async function profileView(root) {
  const [me, sessions, stats, leaders, plan] = await Promise.all([
    api("/me"), api("/sessions?limit=100").catch(() => []),
    optional("/me/stats"), optional("/leaderboard"), optional("/me/study-plan"),
  ]);
  const card = h("div", { class: "identity" });
  const showIdentity = (user) => fill(card, avatar(user),
    h("div", {}, h("p", { class: "identity-name" }, user.name || user.email),
      h("p", { class: "muted" }, `${user.email} · ${user.role} · since ${fmtDate(user.created_at)}`)));
  showIdentity(me);
  const board = h("div", { class: "leaderboard" }, leaderboard(leaders, me));
  const refreshBoard = async (user) => fill(board, leaderboard(await optional("/leaderboard"), user));
  const setting = leaderboardSetting(me, refreshBoard);
  const savedProfile = (user) => { showIdentity(user); setting.explain(user); refreshBoard(user); };
  root.replaceChildren(h("section", { class: "profile" },
    h("h1", { tabindex: "-1" }, "Profile and progress"),
    h("div", { class: "profile-grid" },
      h("section", { class: "panel" }, h("h2", {}, "You"), card, profileForm(me, savedProfile)),
      h("section", { class: "panel" }, h("h2", {}, "Stats"), statCards(statsFrom(stats.data, sessions)),
        topicScores(stats.data), uncountedNote(sessions),
        stats.error ? h("p", { class: "muted small" }, "Counted from your session history.") : null),
      h("section", { class: "panel progress-chart", "aria-labelledby": "progress-title" },
        h("h2", { id: "progress-title" }, "Progress over time"), progressCharts(sessions, stats.data?.topic_scores)),
      h("section", { class: "panel" }, h("h2", {}, "Leaderboard"), setting.el, board),
      h("section", { class: "panel" }, h("h2", {}, "Study plan"), studyPlan(plan)))));
}
