// The candidate's buttons: start designing, submit (confirmed), abandon, invite an observer.

import { api } from "../api.js";
import { confirmDialog, h, newId } from "../dom.js";
import { isOpen } from "../vocabulary.js";

export function candidateActions({ sessionId, onAdvance, onSubmit, onAbandon }) {
  const status = h("p", { class: "form-status", role: "status" });
  const advance = h("button", { class: "primary", onclick: () => run(onAdvance, "Starting the design phase…") },
    "Done clarifying: start designing");
  const submit = h("button", { class: "primary", onclick: confirmSubmit }, "Submit solution");
  const abandon = h("button", { class: "danger-outline", onclick: confirmAbandon }, "Abandon");
  const invite = inviteBox(sessionId);
  const el = h("div", { class: "actions-bar" },
    h("div", { class: "row" }, advance, submit, abandon, invite.button), status, invite.el);

  async function run(action, busy) {
    status.textContent = busy;
    try {
      const note = await action();
      status.textContent = note || "";
    } catch (error) {
      status.textContent = error.message;
    }
  }

  async function confirmSubmit() {
    const ok = await confirmDialog({
      title: "Submit your solution?",
      body: "You cannot edit it after submitting. The evaluation starts right away.",
      confirm: "Submit",
    });
    if (ok) await run(onSubmit, "Submitting…");
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
