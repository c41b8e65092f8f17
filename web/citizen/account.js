// Masuk / Akun: sign-in and sign-up by phone (a one-time code by SMS or WhatsApp:
// POST /auth/phone/start, then /auth/web/phone/verify with the CSRF double-submit, which
// answers like /auth/web/login and sets the refresh cookie; a new citizen accepts the
// privacy notice, whose version is sent as consent), then the citizen's notification
// channels (myNotificationChannels, addNotificationChannel, removeNotificationChannel)
// and Web Push on this phone (the service worker's pushManager, webPushPublicKey).

import { ApiError, gql, newClientKey, payloadErrors, session } from "../common/api.js";
import { h, replace, toast } from "../common/dom.js";
import { errorText, lang, t } from "../common/i18n.js";
import { showErrors } from "../common/shell.js";
import { heading } from "./kit.js";
import { loadNotice, markSeen, noticeBlock } from "./notice.js";

const CONSENTS = "query Consents { myConsents { purpose lawfulBasis withdrawable noticeVersion live withdrawnAt } }";
const CONSENT_FIELDS = "consent { purpose live } errors { code field message }";
const WITHDRAW = `mutation Withdraw($purpose: ConsentPurpose!) { withdrawConsent(purpose: $purpose) { ${CONSENT_FIELDS} } }`;
const GIVE = `mutation Give($purpose: ConsentPurpose!, $version: String!) { giveConsent(purpose: $purpose, noticeVersion: $version) { ${CONSENT_FIELDS} } }`;
const CHANNELS = "query Channels { myNotificationChannels { id channel address locale createdAt } }";
const ADD_FIELDS = "channel { id channel address locale createdAt } errors { code field message }";
const ADD = `mutation Add($input: AddNotificationChannelInput!) { addNotificationChannel(input: $input) { ${ADD_FIELDS} } }`;
const REMOVE = "mutation Remove($id: ID!) { removeNotificationChannel(id: $id) { removed errors { code field message } } }";
const PUSH_KEY = "query PushKey { webPushPublicKey }";

function csrf() {
  const match = document.cookie.split("; ").find((c) => c.startsWith("jogo_csrf="));
  return match ? decodeURIComponent(match.slice("jogo_csrf=".length)) : "";
}

/** POST JSON to an /auth route: the body on 2xx, else ApiError(code, message, field, status)
 * with .body (the whole answer: CONSENT_REQUIRED carries notice_version). Reads both the
 * flat {code, field, message} and the GraphQL-shaped {errors: [{extensions}]} answers. */
export async function postAuth(path, body, withCsrf = false) {
  let response;
  try {
    response = await fetch(path, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", ...(withCsrf ? { "X-Jogo-CSRF": csrf() } : {}) },
      body: JSON.stringify(body),
    });
  } catch {
    throw new ApiError("NETWORK", "network error");
  }
  let answer = {};
  try { answer = await response.json(); } catch { /* not JSON */ }
  if (response.ok) return answer;
  const first = (answer.errors || [])[0] || {};
  const ext = first.extensions || {};
  const error = new ApiError(answer.code || ext.code || `HTTP_${response.status}`, answer.message || first.message || response.statusText,
    answer.field || ext.field || null, response.status);
  error.body = { ...ext, ...answer };
  throw error;
}

const authText = (error) => {
  const own = { INVALID_CODE: "akun.err.code", CONSENT_REQUIRED: "akun.err.consent", GATEWAY_UNAVAILABLE: "akun.err.gateway", RATE_LIMITED: "akun.err.limit" }[error.code];
  return own ? t(own) : errorText(error);
};

function signInView(main, ctx) {
  const state = { phone: "", channel: "SMS", notice: null };
  const box = h("div", {});
  const phoneStep = () => {
    const form = h("form", { class: "card signin-phone" },
      h("label", {}, t("akun.phone"), h("input", { name: "phone", type: "tel", inputMode: "tel", autocomplete: "tel", required: true, placeholder: "0812 3456 7890", value: state.phone })),
      h("fieldset", { class: "channel" }, h("legend", { text: t("akun.via") }),
        h("label", { class: "inline" }, h("input", { type: "radio", name: "channel", value: "SMS", checked: state.channel === "SMS" }), "SMS"),
        h("label", { class: "inline" }, h("input", { type: "radio", name: "channel", value: "WHATSAPP", checked: state.channel === "WHATSAPP" }), "WhatsApp")),
      h("p", { class: "form-error", role: "alert" }),
      h("button", { type: "submit", class: "primary big", text: t("akun.send") }),
      h("p", { class: "muted small", text: t("akun.lead") }));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const data = new FormData(form);
      state.phone = String(data.get("phone") || "").trim();
      state.channel = String(data.get("channel") || "SMS");
      try {
        const answer = await postAuth("/auth/phone/start", { tenant: ctx.config.slug, phone: state.phone, channel: state.channel });
        state.channel = answer.channel || state.channel;
        codeStep();
      } catch (error) {
        showErrors(form, [{ ...error, code: error.code, field: error.field, message: error.message }]);
        const box2 = form.querySelector(".form-error");
        if (!error.field) box2.textContent = authText(error);
      }
    });
    replace(box, form);
    form.querySelector("input").focus();
  };
  const codeStep = () => {
    const consent = h("input", { type: "checkbox", name: "consent" });
    const noticeText = h("div", { class: "notice-text" });
    const drawNotice = () => {
      const n = state.notice;
      replace(noticeText, noticeBlock(n, true));
    };
    const form = h("form", { class: "card signin-code" },
      h("p", { text: t("akun.sent", { phone: state.phone, via: state.channel === "WHATSAPP" ? "WhatsApp" : "SMS" }) }),
      h("label", {}, t("akun.code"), h("input", { name: "code", inputMode: "numeric", autocomplete: "one-time-code", required: true, maxLength: 10 })),
      h("label", {}, t("akun.name"), h("input", { name: "name", autocomplete: "name", maxLength: 120 })),
      noticeText,
      h("label", { class: "inline", "data-field": "consent" }, consent, t("akun.consent")),
      h("p", { class: "form-error", role: "alert" }),
      h("button", { type: "submit", class: "primary big", text: t("akun.verify") }),
      h("button", { type: "button", class: "link", text: t("akun.back"), onclick: phoneStep }));
    loadNotice().then((n) => { if (n) { state.notice = n; markSeen(n.version); drawNotice(); } });
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const data = new FormData(form);
      const version = consent.checked ? (state.notice && state.notice.version) || state.noticeVersion || null : null;
      const body = { tenant: ctx.config.slug, phone: state.phone, code: String(data.get("code") || "").trim(), consent: version };
      const name = String(data.get("name") || "").trim();
      if (name) body.name = name;
      try {
        const answer = await postAuth("/auth/web/phone/verify", body, true);
        if (answer.second_factor) { // staff with two-step verification: not in this app
          form.querySelector(".form-error").textContent = t("akun.err.staff");
          return;
        }
        session.accept(answer, "signed-in"); // the same answer as /auth/web/login
        ctx.me = (await gql("query Me { me { kind name roles } }")).me;
        toast(t("akun.welcome"));
        ctx.refresh();
      } catch (error) {
        if (error.code === "CONSENT_REQUIRED") {
          state.noticeVersion = error.body?.notice_version || null;
          if (!state.notice) drawNotice();
        }
        showErrors(form, []);
        form.querySelector(".form-error").textContent = authText(error);
      }
    });
    replace(box, form);
    form.querySelector("input[name=code]").focus();
  };
  replace(main, ...heading("akun.heading.in"), box);
  phoneStep();
}

function urlBase64ToBytes(text) {
  const padded = (text + "===".slice((text.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
  return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
}

async function enablePush(reload) {
  if (!("serviceWorker" in navigator) || !("PushManager" in window)) { toast(t("push.unsupported"), "error"); return; }
  try {
    const key = (await gql(PUSH_KEY)).webPushPublicKey;
    if (!key) { toast(t("push.nokey"), "error"); return; }
    if ((await Notification.requestPermission()) !== "granted") { toast(t("push.denied"), "error"); return; }
    const registration = await navigator.serviceWorker.ready;
    const subscription = (await registration.pushManager.getSubscription())
      || (await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: urlBase64ToBytes(key) }));
    const notice = await loadNotice();
    const payload = (await gql(ADD, { input: { channel: "WEBPUSH", address: JSON.stringify(subscription), locale: lang(), clientKey: newClientKey(), noticeVersion: notice?.version } })).addNotificationChannel;
    const errors = payloadErrors(payload);
    if (errors.length) { toast(errors.map((e) => errorText(e)).join(" "), "error"); return; }
    toast(t("push.on"));
    reload();
  } catch (error) {
    toast(error instanceof ApiError ? errorText(error) : t("push.failed"), "error");
  }
}

async function channelsView(main, ctx) {
  const { box: consents, draw: loadConsents } = consentsBox();
  const list = h("div", { class: "channels" }, h("p", { class: "loading", text: t("app.loading") }));
  const address = h("input", { name: "address", required: true, autocomplete: "tel", placeholder: "0812…" });
  const channel = h("select", { name: "channel", onchange: () => { address.type = channel.value === "EMAIL" ? "email" : "tel"; } },
    h("option", { value: "WHATSAPP", text: "WhatsApp" }), h("option", { value: "SMS", text: "SMS" }), h("option", { value: "EMAIL", text: t("notify.email") }));
  const form = h("form", { class: "card add-channel" },
    h("h2", { text: t("notif.add") }),
    h("label", {}, t("notif.channel"), channel),
    h("label", {}, t("notif.address"), address),
    h("p", { class: "form-error", role: "alert" }),
    h("button", { type: "submit", class: "primary", text: t("notif.add.submit") }));
  const load = async () => {
    try {
      const rows = (await gql(CHANNELS)).myNotificationChannels || [];
      replace(list, rows.length ? h("ul", { class: "plain" }, rows.map((c) => h("li", { class: "card channel-row", dataset: { id: c.id } },
        h("strong", { text: c.channel === "WEBPUSH" ? t("notif.push") : c.channel }),
        h("span", { class: "muted small", text: c.channel === "WEBPUSH" ? "" : ` ${c.address}` }),
        h("button", { type: "button", class: "link", text: t("notif.remove"), onclick: async () => {
          try {
            const payload = (await gql(REMOVE, { id: c.id })).removeNotificationChannel;
            const errors = payloadErrors(payload);
            if (errors.length) toast(errors.map((e) => errorText(e)).join(" "), "error"); else load();
          } catch (error) { toast(errorText(error), "error"); }
        } }))))
        : h("p", { class: "muted", text: t("notif.none") }));
    } catch (error) {
      replace(list, h("p", { class: "error", role: "alert", text: errorText(error) }));
    }
  };
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const notice = await loadNotice();
      const input = { channel: channel.value, address: address.value.trim(), locale: lang(), clientKey: newClientKey(), noticeVersion: notice?.version };
      const payload = (await gql(ADD, { input })).addNotificationChannel;
      if (showErrors(form, payloadErrors(payload))) return;
      form.reset();
      toast(t("app.saved"));
      load();
      loadConsents(); // adding a channel consented to notifications
    } catch (error) {
      showErrors(form, [error]);
    }
  });
  replace(main, ...heading("akun.heading"),
    h("div", { class: "card" },
      h("p", {}, t("akun.signedin"), " ", h("strong", { text: ctx.me?.name || "" })),
      h("button", { type: "button", text: t("app.signout"), onclick: () => session.signOut() })),
    h("h2", { text: t("notif.heading") }),
    h("p", { class: "muted small", text: t("notif.lead") }),
    list,
    h("button", { type: "button", class: "primary", text: t("push.enable"), onclick: () => enablePush(load) }),
    form,
    h("h2", { text: t("consent.heading") }),
    h("p", { class: "muted small", text: t("consent.lead") }),
    consents);
  await Promise.all([load(), loadConsents()]);
}

/** The person's consents per purpose, with withdraw / give again (id+en texts). */
function consentsBox() {
  const box = h("div", { class: "consents" }, h("p", { class: "loading", text: t("app.loading") }));
  const act = async (query, variables, key) => {
    try {
      const payload = (await gql(query, variables))[key];
      const errors = payloadErrors(payload);
      if (errors.length) { toast(errors.map((e) => errorText(e)).join(" "), "error"); return; }
      toast(t("app.saved"));
      await draw();
    } catch (error) { toast(errorText(error), "error"); }
  };
  const draw = async () => {
    try {
      const [rows, notice] = [(await gql(CONSENTS)).myConsents || [], await loadNotice()];
      replace(box, noticeBlock(notice), h("ul", { class: "plain" }, rows.map((c) => h("li", { class: "card consent-row", dataset: { purpose: c.purpose } },
        h("strong", { text: t(`consent.${c.purpose}`) }),
        h("p", { class: "small muted", text: t(`consent.basis.${c.lawfulBasis}`) }),
        h("p", { class: "small consent-state", text: c.live === null ? t("consent.notwithdrawable") : t(c.live ? "consent.live" : "consent.off") }),
        c.withdrawable && c.live ? h("button", { type: "button", class: "link withdraw", text: t("consent.withdraw"), onclick: () => act(WITHDRAW, { purpose: c.purpose }, "withdrawConsent") }) : null,
        c.withdrawable && !c.live && notice ? h("button", { type: "button", class: "link give", text: t("consent.give"), onclick: () => act(GIVE, { purpose: c.purpose, version: notice.version }, "giveConsent") }) : null))));
    } catch (error) {
      replace(box, h("p", { class: "error", role: "alert", text: errorText(error) }));
    }
  };
  return { box, draw };
}

export const accountView = {
  id: "akun",
  label: "nav.akun",
  icon: "☺",
  async render(main, ctx) {
    if (ctx.signedIn) await channelsView(main, ctx);
    else signInView(main, ctx);
  },
};
