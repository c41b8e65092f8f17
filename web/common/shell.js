// The frame every client shares: sign-in (with the session restored from the refresh
// cookie after a reload), the caller's roles from the endpoint's `me`, a no-access page
// for a caller the client is not for, the header (title, user, language, sign-out), the
// navigation and a hash router (#/view/param).

import { ApiError, config, gql, session } from "./api.js";
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
      await session.signIn(String(data.get("username")), String(data.get("password")));
      await enter(root, app);
    } catch (e) {
      error.textContent = e.status === 401 ? t("err.signin") : errorText(e);
    }
  });
  replace(root, h("main", { class: "signin-page" }, form));
  const offLang = onLangChange(() => { offLang(); if (!session.token) signIn(root, app); });
  form.querySelector("input").focus();
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
