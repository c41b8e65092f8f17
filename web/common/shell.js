// The frame every client shares: sign-in (with the session restored from the refresh
// cookie after a reload), the caller's roles from the endpoint's `me`, a no-access page
// for a caller the client is not for, the header (title, user, language, sign-out), the
// navigation and a hash router (#/view/param).

import { ApiError, config, gql, payloadErrors, postAuth, session } from "./api.js";
import { $, h, replace, toast } from "./dom.js";
import { errorText, lang, onLangChange, setLang, t } from "./i18n.js";

/** Whether the caller (`me`) holds any of the roles. */
export const has = (me, ...roles) => roles.some((r) => me.roles.includes(r));

const ME = "query Me { me { kind name roles scopes } }";

/**
 * boot({title, allowed(me) -> bool, views: [{id, label, show(me) -> bool, nav?: false, render(main, ctx, param)}],
 *       start(ctx)?}) — runs the client.
 * ctx: {me, config, navigate(hash)}; a view's render may return a cleanup function.
 * The first view a caller may see is the default route.
 */
export async function boot(app) {
  document.documentElement.lang = lang();
  const root = $("#app");
  replace(root, h("p", { class: "loading", text: t("app.loading") }));
  let restored = false;
  try {
    restored = await session.restore();
  } catch (error) {
    replace(root, h("p", { class: "error", role: "alert", text: errorText(error) }));
    return;
  }
  session.on((event) => {
    if (event === "signed-out") {
      toast(t("app.session.ended"));
      signIn(root, app);
    }
  });
  if (restored) await enter(root, app);
  else signIn(root, app);
}

function langButton() {
  return h("button", { type: "button", class: "link lang", text: t("app.lang"), onclick: () => setLang(lang() === "id" ? "en" : "id") });
}

function signIn(root, app) {
  const error = h("p", { class: "form-error", role: "alert" });
  const form = h(
    "form",
    { class: "signin card", autocomplete: "on" },
    h("h1", { text: t(app.title) }),
    h("label", {}, t("app.username"), h("input", { name: "username", autocomplete: "username", required: true })),
    h("label", {}, t("app.password"), h("input", { name: "password", type: "password", autocomplete: "current-password", required: true })),
    error,
    h("div", { class: "row" }, h("button", { type: "submit", class: "primary", text: t("app.signin") }), langButton()),
    h("p", {}, h("button", { type: "button", class: "link", text: t("app.activate.open"), onclick: () => activate(root, app) })),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    const data = new FormData(form);
    try {
      const challenge = await session.signIn(String(data.get("username")), String(data.get("password")));
      if (challenge && challenge.second_factor === "enrol") enrolAtSignIn(root, app, challenge);
      else if (challenge) codeAtSignIn(root, app, challenge);
      else await enter(root, app);
    } catch (e) {
      error.textContent = e.status === 401 ? t("err.signin") : errorText(e);
    }
  });
  replace(root, h("main", { class: "signin-page" }, form));
  const offLang = onLangChange(() => { offLang(); if (!session.token) signIn(root, app); });
  form.querySelector("input").focus();
}

/** The second step of a sign-in: a TOTP code (or a recovery code) for the challenge. */
function codeAtSignIn(root, app, challenge) {
  const error = h("p", { class: "form-error", role: "alert" });
  const form = h(
    "form",
    { class: "signin card" },
    h("h1", { text: t("app.totp.title") }),
    h("p", { class: "muted", text: t("app.totp.hint") }),
    h("label", {}, t("app.totp.code"), h("input", { name: "code", autocomplete: "one-time-code", inputmode: "text", required: true })),
    error,
    h("div", { class: "row" },
      h("button", { type: "submit", class: "primary", text: t("app.totp.submit") }),
      h("button", { type: "button", class: "link", text: t("app.cancel"), onclick: () => signIn(root, app) })),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    try {
      await session.secondFactor(challenge.challenge, String(new FormData(form).get("code")).trim());
      await enter(root, app);
    } catch (e) {
      error.textContent = e.status === 401 && /expired|kedaluwarsa/.test(e.message) ? t("err.totp.expired")
        : e.status === 401 ? t("err.totp") : errorText(e);
    }
  });
  replace(root, h("main", { class: "signin-page" }, form));
  form.querySelector("input").focus();
}

/** Recovery codes, shown once, and a button to go on. */
function recoveryCodes(codes, onDone) {
  return h("div", { class: "card recovery" },
    h("h2", { text: t("app.totp.recovery.title") }),
    h("p", { text: t("app.totp.recovery.hint") }),
    h("pre", { class: "recovery-codes", text: codes.join("\n") }),
    h("button", { type: "button", class: "primary", text: t("app.totp.continue"), onclick: onDone }));
}

/** A form to enrol: the secret and its otpauth:// URI as text, and the first code.
 * start() -> {secret, provisioning_uri}; confirm(code) -> recovery codes. */
async function enrolForm(start, confirm, done) {
  const started = await start();
  const error = h("p", { class: "form-error", role: "alert" });
  const form = h(
    "form",
    { class: "card enrol" },
    h("h2", { text: t("app.totp.enrol.title") }),
    h("p", { class: "muted", text: t("app.totp.enrol.hint") }),
    h("label", {}, t("app.totp.secret"), h("input", { name: "secret", readonly: true, value: started.secret })),
    h("label", {}, t("app.totp.uri"), h("input", { name: "uri", readonly: true, value: started.provisioning_uri })),
    h("label", {}, t("app.totp.code"), h("input", { name: "code", autocomplete: "one-time-code", inputmode: "numeric", required: true })),
    error,
    h("div", { class: "row" }, h("button", { type: "submit", class: "primary", text: t("app.totp.submit") })),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    try {
      const codes = await confirm(String(new FormData(form).get("code")).trim());
      form.replaceWith(recoveryCodes(codes || [], done));
    } catch (e) {
      error.textContent = e.status === 401 || e.code === "INVALID_INPUT" ? t("err.totp") : errorText(e);
    }
  });
  return form;
}

/** The enrolment-only session: a command that requires TOTP of a staff member without it. */
async function enrolAtSignIn(root, app, challenge) {
  const main = h("main", { class: "signin-page" });
  replace(root, main);
  try {
    replace(main, await enrolForm(
      () => postAuth("/auth/totp/enrol", { challenge: challenge.challenge }),
      (code) => session.secondFactor(challenge.challenge, code),
      () => enter(root, app),
    ));
  } catch (e) {
    replace(main, h("p", { class: "error", role: "alert", text: errorText(e) }));
  }
}

const SECURITY = `query { me { twoFactor { enabled required recoveryCodesLeft }
  securityEvents { kind at client message } } }`;

/** Text in the page's language from an "Indonesian / English" message. */
const bilingual = (message) => {
  const [id, en] = String(message).split(" / ");
  return lang() === "en" && en ? en : id;
};

/** The "security" view every client has: two-step verification and recent events. */
async function securityView(main, ctx) {
  const data = (await gql(SECURITY)).me;
  const tf = data.twoFactor || { enabled: false, required: false, recoveryCodesLeft: 0 };
  const panel = h("section", { class: "card" });
  const redraw = () => securityView(main, ctx);
  if (tf.enabled) {
    const error = h("p", { class: "form-error", role: "alert" });
    const form = h("form", { class: "row" },
      h("label", {}, t("app.totp.code"), h("input", { name: "code", autocomplete: "one-time-code", required: true })),
      h("button", { type: "submit", text: t("app.security.regenerate") }), error);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        const body = await postAuth("/auth/totp/recovery-codes", { code: String(new FormData(form).get("code")).trim() });
        replace(panel, recoveryCodes(body.recovery_codes, redraw));
      } catch (e) {
        error.textContent = e.code === "INVALID_INPUT" ? t("err.totp") : errorText(e);
      }
    });
    replace(panel, h("p", { text: t("app.security.on", { n: tf.recoveryCodesLeft }) }), form);
  } else {
    const enable = h("button", { type: "button", class: "primary", text: t("app.security.enable") });
    enable.onclick = async () => {
      try {
        replace(panel, await enrolForm(
          () => postAuth("/auth/totp/enrol"),
          async (code) => (await postAuth("/auth/totp/confirm", { code })).recovery_codes,
          redraw,
        ));
      } catch (e) { toast(errorText(e), "error"); }
    };
    replace(panel, h("p", { text: t(tf.required ? "app.security.off.required" : "app.security.off") }), enable);
  }
  const events = h("section", { class: "card" },
    h("h2", { text: t("app.security.events") }),
    data.securityEvents.length
      ? h("ul", {}, data.securityEvents.map((e) => h("li", {},
        h("time", { text: new Date(e.at).toLocaleString(lang() === "en" ? "en-GB" : "id-ID") }), " · ",
        bilingual(e.message), e.client ? ` (${e.client})` : "")))
      : h("p", { class: "muted", text: t("app.security.none") }));
  const policy = await policyPanel(ctx);
  replace(main, h("h1", { text: t("app.security") }), panel, policy, events);
  main.dataset.loaded = "1";
}

const POLICY = "query { staffSignInPolicy { twoFactorRequired } }";
const SET_POLICY = `mutation($r: Boolean!) { setStaffTwoFactorRequired(required: $r) {
  policy { twoFactorRequired } errors { code field message } } }`;

/** A tenant admin's switch: TOTP mandatory for the command's operators and admins. */
async function policyPanel(ctx) {
  if (!ctx.me.roles.includes("tenant_admin") || !String(config.endpoint || "").startsWith("/t/")) return null;
  const current = (await gql(POLICY)).staffSignInPolicy;
  const box = h("input", { type: "checkbox", name: "required", checked: Boolean(current && current.twoFactorRequired) });
  box.onchange = async () => {
    const payload = (await gql(SET_POLICY, { r: box.checked })).setStaffTwoFactorRequired;
    const errors = payloadErrors(payload);
    toast(errors.length ? errorText(errors[0]) : t("app.security.saved"), errors.length ? "error" : undefined);
  };
  return h("section", { class: "card" }, h("label", {}, box, " ", t("app.security.required")));
}

/** Set a password with a one-time code (a new person's activation code, or a reset code
 * an admin issued): POST /auth/reset, then sign in. */
function activate(root, app) {
  const error = h("p", { class: "form-error", role: "alert" });
  const form = h(
    "form",
    { class: "signin card" },
    h("h1", { text: t("app.activate.title") }),
    h("label", {}, t("app.activate.code"), h("input", { name: "code", autocomplete: "one-time-code", required: true })),
    h("label", {}, t("app.activate.password"), h("input", { name: "password", type: "password", autocomplete: "new-password", required: true, minLength: 10 })),
    h("label", {}, t("app.activate.repeat"), h("input", { name: "repeat", type: "password", autocomplete: "new-password", required: true })),
    error,
    h("div", { class: "row" },
      h("button", { type: "submit", class: "primary", text: t("app.activate.submit") }),
      h("button", { type: "button", class: "link", text: t("app.cancel"), onclick: () => signIn(root, app) })),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    if (data.get("password") !== data.get("repeat")) {
      showErrors(form, [{ code: "INVALID_INPUT", field: "repeat", message: t("app.activate.mismatch") }]);
      form.querySelector('[data-field="repeat"]').textContent = t("app.activate.mismatch");
      return;
    }
    try {
      const response = await fetch("/auth/reset", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ code: String(data.get("code")).trim(), password: String(data.get("password")) }),
      });
      if (!response.ok) {
        const body = await response.json().catch(() => ({}));
        const first = (body.errors || [])[0] || {};
        const code = first.extensions?.code || `HTTP_${response.status}`;
        const field = response.status === 401 ? "code" : first.extensions?.field || (code === "INVALID_INPUT" ? "password" : null);
        showErrors(form, [{ code, field, message: first.message }]);
        return;
      }
      toast(t("app.activate.done"));
      signIn(root, app);
    } catch {
      error.textContent = t("err.NETWORK");
    }
  });
  replace(root, h("main", { class: "signin-page" }, form));
}

async function enter(root, app) {
  let me;
  try {
    me = (await gql(ME)).me;
  } catch (e) {
    // A caller of another command gets NOT_FOUND from a tenant endpoint, a caller without
    // the capability FORBIDDEN from the national and platform ones: both are no access.
    if (e instanceof ApiError && ["NOT_FOUND", "FORBIDDEN", "HTTP_404", "HTTP_403"].includes(e.code)) me = null;
    else { replace(root, h("p", { class: "error", role: "alert", text: errorText(e) })); return; }
  }
  if (!me || me.kind !== "user" || !app.allowed(me)) {
    replace(
      root,
      h("main", { class: "signin-page" }, h("div", { class: "card noaccess", role: "alert" },
        h("h1", { text: t(app.title) }),
        h("p", { text: t("app.noaccess") }),
        h("p", { class: "muted", text: t("app.noaccess.hint") }),
        h("button", { type: "button", class: "primary", text: t("app.signout"), onclick: () => session.signOut() }),
      )),
    );
    return;
  }
  frame(root, app, me);
}

function frame(root, app, me) {
  const views = app.views.filter((v) => !v.show || v.show(me));
  // Every client: one's own sign-in security (two-step verification, recent events).
  if (me.kind === "user") views.push({ id: "security", label: "app.security", render: securityView });
  const nav = h("nav", { class: "tabs", "aria-label": "menu" });
  const main = h("main", { id: "main", class: "content" });
  const status = h("span", { id: "live-status", class: "live-status" });
  const header = h("header", { class: "topbar" });
  let cleanup = null;
  const ctx = {
    me,
    config,
    navigate: (hash) => { location.hash = hash; },
    setLive: (on) => {
      status.className = `live-status ${on ? "on" : "off"}`;
      status.textContent = on ? t("app.live.on") : t("app.live.off");
    },
  };

  function drawChrome() {
    replace(
      header,
      h("strong", { class: "brand", text: t(app.title) }),
      config.name ? h("span", { class: "tenant", text: config.name }) : null,
      status,
      h("span", { class: "spacer" }),
      h("span", { class: "user", text: `${me.name} · ${me.roles.join(", ")}` }),
      langButton(),
      h("button", { type: "button", class: "link", text: t("app.signout"), onclick: () => session.signOut() }),
    );
    replace(nav, views.filter((v) => v.nav !== false).map((v) => h("a", { href: `#/${v.id}`, dataset: { view: v.id }, text: t(v.label) })));
  }

  function route() {
    if (cleanup) { try { cleanup(); } catch { /* a view's own cleanup */ } cleanup = null; }
    const [id, ...rest] = location.hash.replace(/^#\/?/, "").split("/");
    const view = views.find((v) => v.id === id) || views[0];
    for (const link of nav.querySelectorAll("a")) link.classList.toggle("active", link.dataset.view === view.id);
    replace(main);
    const param = rest.map(decodeURIComponent).join("/") || null;
    Promise.resolve(view.render(main, ctx, param)).then((fn) => { cleanup = typeof fn === "function" ? fn : null; })
      .catch((e) => replace(main, h("p", { class: "error", role: "alert", text: errorText(e) })));
  }

  drawChrome();
  replace(root, header, nav, main);
  if (app.start) app.start(ctx);
  window.addEventListener("hashchange", route);
  const offLang = onLangChange(() => { drawChrome(); route(); });
  // Signed out (here, in another tab, or the session ended): this frame is gone. Its view
  // is cleaned up and it stops following the address and the language, so a later
  // sign-in starts one fresh frame and no view keeps working for a page nobody sees.
  const offSession = session.on((event) => {
    if (event !== "signed-out") return;
    offSession();
    offLang();
    window.removeEventListener("hashchange", route);
    if (cleanup) { try { cleanup(); } catch { /* a view's own cleanup */ } cleanup = null; }
  });
  route();
}

/** Show a mutation's typed errors: each next to the form control whose name (or
 * data-field) is the error's field (its last segment: "input.reason" -> reason), the rest
 * in the form's .form-error box. Returns true when there were errors. */
export function showErrors(form, errors) {
  for (const old of form.querySelectorAll(".field-error")) old.remove();
  const box = form.querySelector(".form-error");
  if (box) box.textContent = "";
  for (const error of errors) {
    const field = error.field ? String(error.field).split(".").pop() : null;
    const control = field && (form.querySelector(`[name="${CSS.escape(field)}"]`) || form.querySelector(`[data-field="${CSS.escape(field)}"]`));
    const text = errorText(error);
    if (control) {
      const note = h("span", { class: "field-error", role: "alert", dataset: { field }, text });
      (control.closest("label") || control).after(note);
    } else if (box) {
      box.textContent = [box.textContent, text].filter(Boolean).join(" ");
    } else {
      toast(text, "error");
    }
  }
  return errors.length > 0;
}
