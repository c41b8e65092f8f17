// The national dashboard (/national/): Polda and national supervisors and the oversight
// auditor, over /national/graphql. Every figure is the API's, in the caller's Polda scope,
// which the header names ("Nasional" or the Polda).

import { $, h } from "../common/dom.js";
import { extend, onLangChange, t } from "../common/i18n.js";
import { boot, has } from "../common/shell.js";
import { renderAudit } from "./audit.js";
import { renderCompliance } from "./compliance.js";
import { loadScope, scopeLabel, setFilter } from "./data.js";
import { renderElection } from "./election.js";
import { renderHeatmap } from "./heatmap.js";
import { renderOverview } from "./overview.js";
import { renderReports } from "./reports.js";

extend({
  id: {
    "national.title": "Dasbor Nasional",
    "nav.overview": "Ringkasan", "nav.compliance": "Kepatuhan SLA", "nav.heatmap": "Peta panas",
    "nav.election": "Pemilu", "nav.reports": "Laporan", "nav.audit": "Log audit",
  },
  en: {
    "national.title": "National dashboard",
    "nav.overview": "Overview", "nav.compliance": "SLA compliance", "nav.heatmap": "Heat map",
    "nav.election": "Election", "nav.reports": "Reports", "nav.audit": "Audit log",
  },
});

/** Put the caller's scope in the header, after the title (again after each redraw of it). */
function showScope(ctx) {
  const put = (scope) => {
    const header = $(".topbar");
    if (!header) return;
    const old = $(".topbar .scope");
    if (old) old.remove();
    const badge = h("span", { class: "tenant scope", dataset: { scope: scope.national ? "national" : "polda" }, title: t("scope.label"), text: scopeLabel(scope) });
    header.querySelector(".brand").after(badge);
  };
  loadScope(ctx.me).then((scope) => {
    put(scope);
    // The frame redraws its header on a language change, after this listener: put it back then.
    onLangChange(() => queueMicrotask(() => put(scope)));
  }).catch(() => { /* each view shows the error of its own load */ });
}

boot({
  title: "national.title",
  allowed: (me) => has(me, "polda_supervisor", "national_supervisor", "oversight_auditor"),
  start: showScope,
  views: [
    { id: "overview", label: "nav.overview", render: renderOverview },
    { id: "compliance", label: "nav.compliance", render: renderCompliance },
    { id: "heatmap", label: "nav.heatmap", render: renderHeatmap },
    { id: "election", label: "nav.election", render: renderElection },
    {
      id: "reports",
      label: "nav.reports",
      render: (main, ctx, param) => {
        if (param) setFilter({ tenantSlug: param });
        return renderReports(main, ctx);
      },
    },
    { id: "audit", label: "nav.audit", show: (me) => has(me, "oversight_auditor"), render: renderAudit },
  ],
});
