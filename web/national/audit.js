// Log audit (oversight_auditor): a command's own audit log as its admin reads it
// (`auditLog(tenantSlug)`), or the national looks (no command), newest first, paged
// backwards. Every read is itself audited by the API.

import { gql } from "../common/api.js";
import { h, replace } from "../common/dom.js";
import { errorText, extend, fmtDateTime, t } from "../common/i18n.js";
import { showErrors } from "../common/shell.js";
import { Q_AUDIT, fmtInt, poldaName } from "./data.js";
import { mountView } from "./view.js";

extend({
  id: {
    "au.title": "Log audit",
    "au.tenant": "Komando", "au.national": "Pemeriksaan nasional (tanpa komando)",
    "au.action": "Aksi (awalan)", "au.actor": "Pelaku (awalan)", "au.target": "Sasaran (awalan)",
    "au.from": "Dari", "au.to": "Sampai", "au.show": "Tampilkan",
    "au.at": "Waktu", "au.role": "Peran", "au.detail": "Rincian",
    "au.col.actor": "Pelaku", "au.col.action": "Aksi", "au.col.target": "Sasaran",
    "au.none": "Tidak ada entri.", "au.older": "Entri lebih lama", "au.shown": "{n} entri",
    "au.note": "Membaca log ini juga dicatat dalam log komando tersebut.",
  },
  en: {
    "au.title": "Audit log",
    "au.tenant": "Command", "au.national": "National looks (no command)",
    "au.action": "Action (prefix)", "au.actor": "Actor (prefix)", "au.target": "Target (prefix)",
    "au.from": "From", "au.to": "To", "au.show": "Show",
    "au.at": "Time", "au.role": "Role", "au.detail": "Detail",
    "au.col.actor": "Actor", "au.col.action": "Action", "au.col.target": "Target",
    "au.none": "No entries.", "au.older": "Older entries", "au.shown": "{n} entries",
    "au.note": "Reading this log is itself written to that command's log.",
  },
});

const PAGE = 50;

function entryRow(e) {
  const detail = e.detail && Object.keys(e.detail).length ? JSON.stringify(e.detail) : "";
  return h("tr", { dataset: { id: e.id, action: e.action } },
    h("td", { class: "nowrap", text: fmtDateTime(e.at) }),
    h("td", {}, h("div", { text: e.actor }), h("div", { class: "muted small", text: e.actorKind })),
    h("td", { text: e.role || "—" }),
    h("td", {}, h("code", { text: e.action })),
    h("td", { text: e.target || "—" }),
    h("td", { class: "detail small", title: detail, text: detail.length > 160 ? `${detail.slice(0, 160)}…` : detail }));
}

/** The audit view; param: a command's slug. */
export function renderAudit(main, ctx, param) {
  return mountView(main, ctx, {
    title: "au.title",
    filters: false,
    load: async (scope) => {
      const slugSelect = h("select", { name: "tenantSlug" },
        h("option", { value: "", text: t("au.national") }),
        scope.tenants.map((x) => h("option", { value: x.slug, selected: x.slug === param, text: `${x.name} (${x.slug}) · ${poldaName(x.poldaCode)}` })));
      const form = h("form", { class: "filters card audit-form" },
        h("div", { class: "row filter-row" },
          h("label", {}, t("au.tenant"), slugSelect),
          h("label", {}, t("au.action"), h("input", { name: "action", placeholder: "auth." })),
          h("label", {}, t("au.actor"), h("input", { name: "actor" })),
          h("label", {}, t("au.target"), h("input", { name: "target", placeholder: "report:" })),
          h("label", {}, t("au.from"), h("input", { name: "from", type: "date", min: "2000-01-01", max: "2100-12-31" })),
          h("label", {}, t("au.to"), h("input", { name: "to", type: "date", min: "2000-01-01", max: "2100-12-31" })),
          h("button", { type: "submit", class: "primary", text: t("au.show") })),
        h("p", { class: "form-error", role: "alert" }));
      const results = h("div", { class: "audit-results" });

      async function show() {
        const data = new FormData(form);
        const f = {};
        for (const key of ["action", "actor", "target", "from", "to"]) {
          const value = String(data.get(key) || "").trim();
          if (value) f[key] = value;
        }
        const slug = slugSelect.value || null;
        showErrors(form, []);
        replace(results, h("p", { class: "loading", text: t("nat.loading") }));
        let page;
        try {
          page = (await gql(Q_AUDIT, { slug, first: PAGE, before: null, f })).auditLog;
        } catch (e) {
          replace(results);
          showErrors(form, [e]);
          return;
        }
        if (slug !== (param || null)) history.replaceState(null, "", slug ? `#/audit/${encodeURIComponent(slug)}` : "#/audit");
        if (!page.entries.length) { replace(results, h("p", { class: "muted", text: t("au.none") })); return; }
        let { hasNextPage, endCursor } = page;
        let shown = page.entries.length;
        const body = h("tbody", {}, page.entries.map(entryRow));
        const count = h("span", { class: "muted", text: t("au.shown", { n: fmtInt(shown) }) });
        const error = h("p", { class: "error", role: "alert" });
        const older = h("button", { type: "button", class: hasNextPage ? "" : "hidden", text: t("au.older") });
        older.addEventListener("click", async () => {
          older.disabled = true;
          error.textContent = "";
          try {
            const next = (await gql(Q_AUDIT, { slug, first: PAGE, before: endCursor, f })).auditLog;
            for (const e of next.entries) body.append(entryRow(e));
            ({ hasNextPage, endCursor } = next);
            shown += next.entries.length;
            count.textContent = t("au.shown", { n: fmtInt(shown) });
            older.classList.toggle("hidden", !hasNextPage);
          } catch (e) {
            error.textContent = errorText(e);
          } finally {
            older.disabled = false;
          }
        });
        replace(results,
          h("div", { class: "table-wrap" }, h("table", { class: "audit" },
            h("thead", {}, h("tr", {}, ["au.at", "au.col.actor", "au.role", "au.col.action", "au.col.target", "au.detail"].map((k) => h("th", { text: t(k) })))),
            body)),
          h("div", { class: "row pager" }, count, older), error);
      }

      form.addEventListener("submit", (e) => { e.preventDefault(); show(); });
      slugSelect.addEventListener("change", show);
      show();
      return [h("p", { class: "muted", text: t("au.note") }), form, results];
    },
  });
}
