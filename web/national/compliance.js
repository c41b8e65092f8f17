// Kepatuhan SLA per komando: `byTenant`, every active command the caller may see (a quiet
// command is listed with zeros: it is itself a signal), sortable by any column.

import { gql } from "../common/api.js";
import { h, replace } from "../common/dom.js";
import { extend, t } from "../common/i18n.js";
import { Q_BY_TENANT, apiFilter, fmtInt, fmtPct, fmtSeconds, poldaName, setFilter } from "./data.js";
import { mountView } from "./view.js";

extend({
  id: {
    "cp.title": "Kepatuhan SLA per komando",
    "cp.tenant": "Komando", "cp.polda": "Polda", "cp.reports": "Laporan", "cp.urgent": "Mendesak",
    "cp.breaches": "Pelanggaran SLA", "cp.rate": "Tingkat pelanggaran", "cp.compliance": "Kepatuhan SLA",
    "cp.verify": "Median verifikasi", "cp.resolve": "Median penyelesaian",
    "cp.quiet": "tanpa laporan", "cp.count": "{n} komando; klik judul kolom untuk mengurutkan.",
    "cp.drill": "Lihat laporan {name}",
  },
  en: {
    "cp.title": "SLA compliance by command",
    "cp.tenant": "Command", "cp.polda": "Polda", "cp.reports": "Reports", "cp.urgent": "Urgent",
    "cp.breaches": "SLA breaches", "cp.rate": "Breach rate", "cp.compliance": "SLA compliance",
    "cp.verify": "Median to verify", "cp.resolve": "Median to resolve",
    "cp.quiet": "no reports", "cp.count": "{n} commands; click a column title to sort.",
    "cp.drill": "See the reports of {name}",
  },
});

/** Compliance is 1 − the API's breach rate; with no reports there is nothing to comply with. */
const compliance = (s) => (s.reports ? 1 - s.slaBreachRate : null);

const COLUMNS = [
  { key: "tenant", label: "cp.tenant", value: (r) => r.tenant.name.toLowerCase() },
  { key: "polda", label: "cp.polda", value: (r) => poldaName(r.tenant.poldaCode).toLowerCase() },
  { key: "reports", label: "cp.reports", num: true, value: (r) => r.summary.reports, show: (r) => fmtInt(r.summary.reports) },
  { key: "urgent", label: "cp.urgent", num: true, value: (r) => r.summary.urgent, show: (r) => fmtInt(r.summary.urgent) },
  { key: "breaches", label: "cp.breaches", num: true, value: (r) => r.summary.slaBreaches, show: (r) => fmtInt(r.summary.slaBreaches) },
  { key: "rate", label: "cp.rate", num: true, value: (r) => r.summary.slaBreachRate, show: (r) => fmtPct(r.summary.slaBreachRate) },
  { key: "compliance", label: "cp.compliance", num: true, value: (r) => compliance(r.summary) ?? -1, show: (r) => (compliance(r.summary) === null ? "—" : fmtPct(compliance(r.summary))) },
  { key: "verify", label: "cp.verify", num: true, value: (r) => r.summary.timeToVerify.medianSeconds ?? -1, show: (r) => fmtSeconds(r.summary.timeToVerify.medianSeconds) },
  { key: "resolve", label: "cp.resolve", num: true, value: (r) => r.summary.timeToResolve.medianSeconds ?? -1, show: (r) => fmtSeconds(r.summary.timeToResolve.medianSeconds) },
];

// Kept while the page is open: the table comes back sorted as the user left it.
const sort = { key: "breaches", dir: -1 };

function sorted(rows) {
  const column = COLUMNS.find((c) => c.key === sort.key) || COLUMNS[0];
  return rows.slice().sort((a, b) => {
    const x = column.value(a);
    const y = column.value(b);
    const order = x < y ? -1 : x > y ? 1 : 0;
    return order * sort.dir || a.tenant.name.localeCompare(b.tenant.name) || a.tenant.slug.localeCompare(b.tenant.slug);
  });
}

function table(rows, ctx) {
  const wrap = h("div", { class: "table-wrap" });
  const draw = () => {
    const head = h("tr", {}, COLUMNS.map((c) => {
      const active = sort.key === c.key;
      const th = h("th", {
        class: ["sortable", c.num && "num", active && (sort.dir > 0 ? "asc" : "desc")],
        scope: "col",
        tabindex: 0,
        dataset: { sort: c.key },
        "aria-sort": active ? (sort.dir > 0 ? "ascending" : "descending") : "none",
        text: t(c.label),
      });
      const toggle = () => {
        if (sort.key === c.key) sort.dir = -sort.dir;
        else { sort.key = c.key; sort.dir = c.num ? -1 : 1; }
        draw();
      };
      th.addEventListener("click", toggle);
      th.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); toggle(); } });
      return th;
    }));
    const body = h("tbody", {}, sorted(rows).map((r) => h("tr", { dataset: { tenant: r.tenant.slug }, class: r.summary.reports ? "" : "quiet" },
      h("td", {},
        h("button", {
          type: "button", class: "link", text: r.tenant.name, title: t("cp.drill", { name: r.tenant.name }),
          onclick: () => { setFilter({ tenantSlug: r.tenant.slug }); ctx.navigate("#/reports"); },
        }),
        " ", h("span", { class: "muted small", text: r.tenant.slug }),
        r.summary.reports ? null : h("span", { class: "badge warn", text: t("cp.quiet") })),
      h("td", { text: poldaName(r.tenant.poldaCode) }),
      COLUMNS.slice(2).map((c) => h("td", { class: "num", dataset: { col: c.key }, text: c.show(r) })))));
    replace(wrap, h("table", { class: "compliance" }, h("thead", {}, head), body));
  };
  draw();
  return wrap;
}

/** The compliance view. */
export function renderCompliance(main, ctx) {
  return mountView(main, ctx, {
    title: "cp.title",
    load: async () => {
      const { byTenant } = await gql(Q_BY_TENANT, { f: apiFilter() });
      return [h("p", { class: "muted", text: t("cp.count", { n: fmtInt(byTenant.length) }) }), table(byTenant, ctx)];
    },
  });
}
