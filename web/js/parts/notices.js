// Notices for what happens out of sight: a hint given, someone joining to watch. Each is shown
// in a corner that stays in view, said once to screen readers, and goes when dismissed, acted
// on, or after a while.

import { announce, h } from "../dom.js";

// Older notices give way so the corner never covers the page.
const MAX_NOTICES = 3;
// A notice quotes this much of a long text; the panel it points to has the rest.
const MAX_NOTICE_CHARS = 160;
// Long enough to read twice; what it says stays in the page (the hints, who is in the room),
// and a notice holding the keyboard or the pointer stays until left.
const NOTICE_SECS = 15;

function shorten(text) {
  return text.length > MAX_NOTICE_CHARS ? `${text.slice(0, MAX_NOTICE_CHARS - 1)}…` : text;
}

export function notices() {
  const el = h("div", { class: "notices", role: "region", "aria-label": "Notices" });

  /** text: what happened; action: {label, run} for a button that acts on it. */
  function show(fullText, action = null) {
    const text = shorten(fullText);
    const notice = h("div", { class: "notice" });
    const dismiss = () => notice.remove();
    const act = action ? h("button", { type: "button", class: "secondary small", onclick: () => {
      dismiss();
      action.run();
    } }, action.label) : null;
    notice.append(h("p", {}, text), h("div", { class: "row" }, act,
      h("button", { type: "button", class: "link", onclick: dismiss, "aria-label": `Dismiss: ${text}` }, "Dismiss")));
    el.append(notice);
    while (el.children.length > MAX_NOTICES) el.firstElementChild.remove();
    announce(text);
    const expire = () => {
      if (notice.matches(":hover, :focus-within")) setTimeout(expire, NOTICE_SECS * 1000);
      else dismiss();
    };
    setTimeout(expire, NOTICE_SECS * 1000);
  }

  return { el, show, update() {} };
}
