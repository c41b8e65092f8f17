// Admin sub-page "gateways" (tenant admins): how the command sends notifications on each
// channel (WhatsApp Cloud API, an HTTP SMS gateway, SMTP e-mail, Web Push), one form per
// kind matching SetNotificationGatewayInput, with the two intake webhook URLs to give Meta
// and the SMS gateway. A secret is never shown, only whether it is set ("tersimpan"): a
// secret field left empty keeps the stored one. The WhatsApp verify token is not put in
// the page either: left empty, the stored one is sent back with the rest of the config
// (the API replaces the whole config).

import { gql } from "../common/api.js";
import { h, replace, toast } from "../common/dom.js";
import { extend, fmtDateTime, t } from "../common/i18n.js";
import { failed, labelled, selectOf, submitForm, tenantInfo } from "./ops.js";
import { kindText } from "./notifykit.js";

extend({
  id: {
    "gw.title": "Gateway notifikasi",
    "gw.hint": "Cara komando ini mengirim pesan ke warga di tiap saluran. Rahasia disimpan terenkripsi dan tidak pernah ditampilkan lagi: kosongkan kolom rahasia untuk mempertahankan yang tersimpan.",
    "gw.enabled": "Aktif",
    "gw.on": "Aktif", "gw.off": "Nonaktif", "gw.unset": "Belum diatur",
    "gw.updated": "Diubah {when}",
    "gw.set": "tersimpan", "gw.notset": "belum ada",
    "gw.keep": "tersimpan — kosongkan untuk mempertahankan",
    "gw.save": "Simpan gateway",
    "gw.saved": "Gateway {kind} tersimpan.",
    "gw.endpoint": "URL API",
    "gw.endpoint.wa": "URL Graph API (kosongkan: Graph API Meta v21.0 bawaan)",
    "gw.phoneNumberId": "ID nomor telepon bisnis (phone number ID)",
    "gw.secret.WHATSAPP": "Token akses (access token)",
    "gw.secret.SMS": "Rahasia penandatangan (HMAC-SHA256, header X-Jogo-Signature)",
    "gw.secret.EMAIL": "Kata sandi SMTP",
    "gw.secret.WEBPUSH": "Kunci privat VAPID (kosongkan: dibuatkan otomatis)",
    "gw.verifyToken": "Verify token webhook (Anda pilih, minimal 16 karakter; berikan juga ke Meta)",
    "gw.appSecret": "App secret Meta (menandatangani webhook, X-Hub-Signature-256)",
    "gw.sender.SMS": "Nama pengirim (sender ID)",
    "gw.sender.EMAIL": "Alamat pengirim (From)",
    "gw.host": "Server SMTP", "gw.port": "Port (kosongkan: 587, atau 465 untuk TLS)",
    "gw.security": "Keamanan", "gw.username": "Nama pengguna SMTP",
    "gw.clearPassword": "Hapus kata sandi tersimpan",
    "gw.subject": "Kontak VAPID (mailto: atau https:)",
    "gw.publicKey": "Kunci publik VAPID",
    "gw.intake.WHATSAPP": "URL webhook untuk Meta (Callback URL)",
    "gw.intake.SMS": "URL webhook untuk gateway SMS (pesan masuk)",
    "gw.hint.phoneNumberId": "Angka 5–30 digit dari WhatsApp Manager.",
    "gw.hint.token": "Minimal 16 karakter.",
    "gw.hint.endpoint": "URL http atau https yang boleh dihubungi server.",
    "gw.hint.subject": "Awali dengan mailto: atau https:.",
    "gw.hint.host": "Nama host server SMTP.",
    "gw.hint.port": "Angka 1–65535.",
    "gw.hint.security": "STARTTLS, TLS atau NONE.",
    "gw.hint.sender": "Alamat e-mail.",
    "gw.hint.username": "Kata sandi memerlukan nama pengguna.",
    "gw.hint.secret": "Rahasia yang sah (minimal 16 karakter; untuk Web Push kunci privat P-256).",
  },
  en: {
    "gw.title": "Notification gateways",
    "gw.hint": "How this command sends messages to citizens on each channel. Secrets are stored encrypted and never shown again: leave a secret field empty to keep the stored one.",
    "gw.enabled": "Enabled",
    "gw.on": "Enabled", "gw.off": "Disabled", "gw.unset": "Not set up",
    "gw.updated": "Changed {when}",
    "gw.set": "set", "gw.notset": "not set",
    "gw.keep": "set — leave empty to keep it",
    "gw.save": "Save gateway",
    "gw.saved": "The {kind} gateway is saved.",
    "gw.endpoint": "API URL",
    "gw.endpoint.wa": "Graph API URL (empty: Meta's Graph API v21.0)",
    "gw.phoneNumberId": "Business phone number ID",
    "gw.secret.WHATSAPP": "Access token",
    "gw.secret.SMS": "Signing secret (HMAC-SHA256, header X-Jogo-Signature)",
    "gw.secret.EMAIL": "SMTP password",
    "gw.secret.WEBPUSH": "VAPID private key (empty: one is made for you)",
    "gw.verifyToken": "Webhook verify token (your choice, 16+ characters; give it to Meta too)",
    "gw.appSecret": "Meta app secret (signs the webhooks, X-Hub-Signature-256)",
    "gw.sender.SMS": "Sender name (sender ID)",
    "gw.sender.EMAIL": "From address",
    "gw.host": "SMTP server", "gw.port": "Port (empty: 587, or 465 for TLS)",
    "gw.security": "Security", "gw.username": "SMTP username",
    "gw.clearPassword": "Clear the stored password",
    "gw.subject": "VAPID contact (mailto: or https:)",
    "gw.publicKey": "VAPID public key",
    "gw.intake.WHATSAPP": "Webhook URL for Meta (Callback URL)",
    "gw.intake.SMS": "Webhook URL for the SMS gateway (inbound messages)",
    "gw.hint.phoneNumberId": "5-30 digits, from WhatsApp Manager.",
    "gw.hint.token": "At least 16 characters.",
    "gw.hint.endpoint": "An http or https URL the server may call.",
    "gw.hint.subject": "Start with mailto: or https:.",
    "gw.hint.host": "The SMTP server's host name.",
    "gw.hint.port": "A number from 1 to 65535.",
    "gw.hint.security": "STARTTLS, TLS or NONE.",
    "gw.hint.sender": "An e-mail address.",
    "gw.hint.username": "A password needs a username.",
    "gw.hint.secret": "A valid secret (16+ characters; for Web Push a P-256 private key).",
  },
});

export const KINDS = ["WHATSAPP", "SMS", "EMAIL", "WEBPUSH"];
const FIELDS = "kind enabled hasSecret endpoint phoneNumberId sender host port security username subject publicKey verifyToken hasAppSecret updatedAt";
const LIST = `query Gateways { notificationGateways { ${FIELDS} } }`;
const SET = `mutation SetGateway($input: SetNotificationGatewayInput!) { setNotificationGateway(input: $input) {
  gateway { ${FIELDS} } errors { code field message } } }`;
const HINTS = {
  phoneNumberId: "gw.hint.phoneNumberId", verifyToken: "gw.hint.token", appSecret: "gw.hint.token",
  endpoint: "gw.hint.endpoint", subject: "gw.hint.subject", host: "gw.hint.host", port: "gw.hint.port",
  security: "gw.hint.security", sender: "gw.hint.sender", username: "gw.hint.username", secret: "gw.hint.secret",
};

const str = (v) => (v === null || v === undefined ? "" : String(v)).trim() || null;

/** A password-type control for a secret: never filled; "tersimpan" when one is stored. */
function secretField(name, label, isSet) {
  const control = h("input", { name, type: "password", autocomplete: "new-password", placeholder: isSet ? t("gw.keep") : "" });
  return h("label", { class: "gw-secret" },
    h("span", {}, t(label),
      h("span", { class: ["badge", isSet ? "ok" : ""], dataset: { secret: name, set: isSet ? "1" : "0" }, text: isSet ? t("gw.set") : t("gw.notset") })),
    control);
}

/** The URL (copyable) a provider posts inbound messages to. */
function intakeUrl(label, url, kind) {
  const value = h("code", { class: "gw-url", dataset: { intake: kind }, text: url });
  return h("div", { class: "gw-intake" }, h("span", { class: "muted", text: t(label) }),
    h("div", { class: "row" }, value,
      h("button", { type: "button", text: t("ops.copy"), onclick: () => navigator.clipboard?.writeText(url).then(() => toast(t("ops.copied")), () => {}) })));
}

/** The form of one kind, filled from its stored gateway g (null: not set up yet). */
function gatewayForm(kind, g, urls, onSaved) {
  const fields = {
    WHATSAPP: () => [
      labelled("gw.phoneNumberId", h("input", { name: "phoneNumberId", inputMode: "numeric", value: (g && g.phoneNumberId) || "" })),
      labelled("gw.endpoint.wa", h("input", { name: "endpoint", type: "url", value: (g && g.endpoint) || "" })),
      secretField("secret", "gw.secret.WHATSAPP", Boolean(g && g.hasSecret)),
      secretField("verifyToken", "gw.verifyToken", Boolean(g && g.verifyToken)),
      secretField("appSecret", "gw.appSecret", Boolean(g && g.hasAppSecret)),
      intakeUrl("gw.intake.WHATSAPP", urls.WHATSAPP, "WHATSAPP"),
    ],
    SMS: () => [
      labelled("gw.endpoint", h("input", { name: "endpoint", type: "url", value: (g && g.endpoint) || "" })),
      labelled("gw.sender.SMS", h("input", { name: "sender", value: (g && g.sender) || "" })),
      secretField("secret", "gw.secret.SMS", Boolean(g && g.hasSecret)),
      intakeUrl("gw.intake.SMS", urls.SMS, "SMS"),
    ],
    EMAIL: () => [
      labelled("gw.host", h("input", { name: "host", value: (g && g.host) || "" })),
      h("div", { class: "grid2" },
        labelled("gw.port", h("input", { name: "port", type: "number", min: 1, max: 65535, value: g && g.port ? g.port : "" })),
        labelled("gw.security", selectOf("security", ["STARTTLS", "TLS", "NONE"], (v) => v, (g && g.security) || "STARTTLS"))),
      labelled("gw.username", h("input", { name: "username", autocomplete: "off", value: (g && g.username) || "" })),
      labelled("gw.sender.EMAIL", h("input", { name: "sender", type: "email", value: (g && g.sender) || "" })),
      secretField("secret", "gw.secret.EMAIL", Boolean(g && g.hasSecret)),
      g && g.hasSecret ? h("label", { class: "inline" }, h("input", { type: "checkbox", name: "clearSecret" }), t("gw.clearPassword")) : null,
    ],
    WEBPUSH: () => [
      labelled("gw.subject", h("input", { name: "subject", value: (g && g.subject) || "" })),
      secretField("secret", "gw.secret.WEBPUSH", Boolean(g && g.hasSecret)),
      g && g.publicKey ? h("div", { class: "gw-public" }, h("span", { class: "muted", text: t("gw.publicKey") }), h("code", { class: "gw-key", text: g.publicKey })) : null,
    ],
  };
  const state = g ? (g.enabled ? ["ok", "gw.on"] : ["", "gw.off"]) : ["warn", "gw.unset"];
  const form = h("form", { class: "card gw-form", dataset: { kind }, novalidate: true, autocomplete: "off" },
    h("div", { class: "row" },
      h("h3", { text: kindText(kind) }),
      h("span", { class: ["badge", state[0]], dataset: { state: state[1] }, text: t(state[1]) }),
      g ? h("span", { class: "muted", text: t("gw.updated", { when: fmtDateTime(g.updatedAt) }) }) : null),
    h("label", { class: "inline" }, h("input", { type: "checkbox", name: "enabled", checked: g ? g.enabled : true }), t("gw.enabled")),
    fields[kind](),
    h("p", { class: "form-error", role: "alert" }),
    h("button", { type: "submit", class: "primary", text: t("gw.save") }));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const fd = new FormData(form);
    const input = { kind, enabled: fd.get("enabled") === "on" };
    const secret = fd.get("secret") ? String(fd.get("secret")) : null;
    // An empty secret keeps the stored one (null); EMAIL's "clear" sends "".
    input.secret = kind === "EMAIL" && fd.get("clearSecret") === "on" ? "" : secret;
    if (kind === "WHATSAPP") {
      Object.assign(input, { phoneNumberId: str(fd.get("phoneNumberId")), endpoint: str(fd.get("endpoint")) });
      // The whole config is replaced: an empty verify token field sends the stored one.
      input.verifyToken = str(fd.get("verifyToken")) || (g && g.verifyToken) || null;
      input.appSecret = fd.get("appSecret") ? String(fd.get("appSecret")) : null;
    } else if (kind === "SMS") {
      Object.assign(input, { endpoint: str(fd.get("endpoint")), sender: str(fd.get("sender")) });
    } else if (kind === "EMAIL") {
      const port = str(fd.get("port"));
      Object.assign(input, { host: str(fd.get("host")), port: port === null ? null : Number(port), security: str(fd.get("security")), username: str(fd.get("username")), sender: str(fd.get("sender")) });
    } else {
      input.subject = str(fd.get("subject"));
    }
    const payload = await submitForm(form, SET, { input }, { hints: HINTS });
    if (!payload) return;
    // The secrets typed are dropped with this form: the new one is drawn from the answer.
    toast(t("gw.saved", { kind: kindText(kind) }));
    onSaved(payload.gateway);
  });
  return form;
}

/** Render the notification gateways page into body. */
export async function renderGateways(body) {
  const grid = h("div", { class: "gw-grid" });
  let tenant;
  let stored;
  try {
    [tenant, stored] = await Promise.all([tenantInfo(), gql(LIST).then((d) => d.notificationGateways || [])]);
  } catch (e) {
    body.append(failed(e));
    return;
  }
  const base = `${location.origin}/t/${encodeURIComponent(tenant.slug)}/intake`;
  const urls = { WHATSAPP: `${base}/whatsapp`, SMS: `${base}/sms` };
  const byKind = Object.fromEntries(stored.map((g) => [g.kind, g]));
  const slots = Object.fromEntries(KINDS.map((kind) => [kind, h("div", { class: "gw-slot" })]));
  const draw = (kind) => replace(slots[kind], gatewayForm(kind, byKind[kind] || null, urls, (saved) => {
    if (saved) byKind[kind] = saved;
    draw(kind);
  }));
  KINDS.forEach(draw);
  replace(grid, KINDS.map((kind) => slots[kind]));
  body.append(
    h("div", { class: "row ops-head" }, h("h2", { text: t("gw.title") })),
    h("p", { class: "muted ops-hint", text: t("gw.hint") }),
    grid);
  body.dataset.loaded = "gateways";
}
