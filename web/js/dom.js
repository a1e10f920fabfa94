// Building the page: user text only ever becomes text nodes or attribute values, never HTML.

const PROPERTIES = new Set(["value", "checked", "disabled", "readOnly", "selected", "hidden"]);

/** h("button", {class: "primary", onclick: go}, "Start") — an element with props and children. */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (PROPERTIES.has(key)) el[key] = value;
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

/** Replaces an element's children. */
export function fill(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

let uid = 0;
/** A unique id for label/aria wiring. */
export function newId(prefix = "f") {
  uid += 1;
  return `${prefix}-${uid}`;
}

/** A labelled field: returns the wrapper; the control keeps its own props. */
export function field(labelText, control, hint) {
  if (!control.id) control.id = newId("field");
  const hintEl = hint ? h("small", { class: "hint", id: `${control.id}-hint` }, hint) : null;
  if (hintEl) control.setAttribute("aria-describedby", hintEl.id);
  return h("div", { class: "field" }, h("label", { for: control.id }, labelText), control, hintEl);
}

/** Characters as the server counts them (code points, not UTF-16 units). */
export function charCount(text) {
  let count = 0;
  for (const _ of text) count += 1;
  return count;
}

// A text box's counter shows from this share of its limit on.
const COUNT_FROM_SHARE = 0.9;

/**
 * A character counter for a text box (which has its id): shown near the limit, it says when the
 * text is over it (and says so once to screen readers). update() recounts after code set the value.
 */
export function charCounter(textarea, limit, name) {
  const el = h("small", { class: "char-count", id: `${textarea.id}-count`, hidden: true });
  const described = textarea.getAttribute("aria-describedby");
  textarea.setAttribute("aria-describedby", described ? `${described} ${el.id}` : el.id);
  let wasOver = false;
  function update() {
    const count = charCount(textarea.value);
    const over = count - limit;
    el.hidden = count < limit * COUNT_FROM_SHARE;
    el.classList.toggle("over", over > 0);
    el.textContent = `${count.toLocaleString()} / ${limit.toLocaleString()} characters`
      + (over > 0 ? `: ${over.toLocaleString()} over the limit, not saved until it is shorter` : "");
    if (over > 0 && !wasOver) announce(`${name} is over the limit of ${limit.toLocaleString()} characters.`);
    wasOver = over > 0;
  }
  textarea.addEventListener("input", update);
  return { el, update };
}

/** Says something to screen readers without moving focus. */
export function announce(text) {
  const el = document.getElementById("announcer");
  if (!el) return;
  el.textContent = "";
  setTimeout(() => { el.textContent = text; }, 30);
}

/** Only http(s) links and images leave the page; anything else (javascript:, data:) is dropped. */
export function safeUrl(raw) {
  try {
    const url = new URL(String(raw), location.href);
    return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
  } catch {
    return null;
  }
}

export function fmtClock(secs) {
  const total = Math.max(0, Math.ceil(secs));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = String(total % 60).padStart(2, "0");
  return hours ? `${hours}:${String(minutes).padStart(2, "0")}:${seconds}` : `${minutes}:${seconds}`;
}

export function fmtMinutes(secs) {
  if (secs % 60) return fmtClock(secs);
  return `${secs / 60} min`;
}

export function fmtDate(value) {
  if (value === null || value === undefined) return "";
  const date = typeof value === "number" ? new Date(value * 1000) : new Date(value);
  return date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

export function capitalise(text) {
  return text ? text[0].toUpperCase() + text.slice(1) : "";
}

/** A modal confirmation built on <dialog>: Escape cancels, focus stays inside. `body` is a
 * sentence or nodes (lists of what the choice affects). */
export function confirmDialog({ title, body, confirm = "Confirm", cancel = "Cancel", danger }) {
  return new Promise((resolve) => {
    const titleId = newId("dlg");
    const dialog = h("dialog", { class: "dialog", "aria-labelledby": titleId },
      h("form", { method: "dialog" },
        h("h2", { id: titleId }, title),
        typeof body === "string" ? h("p", {}, body) : body,
        h("div", { class: "actions" },
          h("button", { value: "cancel", class: "secondary" }, cancel),
          h("button", { value: "ok", class: danger ? "danger" : "primary" }, confirm))));
    dialog.addEventListener("close", () => {
      resolve(dialog.returnValue === "ok");
      dialog.remove();
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}
