// The filter bar above each view: period, Polda (national callers only: a Polda
// supervisor's scope is fixed by the API), command, category and status. It writes the
// shared filter (data.js); the views reload on a change.

import { h } from "../common/dom.js";
import { extend, t } from "../common/i18n.js";
import { showErrors } from "../common/shell.js";
import { CATEGORIES, STATUSES, filter, fmtDay, label, poldaName, setFilter } from "./data.js";

extend({
  id: {
    "f.period": "Periode", "f.p30": "30 hari terakhir", "f.p7": "7 hari terakhir", "f.p90": "90 hari terakhir",
    "f.p365": "1 tahun terakhir", "f.custom": "Tanggal tertentu", "f.from": "Dari", "f.to": "Sampai",
    "f.polda": "Polda", "f.tenant": "Komando", "f.category": "Kategori", "f.status": "Status",
    "f.all": "Semua", "f.reset": "Atur ulang", "f.form": "Saring",
    "f.span": "Periode: {from} – {to} (hari kalender setiap komando)",
    "f.default": "Periode: 30 hari terakhir (hari kalender setiap komando)",
  },
  en: {
    "f.period": "Period", "f.p30": "Last 30 days", "f.p7": "Last 7 days", "f.p90": "Last 90 days",
    "f.p365": "Last year", "f.custom": "Given dates", "f.from": "From", "f.to": "To",
    "f.polda": "Polda", "f.tenant": "Command", "f.category": "Category", "f.status": "Status",
    "f.all": "All", "f.reset": "Reset", "f.form": "Filter",
    "f.span": "Period: {from} – {to} (each command's own calendar days)",
    "f.default": "Period: the last 30 days (each command's own calendar days)",
  },
});

const iso = (d) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;

function lastDays(n) {
  const to = new Date();
  const from = new Date(to);
  from.setDate(to.getDate() - (n - 1));
  return { dateFrom: iso(from), dateTo: iso(to) };
}

let period = "p30";

function option(value, text, selected) {
  return h("option", { value, text, selected: value === selected });
}

/**
 * filterBar(scope, {status = true}) -> a form that edits the shared filter. A view that
 * the API does not narrow by status (heat map) passes status: false.
 */
export function filterBar(scope, { status = true } = {}) {
  const form = h("form", { class: "filters card", "aria-label": t("f.form") });
  const custom = period === "custom";
  const periodSelect = h("select", { name: "period" },
    ["p30", "p7", "p90", "p365", "custom"].map((p) => option(p, t(`f.${p}`), period)));
  const from = h("input", { type: "date", name: "dateFrom", value: filter.dateFrom, min: "2000-01-01", max: "2100-12-31" });
  const to = h("input", { type: "date", name: "dateTo", value: filter.dateTo, min: "2000-01-01", max: "2100-12-31" });
  const fromLabel = h("label", { class: custom ? "" : "hidden" }, t("f.from"), from);
  const toLabel = h("label", { class: custom ? "" : "hidden" }, t("f.to"), to);
  // The period in words, in the user's language (the API's default: the last 30 days).
  const span = filter.dateFrom && filter.dateTo
    ? t("f.span", { from: fmtDay(filter.dateFrom), to: fmtDay(filter.dateTo) })
    : t("f.default");
  const poldas = scope.national ? [...new Set(scope.tenants.map((x) => x.poldaCode))].sort((a, b) => poldaName(a).localeCompare(poldaName(b))) : [];
  const poldaSelect = scope.national
    ? h("select", { name: "poldaCode" }, option("", t("f.all"), filter.poldaCode), poldas.map((p) => option(p, poldaName(p), filter.poldaCode)))
    : null;
  const tenants = scope.tenants.filter((x) => !filter.poldaCode || x.poldaCode === filter.poldaCode);
  const tenantSelect = h("select", { name: "tenantSlug" }, option("", t("f.all"), filter.tenantSlug),
    tenants.map((x) => option(x.slug, x.name === x.slug ? x.slug : `${x.name} (${x.slug})`, filter.tenantSlug)));
  const categorySelect = h("select", { name: "categoryCode" }, option("", t("f.all"), filter.categoryCode),
    CATEGORIES.map((c) => option(c, label("cat", c), filter.categoryCode)));
  const statusSelect = status
    ? h("select", { name: "status" }, option("", t("f.all"), filter.status), STATUSES.map((s) => option(s, label("st", s), filter.status)))
    : null;

  form.append(
    h("div", { class: "row filter-row" },
      h("label", {}, t("f.period"), periodSelect),
      fromLabel,
      toLabel,
      poldaSelect && h("label", {}, t("f.polda"), poldaSelect),
      h("label", {}, t("f.tenant"), tenantSelect),
      h("label", {}, t("f.category"), categorySelect),
      statusSelect && h("label", {}, t("f.status"), statusSelect),
      h("button", { type: "button", class: "link", text: t("f.reset"), onclick: () => { period = "p30"; setFilter({ dateFrom: "", dateTo: "", poldaCode: "", tenantSlug: "", categoryCode: "", status: "" }); } }),
    ),
    h("p", { class: "muted small period", text: span }),
    h("p", { class: "form-error", role: "alert" }),
  );

  periodSelect.addEventListener("change", () => {
    period = periodSelect.value;
    if (period === "custom") {
      fromLabel.classList.remove("hidden");
      toLabel.classList.remove("hidden");
      const start = lastDays(30);
      if (!from.value) from.value = start.dateFrom;
      if (!to.value) to.value = start.dateTo;
      from.focus();
      return;
    }
    const days = { p7: 7, p30: 30, p90: 90, p365: 365 }[period];
    // The 30-day default is the API's own default (its "today" as the easternmost zone sees it).
    setFilter(period === "p30" ? { dateFrom: "", dateTo: "" } : lastDays(days));
  });
  const dates = () => { if (from.value && to.value) setFilter({ dateFrom: from.value, dateTo: to.value }); };
  from.addEventListener("change", dates);
  to.addEventListener("change", dates);
  if (poldaSelect) poldaSelect.addEventListener("change", () => setFilter({ poldaCode: poldaSelect.value, tenantSlug: "" }));
  tenantSelect.addEventListener("change", () => setFilter({ tenantSlug: tenantSelect.value }));
  categorySelect.addEventListener("change", () => setFilter({ categoryCode: categorySelect.value }));
  if (statusSelect) statusSelect.addEventListener("change", () => setFilter({ status: statusSelect.value }));
  form.addEventListener("submit", (e) => e.preventDefault());
  return form;
}

/** Show an API error of a view's load: a filter field's next to its control, else in the bar. */
export function filterError(form, error) {
  showErrors(form, [error]);
}
