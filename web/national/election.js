// Pemilu: `electionSummary`, TPS, voters and incidents in total, by Polda and by command,
// each by vulnerability level (commands with the election module only).

import { gql } from "../common/api.js";
import { h } from "../common/dom.js";
import { extend, lang, t } from "../common/i18n.js";
import { Q_ELECTION, apiFilter, fmtInt, label, poldaName, tenantName } from "./data.js";
import { mountView } from "./view.js";

extend({
  id: {
    "el.title": "Ringkasan pemilu",
    "el.stations": "TPS", "el.voters": "Pemilih", "el.incidents": "Insiden", "el.open": "Insiden terbuka",
    "el.urgent": "Insiden mendesak", "el.byPolda": "Per Polda", "el.byTenant": "Per komando",
    "el.byVulnerability": "Menurut tingkat kerawanan", "el.group": "Wilayah", "el.level": "Kerawanan",
    "el.none": "Tidak ada komando dengan modul pemilu dalam cakupan ini.",
  },
  en: {
    "el.title": "Election summary",
    "el.stations": "Polling stations", "el.voters": "Voters", "el.incidents": "Incidents", "el.open": "Open incidents",
    "el.urgent": "Urgent incidents", "el.byPolda": "By Polda", "el.byTenant": "By command",
    "el.byVulnerability": "By vulnerability level", "el.group": "Area", "el.level": "Vulnerability",
    "el.none": "No command with the election module in this scope.",
    "vuln.AMAN": "Safe", "vuln.KURANG_RAWAN": "Low risk", "vuln.RAWAN": "Vulnerable",
    "vuln.SANGAT_RAWAN": "Highly vulnerable", "vuln.KHUSUS": "Special",
  },
});

const FIGURES = ["stations", "voters", "incidents", "openIncidents", "urgentIncidents"];
const HEADS = { stations: "el.stations", voters: "el.voters", incidents: "el.incidents", openIncidents: "el.open", urgentIncidents: "el.urgent" };

function groupTable(titleKey, groups, name) {
  return h("section", { class: "card" }, h("h2", { text: t(titleKey) }),
    h("table", {},
      h("thead", {}, h("tr", {}, h("th", { text: t("el.group") }), FIGURES.map((f) => h("th", { class: "num", text: t(HEADS[f]) })))),
      h("tbody", {}, groups.map((g) => h("tr", { dataset: { key: g.key } }, h("td", { text: name(g.key) }),
        FIGURES.map((f) => h("td", { class: "num", text: fmtInt(g[f]) })))))));
}

/** The election view. */
export function renderElection(main, ctx) {
  return mountView(main, ctx, {
    title: "el.title",
    load: async (scope) => {
      const { electionSummary: e } = await gql(Q_ELECTION, { f: apiFilter() });
      if (!e.byTenant.length) return [h("p", { class: "muted", text: t("el.none") })];
      const total = e.total;
      return [
        h("div", { class: "kpis" }, FIGURES.map((f) => h("div", { class: "kpi", dataset: { kpi: `election-${f}` } },
          h("div", { class: "value", text: fmtInt(total[f]) }), h("div", { class: "label", text: t(HEADS[f]) })))),
        h("section", { class: "card" }, h("h2", { text: t("el.byVulnerability") }),
          h("table", {},
            h("thead", {}, h("tr", {}, h("th", { text: t("el.level") }), FIGURES.map((f) => h("th", { class: "num", text: t(HEADS[f]) })))),
            h("tbody", {}, total.byVulnerability.map((v) => h("tr", { dataset: { key: v.vulnerability } },
              h("td", {}, h("span", { class: `badge vuln-${v.vulnerability.toLowerCase()}`, text: lang() === "en" ? label("vuln", v.vulnerability) : v.name })),
              FIGURES.map((f) => h("td", { class: "num", text: fmtInt(v[f]) }))))))),
        h("div", { class: scope.national ? "grid2" : "" },
          scope.national ? groupTable("el.byPolda", e.byPolda, poldaName) : null,
          groupTable("el.byTenant", e.byTenant, (slug) => tenantName(scope, slug))),
      ];
    },
  });
}
