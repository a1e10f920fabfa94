// An invite link (#/invite/<token>): accept it, then open the room as an observer or a peer.

import { api } from "../api.js";
import { h } from "../dom.js";

const MESSAGES = {
  invite_invalid: "This invite link is not valid. Ask the candidate for a new one.",
  invite_expired: "This invite link has expired. Ask the candidate for a new one.",
  invite_used: "This invite link has already been used. Ask the candidate for a new one.",
  invite_not_yours: "This invite is for another email address. Sign in with that address.",
};

export async function inviteView(root, { token }, ctx) {
  try {
    const accepted = await api(`/invites/${encodeURIComponent(token)}/accept`, { method: "POST" });
    ctx.redirect(`#/room/${accepted.session_id}`);
  } catch (error) {
    if (error.status === 401) throw error;
    root.replaceChildren(h("section", { class: "panel error-panel", role: "alert" },
      h("h1", { tabindex: "-1" }, "Cannot open this invite"),
      h("p", {}, MESSAGES[error.code] || error.message),
      h("p", {}, h("a", { href: "#/questions" }, "Go to the question bank"))));
  }
}
