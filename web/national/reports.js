// Laporan: the redacted drill-down (`reports`), newest first, paged by cursor. The API
// gives no reporter, no phone, no address, coordinates to ~100 m and masked text; this
// view shows exactly that.

import { gql } from "../common/api.js";
import { h } from "../common/dom.js";
import { errorText, extend, fmtDateTime, t } from "../common/i18n.js";
import { Q_REPORTS, apiFilter, fmtInt, label, tenantName } from "./data.js";
import { mountView } from "./view.js";

extend({
  id: {
    "rp.title": "Laporan (disamarkan)",
    "rp.note": "Tanpa identitas pelapor, nomor telepon atau alamat; lokasi dibulatkan ±100 m; data pribadi dalam teks disamarkan.",
    "rp.ticket": "Tiket", "rp.tenant": "Komando", "rp.category": "Kategori", "rp.report": "Laporan",
    "rp.status": "Status", "rp.created": "Dibuat", "rp.location": "Lokasi (±100 m)",
    "rp.urgent": "Mendesak", "rp.breach": "Lewat SLA", "rp.verified": "Diverifikasi {at}", "rp.resolved": "Selesai {at}",
    "rp.none": "Tidak ada laporan yang cocok.", "rp.shown": "{n} laporan ditampilkan", "rp.end": "Semua laporan sudah ditampilkan.",
  },
  en: {
    "rp.title": "Reports (redacted)",
    "rp.note": "No reporter identity, phone or address; locations rounded to ~100 m; personal data in the text masked.",
    "rp.ticket": "Ticket", "rp.tenant": "Command", "rp.category": "Category", "rp.report": "Report",
    "rp.status": "Status", "rp.created": "Created", "rp.location": "Location (~100 m)",
    "rp.urgent": "Urgent", "rp.breach": "SLA breached", "rp.verified": "Verified {at}", "rp.resolved": "Resolved {at}",
    "rp.none": "No matching reports.", "rp.shown": "{n} reports shown", "rp.end": "All reports are shown.",
  },
});

const PAGE = 20;

function row(node, scope) {
  return h("tr", { dataset: { ticket: node.ticket, tenant: node.tenantSlug } },
    h("td", {}, h("strong", { text: node.ticket }),
      node.urgent ? h("span", { class: "badge urgent", text: t("rp.urgent") }) : null,
      node.slaBreached ? h("span", { class: "badge breach", text: t("rp.breach") }) : null),
    h("td", {}, h("div", { text: tenantName(scope, node.tenantSlug) }), h("div", { class: "muted small", text: node.tenantSlug })),
    h("td", { text: label("cat", node.categoryCode) }),
    h("td", { class: "report-text" }, h("div", { class: "title", text: node.title }), h("div", { class: "muted small", text: node.description })),
    h("td", {}, h("span", { class: `badge st-${node.status.toLowerCase()}`, text: label("st", node.status) })),
    h("td", {}, h("div", { text: fmtDateTime(node.createdAt) }),
      node.verifiedAt ? h("div", { class: "muted small", text: t("rp.verified", { at: fmtDateTime(node.verifiedAt) }) }) : null,
      node.resolvedAt ? h("div", { class: "muted small", text: t("rp.resolved", { at: fmtDateTime(node.resolvedAt) }) }) : null),
    h("td", { class: "num small", text: `${node.latitude.toFixed(3)}, ${node.longitude.toFixed(3)}` }));
}

/** The drill-down view; a param (a command's slug, from the compliance table) is kept in the filter. */
export function renderReports(main, ctx) {
  return mountView(main, ctx, {
    title: "rp.title",
    load: async (scope, stale) => {
      const f = apiFilter();
      const first = await gql(Q_REPORTS, { f, first: PAGE, after: null });
      let { hasNextPage, endCursor } = first.reports;
      let shown = first.reports.edges.length;
      if (!shown) return [h("p", { class: "muted", text: t("rp.note") }), h("p", { class: "muted", text: t("rp.none") })];
      const body = h("tbody", {}, first.reports.edges.map((e) => row(e.node, scope)));
      const count = h("span", { class: "muted", dataset: { shown: String(shown) }, text: t("rp.shown", { n: fmtInt(shown) }) });
      const error = h("p", { class: "error", role: "alert" });
      const more = h("button", { type: "button", class: hasNextPage ? "" : "hidden", text: t("app.more") });
      const end = h("span", { class: hasNextPage ? "muted hidden" : "muted", text: t("rp.end") });
      more.addEventListener("click", async () => {
        more.disabled = true;
        error.textContent = "";
        try {
          const next = await gql(Q_REPORTS, { f, first: PAGE, after: endCursor });
          if (stale()) return;
          for (const e of next.reports.edges) body.append(row(e.node, scope));
          ({ hasNextPage, endCursor } = next.reports);
          shown += next.reports.edges.length;
          count.dataset.shown = String(shown);
          count.textContent = t("rp.shown", { n: fmtInt(shown) });
          more.classList.toggle("hidden", !hasNextPage);
          end.classList.toggle("hidden", hasNextPage);
        } catch (e) {
          error.textContent = errorText(e);
        } finally {
          more.disabled = false;
        }
      });
      return [
        h("p", { class: "muted", text: t("rp.note") }),
        h("div", { class: "table-wrap" }, h("table", { class: "drilldown" },
          h("thead", {}, h("tr", {}, ["rp.ticket", "rp.tenant", "rp.category", "rp.report", "rp.status", "rp.created", "rp.location"].map((k) => h("th", { text: t(k) })))),
          body)),
        h("div", { class: "row pager" }, count, more, end),
        error,
      ];
    },
  });
}
