// The question bank: filters (type, difficulty, company, search), cards with badges and
// acceptance rate, locked / coming-soon states with the reason, and starting or resuming a
// session. The server orders it: startable first, easiest first, most attempted first.

import { api } from "../api.js";
import { fill, fmtMinutes, h, newId } from "../dom.js";
import { companyBadge, difficultyBadge, typeBadge } from "../parts/badges.js";
import { isOpen, limits } from "../vocabulary.js";

const PAGE = 20;
const SEARCH_DEBOUNCE_MS = 300;

function select(id, label, options, value) {
  const el = h("select", { id, name: id }, options.map(([v, text]) => h("option", { value: v, selected: v === value }, text)));
  return h("div", { class: "field" }, h("label", { for: id }, label), el);
}

export async function questionsView(root, _params, ctx) {
  const q = ctx.query;
  const form = h("form", { class: "filters", role: "search", "aria-label": "Filter questions" },
    select("type", "Type", [["", "All types"], ["LLD", "Low-level design (LLD)"], ["HLD", "High-level design (HLD)"]], q.get("type") || ""),
    select("difficulty", "Difficulty", [["", "Any difficulty"], ["easy", "Easy"], ["medium", "Medium"], ["hard", "Hard"]], q.get("difficulty") || ""),
    h("div", { class: "field" }, h("label", { for: "company" }, "Company"),
      h("input", { id: "company", name: "company", list: "companies", value: q.get("company") || "", autocomplete: "off" })),
    h("div", { class: "field grow" }, h("label", { for: "search" }, "Search"),
      h("input", { id: "search", name: "q", type: "search", value: q.get("q") || "", placeholder: "parking, cache, chat…" })));
  const companies = h("datalist", { id: "companies" });
  const list = h("ul", { class: "question-list", "aria-live": "polite", "aria-busy": "true" });
  const more = h("button", { class: "secondary", hidden: true }, "Load more");
  const status = h("p", { class: "muted", role: "status" });
  root.replaceChildren(h("section", { class: "bank" },
    h("h1", { tabindex: "-1" }, "Question bank"), form, companies, status, list, more));

  const openSessions = new Map();
  try {
    for (const s of await api("/sessions?limit=100")) {
      if (isOpen(s.status) && !openSessions.has(s.question_id)) openSessions.set(s.question_id, s);
    }
  } catch { /* the bank still works without the resume buttons */ }

  const seenCompanies = new Set();
  let cursor = null;
  let loadCount = 0;

  function filters() {
    const data = new FormData(form);
    return Object.fromEntries([...data.entries()].map(([k, v]) => [k, String(v).trim()]).filter(([, v]) => v));
  }

  async function load(append) {
    const mine = ++loadCount;
    const params = new URLSearchParams({ ...filters(), limit: String(PAGE) });
    if (append && cursor) params.set("cursor", cursor);
    list.setAttribute("aria-busy", "true");
    try {
      const page = await api(`/questions?${params}`);
      if (mine !== loadCount) return;
      if (!append) list.replaceChildren();
      for (const item of page.items) list.append(card(item));
      cursor = page.next_cursor;
      more.hidden = !cursor;
      const count = list.children.length;
      status.textContent = count ? `${count}${cursor ? "+" : ""} question${count === 1 ? "" : "s"}` : "No questions match these filters.";
      for (const item of page.items) for (const c of item.companies) seenCompanies.add(c.name);
      fill(companies, [...seenCompanies].sort().map((name) => h("option", { value: name })));
    } catch (error) {
      status.textContent = error.message;
    } finally {
      list.setAttribute("aria-busy", "false");
    }
  }

  function card(item) {
    const open = openSessions.get(item.id);
    const titleId = newId("q");
    let action;
    const reason = item.locked_reason ? h("p", { class: "muted small closed-reason" }, item.locked_reason) : null;
    if (item.is_coming_soon) action = [h("span", { class: "state coming-soon" }, "Coming soon"), reason];
    else if (item.is_locked) action = [h("span", { class: "state locked" }, h("span", { "aria-hidden": "true" }, "🔒 "), "Locked"), reason];
    else if (open) {
      action = h("a", { class: "button primary", href: `#/room/${open.id}`, "aria-describedby": titleId }, "Resume");
    } else {
      action = h("button", { class: "primary", "aria-describedby": titleId, onclick: () => startDialog(item, ctx) }, "Start");
    }
    return h("li", { class: `qcard${item.is_locked ? " is-locked" : ""}${item.is_coming_soon ? " is-soon" : ""}` },
      h("div", { class: "qcard-main" },
        h("h2", { id: titleId }, item.title),
        h("div", { class: "badges" }, typeBadge(item.type), difficultyBadge(item.difficulty),
          item.companies.map(companyBadge)),
        item.topics.length ? h("p", { class: "topics muted" }, item.topics.join(" · ")) : null),
      h("div", { class: "qcard-side" },
        acceptance(item),
        h("p", { class: "muted" }, `${fmtMinutes(item.durations.clarifying)} + ${fmtMinutes(item.durations.design)} · ${item.max_clarifications} clarifications`),
        open ? h("p", { class: "muted" }, "In progress") : null,
        action));
  }

  /** The acceptance rate means something only once someone was evaluated on the question. */
  function acceptance(item) {
    const attempts = item.attempts ?? 0;
    if (!attempts) return h("p", { class: "acceptance" }, h("strong", {}, "—"), " acceptance · no attempts yet");
    return h("p", { class: "acceptance" }, h("strong", {}, `${item.acceptance_rate}%`), " acceptance · ",
      `${attempts} attempt${attempts === 1 ? "" : "s"}`);
  }

  let searchTimer = null;
  function changed() {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => {
      const params = new URLSearchParams(filters());
      history.replaceState(null, "", `#/questions${params.size ? `?${params}` : ""}`);
      load(false);
    }, SEARCH_DEBOUNCE_MS);
  }
  // Every field applies as you type (debounced): the company filter matches part of a name.
  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
  form.addEventListener("submit", (event) => { event.preventDefault(); changed(); });
  more.addEventListener("click", () => load(true));
  await load(false);
  return () => clearTimeout(searchTimer);
}

/** "10", "10:30" or "0:15" (minutes[:seconds]) to seconds; null when not a time. */
export function parseDuration(text) {
  const match = String(text).trim().match(/^(\d{1,3})(?::([0-5]\d))?$/);
  return match ? Number(match[1]) * 60 + Number(match[2] || 0) : null;
}

/** Seconds as minutes:seconds, the way the duration fields take them ("180:00", not "3:00:00"). */
function minutesSeconds(secs) {
  return `${Math.floor(secs / 60)}:${String(secs % 60).padStart(2, "0")}`;
}

/** The server's bounds for a phase budget, as "0:10" and "180:00". */
function budgetBounds() {
  const { min_phase_secs: min, max_phase_secs: max } = limits();
  return { min, max, text: [minutesSeconds(min), minutesSeconds(max)] };
}

function durationField(id, label, secs) {
  const input = h("input", { id, name: id, value: minutesSeconds(secs), inputmode: "numeric", required: true,
    pattern: "\\d{1,3}(:[0-5]\\d)?", "aria-describedby": `${id}-hint`, size: 6 });
  const [low, high] = budgetBounds().text;
  return h("div", { class: "field" }, h("label", { for: id }, label), input,
    h("small", { class: "hint", id: `${id}-hint` }, `minutes:seconds, ${low} to ${high}`));
}

function startDialog(item, ctx) {
  const error = h("p", { class: "form-error", role: "alert" });
  const durations = h("div", { class: "durations" },
    durationField("dur-clarifying", "Clarifying time", item.durations.clarifying),
    durationField("dur-design", "Design time", item.durations.design));
  const mode = (value, text, checked) => h("div", { class: "choice" },
    h("input", { type: "radio", name: "mode", id: `mode-${value}`, value, checked }),
    h("label", { for: `mode-${value}` }, text));
  const form = h("form", { method: "dialog", class: "start-form" },
    h("h2", { id: "start-title" }, item.title),
    h("fieldset", {}, h("legend", {}, "How do you want to practise?"),
      mode("timed", "Timed: the clock moves you on, like a real interview", true),
      mode("untimed", "Untimed: take as long as you need", false)),
    durations, error,
    h("div", { class: "actions" },
      h("button", { type: "button", class: "secondary", onclick: () => dialog.close() }, "Cancel"),
      h("button", { type: "submit", class: "primary" }, "Start session")));
  const dialog = h("dialog", { class: "dialog", "aria-labelledby": "start-title" }, form);
  form.addEventListener("change", () => {
    const timed = form.elements.mode.value === "timed";
    durations.hidden = !timed;
    // A hidden field cannot show why it is invalid, so untimed takes it out of the form.
    for (const input of durations.querySelectorAll("input")) input.disabled = !timed;
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const timed = form.elements.mode.value === "timed";
    const body = { mode: timed ? "timed" : "untimed" };
    if (timed) {
      const clarifying = parseDuration(form.elements["dur-clarifying"].value);
      const design = parseDuration(form.elements["dur-design"].value);
      const { min, max, text: [low, high] } = budgetBounds();
      const bad = [clarifying, design].some((s) => s === null || s < min || s > max);
      if (bad) {
        error.textContent = `Each phase needs between ${low} and ${high} (minutes:seconds).`;
        return;
      }
      body.durations = { clarifying, design };
    }
    try {
      const view = await api(`/questions/${encodeURIComponent(item.slug)}/sessions`, { method: "POST", body });
      dialog.close();
      ctx.navigate(`#/room/${view.id}`);
    } catch (e) {
      error.textContent = e.code === "question_locked" ? "This question is locked."
        : e.code === "question_coming_soon" ? "This question is not open yet." : e.message;
    }
  });
  dialog.addEventListener("close", () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
}
