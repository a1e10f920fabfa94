// Sign-in: an email, then the six-digit code from the mail. Google's button appears only when
// the server has GOOGLE_CLIENT_ID; only then is Google's script loaded (the one feature that
// needs the internet).

import { ApiError, api, publicConfig, signedIn } from "../api.js";
import { fill, h } from "../dom.js";

const CODE_DIGITS = 6;
const GOOGLE_SCRIPT = "https://accounts.google.com/gsi/client";

function explain(error, email) {
  const retry = error.retryAfter ? ` Try again in ${error.retryAfter} s.` : "";
  switch (error.code) {
    case "otp_invalid":
      return typeof error.fields.attempts_left === "number"
        ? `That code is not right. ${error.fields.attempts_left} ${error.fields.attempts_left === 1 ? "try" : "tries"} left.`
        : "That code is not right. Check the latest mail we sent.";
    case "otp_expired": return "That code has expired. Send a new code.";
    case "otp_locked": return "Too many wrong codes. Send a new code to try again.";
    case "rate_limited": return `Too many attempts for now.${retry || " Try again in a few minutes."}`;
    case "otp_attempts_exhausted":
      return `Too many wrong codes for this address this hour.${retry || " Try again later."}`;
    case "invalid_email": return `“${email}” does not look like an email address.`;
    case "invalid_request": return "Enter the six digits from the mail.";
    case "email_unavailable": return "The server could not send mail right now. Try again shortly.";
    default: return error.message;
  }
}

export async function signinView(root, _params, ctx) {
  const error = h("p", { class: "form-error", role: "alert" });
  const info = h("p", { class: "form-info", role: "status" });
  const body = h("div");
  const google = h("div", { class: "google" });
  root.replaceChildren(h("section", { class: "panel signin" },
    h("h1", { tabindex: "-1" }, "Sign in"),
    h("p", { class: "muted" }, "Practise system-design interviews against the clock. No password: we mail you a code."),
    body, info, error, google));

  function fail(e, email) {
    error.textContent = e instanceof ApiError ? explain(e, email) : String(e.message || e);
  }

  function emailStep(prefill = "") {
    const input = h("input", { id: "signin-email", type: "email", name: "email", autocomplete: "email",
      required: true, value: prefill, inputmode: "email" });
    const button = h("button", { type: "submit", class: "primary" }, "Email me a code");
    const form = h("form", { novalidate: true }, h("div", { class: "field" },
      h("label", { for: input.id }, "Email address"), input), button);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const email = input.value.trim();
      error.textContent = "";
      if (!email) { error.textContent = "Enter your email address."; input.focus(); return; }
      button.disabled = true;
      info.textContent = "Sending…";
      try {
        await api("/auth/otp/request", { method: "POST", body: { email }, auth: false });
        info.textContent = "";
        codeStep(email);
      } catch (e) {
        info.textContent = "";
        fail(e, email);
        input.focus();
      } finally {
        button.disabled = false;
      }
    });
    fill(body, form);
    input.focus();
  }

  function codeStep(email) {
    const input = h("input", { id: "signin-code", name: "code", autocomplete: "one-time-code",
      inputmode: "numeric", pattern: "[0-9]*", maxlength: 12, required: true,
      "aria-describedby": "signin-code-hint" });
    const button = h("button", { type: "submit", class: "primary" }, "Sign in");
    const form = h("form", { novalidate: true },
      h("div", { class: "field" }, h("label", { for: input.id }, "Six-digit code"), input,
        h("small", { class: "hint", id: "signin-code-hint" }, `We sent it to ${email}. It is valid for 10 minutes.`)),
      h("div", { class: "row" }, button,
        h("button", { type: "button", class: "secondary", onclick: resend }, "Send a new code"),
        h("button", { type: "button", class: "link", onclick: () => { error.textContent = ""; emailStep(email); } },
          "Use a different email")));
    input.addEventListener("paste", (event) => {
      const pasted = (event.clipboardData || window.clipboardData)?.getData("text") || "";
      const digits = pasted.replace(/\D/g, "");
      if (digits.length !== CODE_DIGITS) return; // let the browser paste whatever it is
      event.preventDefault();
      input.value = digits;
      form.requestSubmit();
    });
    input.addEventListener("input", () => {
      const digits = input.value.replace(/\D/g, "");
      if (digits.length === CODE_DIGITS && input.value.trim().length <= CODE_DIGITS + 2) form.requestSubmit();
    });
    let busy = false;
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (busy) return;
      const code = input.value.replace(/\D/g, "");
      error.textContent = "";
      if (code.length !== CODE_DIGITS) { error.textContent = "Enter the six digits from the mail."; input.focus(); return; }
      busy = true;
      button.disabled = true;
      info.textContent = "Checking…";
      try {
        signedIn(await api("/auth/otp/verify", { method: "POST", body: { email, code }, auth: false }));
        info.textContent = "";
        ctx.afterSignIn();
      } catch (e) {
        info.textContent = "";
        fail(e, email);
        input.select();
        input.focus();
      } finally {
        busy = false;
        button.disabled = false;
      }
    });

    async function resend() {
      error.textContent = "";
      try {
        await api("/auth/otp/request", { method: "POST", body: { email }, auth: false });
        info.textContent = `A new code is on its way to ${email}.`;
        input.value = "";
        input.focus();
      } catch (e) {
        fail(e, email);
      }
    }

    fill(body, form);
    info.textContent = `Check your inbox: a code is on its way to ${email}.`;
    input.focus();
  }

  emailStep();
  offerGoogle(google, error, ctx);
}

async function offerGoogle(slot, error, ctx) {
  let config;
  try {
    config = await publicConfig();
  } catch {
    return; // a server without /config offers email sign-in only
  }
  if (!config?.google_client_id) return;
  const script = h("script", { src: GOOGLE_SCRIPT, async: true });
  script.addEventListener("load", () => {
    window.google.accounts.id.initialize({
      client_id: config.google_client_id,
      callback: async (response) => {
        try {
          signedIn(await api("/auth/google", { method: "POST", body: { id_token: response.credential }, auth: false }));
          ctx.afterSignIn();
        } catch (e) {
          error.textContent = e.message;
        }
      },
    });
    const button = h("div");
    fill(slot, h("p", { class: "or" }, "or"), button);
    window.google.accounts.id.renderButton(button, { theme: "outline", size: "large", text: "signin_with" });
  });
  script.addEventListener("error", () => {
    fill(slot, h("p", { class: "muted" }, "Google sign-in needs an internet connection; email sign-in works offline."));
  });
  document.head.append(script);
}
