// The candidate's buttons: start designing, submit (confirmed), abandon, invite an observer.

import { api } from "../api.js";
import { confirmDialog, h, newId } from "../dom.js";
import { isOpen } from "../vocabulary.js";

/**
 * onReview() resolves with what submitting now would lose or leave empty:
 * {unsaved: [{label, reason}], empty: [label], almostEmpty}.
 */
export function candidateActions({ sessionId, onAdvance, onReview, onSubmit, onAbandon }) {
  const status = h("p", { class: "form-status", role: "status" });
  const advance = h("button", { class: "primary", onclick: () => run(onAdvance, "Starting the design phase…", advance) },
    "Done clarifying: start designing");
  const submit = h("button", { class: "primary", onclick: confirmSubmit }, "Submit solution");
  const abandon = h("button", { class: "danger-outline", onclick: confirmAbandon }, "Abandon");
  const invite = inviteBox(sessionId);
  const el = h("div", { class: "actions-bar" },
    h("div", { class: "row" }, advance, submit, abandon, invite.button), status, invite.el);

  async function run(action, busy, button = null) {
    status.textContent = busy;
    if (button) button.disabled = true;
    try {
      const note = await action();
      status.textContent = note || "";
    } catch (error) {
      status.textContent = error.message;
    } finally {
      if (button) button.disabled = false;
    }
  }

  async function confirmSubmit() {
    submit.disabled = true;
    status.textContent = "Saving your last changes…";
    let review;
    try {
      review = await onReview();
    } finally {
      submit.disabled = false;
      status.textContent = "";
    }
    const ok = await confirmDialog(submitQuestion(review));
    if (ok) await run(onSubmit, "Submitting…", submit);
    else submit.focus();
  }

  async function confirmAbandon() {
    const ok = await confirmDialog({
      title: "Abandon this session?",
      body: "The session ends without an evaluation. You can start the question again later.",
      confirm: "Abandon", danger: true,
    });
    if (ok) await run(onAbandon, "Abandoning…");
    else abandon.focus();
  }

  return {
    el,
    update(state) {
      advance.hidden = state.phase !== "clarifying";
      submit.hidden = state.phase !== "design";
      abandon.hidden = !isOpen(state.phase);
    },
  };
}

/** The submit confirmation: what would be lost (unsaved sections) or is missing (empty ones). */
function submitQuestion({ unsaved, empty, almostEmpty }) {
  const body = [];
  if (unsaved.length) {
    body.push(h("p", { class: "warning" }, "Some of your text is not saved in the room; the evaluation reads the last version it saved of:"),
      h("ul", { class: "unsaved-sections" },
        unsaved.map(({ label, reason }) => h("li", {}, h("strong", {}, label), `: ${reason}`))));
  }
  const little = almostEmpty ? "Your answer is almost empty: there is very little to evaluate yet. " : "";
  if (empty.length) {
    body.push(h("p", { class: "warning" }, `${little}These sections are empty:`),
      h("ul", { class: "empty-sections" }, empty.map((label) => h("li", {}, label))));
  } else if (little) body.push(h("p", { class: "warning" }, little));
  body.push(h("p", {}, "You cannot edit it after submitting. The evaluation starts right away."));
  const warned = unsaved.length > 0 || empty.length > 0 || almostEmpty;
  return { title: "Submit your solution?", body, confirm: warned ? "Submit anyway" : "Submit" };
}

function inviteBox(sessionId) {
  const id = newId("invite");
  const link = h("input", { id, type: "text", readOnly: true, class: "invite-link" });
  const copied = h("span", { class: "form-status", role: "status" });
  const copy = h("button", { type: "button", class: "secondary", onclick: copyLink }, "Copy");
  const list = h("ul", { class: "invite-list" });
  const el = h("div", { class: "invite", hidden: true },
    h("label", { for: id },
      "Invite link, for one person, until the session ends: they watch what you see, never an interviewer's notes"),
    h("div", { class: "row" }, link, copy, copied), list);
  const button = h("button", { class: "secondary", onclick: create }, "Invite an observer");

  async function create() {
    button.disabled = true;
    try {
      const invite = await api(`/sessions/${sessionId}/invites`, { method: "POST" });
      link.value = invite.url;
      el.hidden = false;
      link.focus();
      link.select();
      await showInvites();
    } catch (error) {
      el.hidden = false;
      copied.textContent = error.message;
    } finally {
      button.disabled = false;
    }
  }

  /** The room's links, who accepted each, and a button to revoke a link (and that access). */
  async function showInvites() {
    const invites = await api(`/sessions/${sessionId}/invites`);
    list.replaceChildren(...invites.filter((invite) => !invite.revoked).map((invite) => {
      const who = invite.accepted_by.map((person) => person.name).join(", ");
      const revoke = h("button", { type: "button", class: "danger-outline small", onclick: async () => {
        revoke.disabled = true;
        try {
          await api(`/sessions/${sessionId}/invites/${invite.id}`, { method: "DELETE" });
          await showInvites();
        } catch (error) {
          copied.textContent = error.message;
          revoke.disabled = false;
        }
      } }, "Revoke");
      return h("li", {},
        h("span", {}, who ? `Accepted by ${who}` : `Not used yet (${invite.uses}/${invite.max_uses})`), " ", revoke);
    }));
  }

  async function copyLink() {
    try {
      await navigator.clipboard.writeText(link.value);
      copied.textContent = "Copied";
    } catch {
      link.select();
      copied.textContent = "Press Ctrl+C to copy";
    }
  }

  return { el, button };
}
