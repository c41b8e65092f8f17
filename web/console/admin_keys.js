// Admin sub-page "keys": the command's API keys (newest first) with status and last use;
// create one (the key is shown this once), rotate (a successor shown once, the old key
// overlapping for some hours) and revoke.

import { gql, newClientKey } from "../common/api.js";
import { h, replace, toast } from "../common/dom.js";
import { extend, fmtDateTime, t } from "../common/i18n.js";
import { failed, isoFromLocal, labelled, onceBox, submitForm, table } from "./ops.js";

const SCOPES = ["reports:read", "reports:write", "agencies:read", "agencies:write", "bulletins:write", "election:write"];

extend({
  id: {
    "key.new": "Buat kunci API",
    "key.name": "Nama (mis. sistem Dishub)",
    "key.scopes": "Cakupan",
    "key.expires": "Kedaluwarsa (opsional)",
    "key.expiry": "Kedaluwarsa",
    "key.create": "Buat kunci",
    "key.prefix": "Awalan",
    "key.lastUsed": "Terakhir dipakai",
    "key.by": "Dibuat oleh",
    "key.rotate": "Ganti",
    "key.revoke": "Cabut",
    "key.overlap": "Kunci lama tetap berlaku (jam)",
    "key.made": "Kunci API baru",
    "key.rotated": "Kunci pengganti untuk \"{name}\"",
    "key.revoked": "Kunci dicabut.",
    "key.confirmRevoke": "Cabut kunci \"{name}\" sekarang? Permintaan berikutnya dengan kunci ini ditolak.",
    "key.status.ACTIVE": "Aktif", "key.status.EXPIRING": "Segera kedaluwarsa", "key.status.EXPIRED": "Kedaluwarsa", "key.status.REVOKED": "Dicabut",
  },
  en: {
    "key.new": "Create an API key",
    "key.name": "Name (e.g. the transport office's system)",
    "key.scopes": "Scopes",
    "key.expires": "Expires (optional)",
    "key.expiry": "Expires",
    "key.create": "Create key",
    "key.prefix": "Prefix",
    "key.lastUsed": "Last used",
    "key.by": "Created by",
    "key.rotate": "Rotate",
    "key.revoke": "Revoke",
    "key.overlap": "Old key keeps working (hours)",
    "key.made": "New API key",
    "key.rotated": "Successor key for \"{name}\"",
    "key.revoked": "Key revoked.",
    "key.confirmRevoke": "Revoke the key \"{name}\" now? Its next request is refused.",
    "key.status.ACTIVE": "Active", "key.status.EXPIRING": "Expiring", "key.status.EXPIRED": "Expired", "key.status.REVOKED": "Revoked",
  },
});

const KEY = "id name prefix scopes status createdAt createdBy lastUsedAt expiresAt revokedAt";
const LIST = `query Keys($after: String) { apiKeys(first: 50, after: $after) { nodes { ${KEY} } hasNextPage endCursor } }`;
const CREATE = `mutation CreateKey($name: String!, $scopes: [String!]!, $exp: DateTime, $ck: String) {
  createApiKey(name: $name, scopes: $scopes, expiresAt: $exp, clientKey: $ck) { key apiKey { ${KEY} } errors { code field message } } }`;
const ROTATE = `mutation RotateKey($id: ID!, $h: Int, $ck: String) {
  rotateApiKey(id: $id, overlapHours: $h, clientKey: $ck) { key apiKey { ${KEY} } errors { code field message } } }`;
const REVOKE = "mutation RevokeKey($id: ID!) { revokeApiKey(id: $id) { apiKey { id status } errors { code field message } } }";

const statusBadge = { ACTIVE: "ok", EXPIRING: "warn", EXPIRED: "", REVOKED: "" };

/** Render the API keys page into body. */
export async function renderKeys(body) {
  const once = h("div", { class: "once-slot" });
  const list = h("div", {});
  let createKey = newClientKey();
  const form = h("form", { class: "card key-form", novalidate: true },
    h("h3", { text: t("key.new") }),
    labelled("key.name", h("input", { name: "name" })),
    h("fieldset", { class: "plain", dataset: { field: "scopes" } }, h("legend", { text: t("key.scopes") }),
      SCOPES.map((s) => h("label", { class: "inline" }, h("input", { type: "checkbox", name: "scope", value: s }), s))),
    labelled("key.expires", h("input", { name: "expiresAt", type: "datetime-local" })),
    h("p", { class: "form-error", role: "alert" }),
    h("button", { type: "submit", class: "primary", text: t("key.create") }));
  form.addEventListener("input", () => { createKey = newClientKey(); }); // other input, another key
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const fd = new FormData(form);
    const made = await submitForm(form, CREATE, { name: String(fd.get("name") || ""), scopes: fd.getAll("scope").map(String), exp: isoFromLocal(fd.get("expiresAt")), ck: createKey });
    if (!made) return; // retried with the same key: a lost answer makes one key, not two
    createKey = newClientKey();
    form.reset();
    replace(once, onceBox(t("key.made"), made.key, h("p", { class: "muted", text: `${made.apiKey.name} · ${made.apiKey.scopes.join(", ")}` })));
    load();
  });

  const load = async () => {
    try {
      const nodes = [];
      let after = null;
      do {
        const page = (await gql(LIST, { after })).apiKeys;
        nodes.push(...page.nodes);
        after = page.hasNextPage ? page.endCursor : null;
      } while (after && nodes.length < 500);
      replace(list, table(["ops.name", "key.prefix", "key.scopes", "ops.status", "ops.created", "key.lastUsed", "key.expiry", "ops.actions"], nodes.map((k) => {
        const live = k.status === "ACTIVE" || k.status === "EXPIRING";
        const actions = h("form", { class: "row key-actions", novalidate: true });
        if (live) {
          const rotateKey = newClientKey();
          replace(actions,
            h("input", { name: "overlapHours", type: "number", min: 0, max: 168, value: 24, class: "narrow", "aria-label": t("key.overlap"), title: t("key.overlap") }),
            h("button", { type: "button", text: t("key.rotate"), onclick: async () => {
              const hours = Number(new FormData(actions).get("overlapHours"));
              const made = await submitForm(actions, ROTATE, { id: k.id, h: Number.isFinite(hours) ? hours : null, ck: rotateKey });
              if (made) { replace(once, onceBox(t("key.rotated", { name: k.name }), made.key)); load(); }
            } }),
            h("button", { type: "button", class: "danger", text: t("key.revoke"), onclick: async () => {
              if (!window.confirm(t("key.confirmRevoke", { name: k.name }))) return;
              if (await submitForm(actions, REVOKE, { id: k.id })) { toast(t("key.revoked")); load(); }
            } }),
            h("p", { class: "form-error", role: "alert" }));
        }
        return [k.name, h("code", { text: k.prefix }), k.scopes.join(", "), h("span", { class: ["badge", statusBadge[k.status]], text: t(`key.status.${k.status}`) }),
          `${fmtDateTime(k.createdAt)} · ${k.createdBy}`, fmtDateTime(k.lastUsedAt), fmtDateTime(k.expiresAt), actions];
      }), { class: "keys" }));
    } catch (err) {
      replace(list, failed(err));
    }
  };
  body.append(once, h("div", { class: "admin-split" }, h("div", {}, list), form));
  await load();
}
