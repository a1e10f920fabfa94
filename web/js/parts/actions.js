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
  const el = h("div", { class: "invite", hidden: true },
    h("label", { for: id }, "Invite link (valid for 7 days): anyone signed in who opens it can watch and take notes"),
    h("div", { class: "row" }, link, copy, copied));
  const button = h("button", { class: "secondary", onclick: create }, "Invite an observer");

  async function create() {
    button.disabled = true;
    try {
      const invite = await api(`/sessions/${sessionId}/invites`, { method: "POST" });
      link.value = invite.url;
      el.hidden = false;
      link.focus();
      link.select();
    } catch (error) {
      el.hidden = false;
      copied.textContent = error.message;
    } finally {
      button.disabled = false;
    }
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
