// Admin sub-page "audit": the command's audit log, newest first, 50 a page, filtered by
// time, action, actor and target as the API offers (the read is itself audited).

import { gql } from "../common/api.js";
import { h } from "../common/dom.js";
import { extend, fmtDateTime, t } from "../common/i18n.js";
import { failed, isoFromLocal, labelled } from "./ops.js";

extend({
  id: {
    "aud.title": "Log audit",
    "aud.from": "Dari", "aud.to": "Sampai", "aud.action": "Tindakan (mis. member.create)", "aud.actor": "Pelaku", "aud.target": "Sasaran",
    "aud.at": "Waktu", "aud.detail": "Rincian", "aud.filter": "Saring",
  },
  en: {
    "aud.title": "Audit log",
    "aud.from": "From", "aud.to": "To", "aud.action": "Action (e.g. member.create)", "aud.actor": "Actor", "aud.target": "Target",
    "aud.at": "Time", "aud.detail": "Detail", "aud.filter": "Filter",
  },
});

const LOG = `query Audit($filter: AuditLogFilter, $after: String) { auditLog(filter: $filter, first: 50, after: $after) {
  entries { id at actor actorKind role action target detail } hasNextPage endCursor } }`;

/** Render the audit log page into body. */
export async function renderAudit(body) {
  const form = h("form", { class: "card row filters audit-filters", novalidate: true },
    labelled("aud.from", h("input", { name: "from", type: "datetime-local" })),
    labelled("aud.to", h("input", { name: "to", type: "datetime-local" })),
    labelled("aud.action", h("input", { name: "action" })),
    labelled("aud.actor", h("input", { name: "actor" })),
    labelled("aud.target", h("input", { name: "target" })),
    h("button", { type: "submit", class: "primary", text: t("aud.filter") }),
    h("p", { class: "form-error", role: "alert" }));
  const rows = h("tbody", {});
  const more = h("button", { type: "button", class: "hidden", text: t("app.more") });
  const error = h("div", {});
  let after = null;
  let filter = null;

  const load = async (reset) => {
    if (reset) { after = null; rows.replaceChildren(); }
    error.replaceChildren();
    try {
      const page = (await gql(LOG, { filter, after })).auditLog;
      rows.append(...page.entries.map((e) => h("tr", { dataset: { action: e.action } },
        h("td", { text: fmtDateTime(e.at) }),
        h("td", { text: e.action }),
        h("td", { text: `${e.actor}${e.role ? ` (${e.role})` : ""}` }),
        h("td", { text: e.target || "" }),
        h("td", {}, h("code", { class: "detail", text: JSON.stringify(e.detail) })))));
      if (!rows.children.length) rows.append(h("tr", {}, h("td", { colSpan: 5, class: "muted", text: t("app.none") })));
      after = page.hasNextPage ? page.endCursor : null;
      more.classList.toggle("hidden", !after);
    } catch (e) {
      error.append(failed(e));
    }
  };
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const fd = new FormData(form);
    const text = (n) => String(fd.get(n) || "").trim() || null;
    filter = { from: isoFromLocal(fd.get("from")), to: isoFromLocal(fd.get("to")), action: text("action"), actor: text("actor"), target: text("target") };
    load(true);
  });
  more.addEventListener("click", () => load(false));
  body.append(h("h2", { text: t("aud.title") }), form, error,
    h("table", { class: "audit-table" }, h("thead", {}, h("tr", {}, ["aud.at", "ops.actions", "aud.actor", "aud.target", "aud.detail"].map((k) => h("th", { text: t(k) })))), rows),
    more);
  await load(true);
}
