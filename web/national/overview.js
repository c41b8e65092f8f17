// Ringkasan: the KPIs of the caller's scope under the filter, the daily trend, and the
// breakdowns by status and category, all from `summary`.

import { gql } from "../common/api.js";
import { h } from "../common/dom.js";
import { extend, t } from "../common/i18n.js";
import { Q_SUMMARY, apiFilter, filter, fmtDay, fmtInt, fmtPct, fmtSeconds, label } from "./data.js";
import { mountView } from "./view.js";

extend({
  id: {
    "ov.title": "Ringkasan",
    "kpi.reports": "Laporan", "kpi.urgent": "Mendesak", "kpi.slaBreaches": "Pelanggaran SLA",
    "kpi.slaBreachRate": "Tingkat pelanggaran SLA", "kpi.tenants": "Komando",
    "kpi.verify": "Median waktu verifikasi", "kpi.dispatch": "Median waktu penerusan", "kpi.resolve": "Median waktu penyelesaian",
    "kpi.p90": "p90: {v} · {n} laporan",
    "ov.trend": "Tren harian", "ov.byStatus": "Menurut status", "ov.byCategory": "Menurut kategori",
    "ov.day": "{day}: {n} laporan", "ov.none": "Tidak ada laporan pada periode ini.",
    "ov.total": "Jumlah {n} laporan, {days} hari",
  },
  en: {
    "ov.title": "Overview",
    "kpi.reports": "Reports", "kpi.urgent": "Urgent", "kpi.slaBreaches": "SLA breaches",
    "kpi.slaBreachRate": "SLA breach rate", "kpi.tenants": "Commands",
    "kpi.verify": "Median time to verify", "kpi.dispatch": "Median time to dispatch", "kpi.resolve": "Median time to resolve",
    "kpi.p90": "p90: {v} · reports: {n}",
    "ov.trend": "Daily trend", "ov.byStatus": "By status", "ov.byCategory": "By category",
    "ov.day": "{day}: reports: {n}", "ov.none": "No reports in this period.",
    "ov.total": "{n} reports in total, {days} days",
  },
});

function kpi(key, value, sub) {
  return h("div", { class: "kpi", dataset: { kpi: key } },
    h("div", { class: "value", text: value }),
    h("div", { class: "label", text: t(`kpi.${key}`) }),
    sub ? h("div", { class: "sub muted", text: sub }) : null);
}

function durationKpi(key, d) {
  return kpi(key, fmtSeconds(d.medianSeconds), t("kpi.p90", { v: fmtSeconds(d.p90Seconds), n: fmtInt(d.reports) }));
}

const iso = (d) => d.toISOString().slice(0, 10);

/** Every day of the period, zeros where the API lists none. */
function days(daily) {
  const counts = new Map(daily.map((d) => [d.day, d.count]));
  let first = filter.dateFrom;
  let last = filter.dateTo;
  if (!first || !last) {
    const today = new Date();
    last = iso(new Date(Date.UTC(today.getFullYear(), today.getMonth(), today.getDate())));
    const start = new Date(`${last}T00:00:00Z`);
    start.setUTCDate(start.getUTCDate() - 29);
    first = iso(start);
  }
  for (const d of daily) { if (d.day < first) first = d.day; if (d.day > last) last = d.day; }
  const out = [];
  for (let d = new Date(`${first}T00:00:00Z`); iso(d) <= last; d.setUTCDate(d.getUTCDate() + 1)) {
    out.push({ day: iso(d), count: counts.get(iso(d)) || 0 });
  }
  return out;
}

const SVG = "http://www.w3.org/2000/svg";
function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  for (const c of children) el.append(c);
  return el;
}

/** A bar per day (SVG, attributes only: no inline style). */
function trendChart(series) {
  const width = 900;
  const height = 180;
  const pad = 24;
  const max = Math.max(1, ...series.map((d) => d.count));
  const step = (width - pad * 2) / Math.max(1, series.length);
  const chart = svg("svg", { viewBox: `0 0 ${width} ${height + 24}`, class: "trend", role: "img", "aria-label": t("ov.trend") });
  chart.append(svg("line", { x1: pad, y1: height, x2: width - pad, y2: height, class: "axis" }));
  const tick = svg("text", { x: 2, y: pad - 6, class: "tick" });
  tick.textContent = fmtInt(max);
  chart.append(tick);
  series.forEach((d, i) => {
    const barHeight = ((height - pad) * d.count) / max;
    const bar = svg("rect", { x: pad + i * step + 1, y: height - barHeight, width: Math.max(1, step - 2), height: barHeight, class: d.count ? "bar" : "bar empty" });
    const title = svg("title");
    title.textContent = t("ov.day", { day: fmtDay(d.day), n: fmtInt(d.count) });
    bar.append(title);
    chart.append(bar);
  });
  const labelAt = (i, anchor) => {
    const text = svg("text", { x: pad + i * step + step / 2, y: height + 18, class: "tick", "text-anchor": anchor });
    text.textContent = fmtDay(series[i].day, "short");
    chart.append(text);
  };
  if (series.length) {
    labelAt(0, "start");
    if (series.length > 2) labelAt(Math.floor(series.length / 2), "middle");
    labelAt(series.length - 1, "end");
  }
  return chart;
}

/** Counts as a table with a bar per row (widths by class: 5 % steps, no inline style). */
function breakdown(titleKey, counts, prefix) {
  const total = counts.reduce((s, c) => s + c.count, 0);
  const rows = counts.slice().sort((a, b) => b.count - a.count);
  return h("section", { class: "card", dataset: { breakdown: prefix } },
    h("h2", { text: t(titleKey) }),
    rows.length
      ? h("table", {}, h("tbody", {}, rows.map((c) => h("tr", { dataset: { key: c.key } },
        h("td", { text: label(prefix, c.key) }),
        h("td", { class: "num", text: fmtInt(c.count) }),
        h("td", { class: "barcell" }, h("span", { class: `hbar w${Math.round((20 * c.count) / Math.max(1, total)) * 5}` }))))))
      : h("p", { class: "muted", text: t("ov.none") }));
}

/** The overview view. */
export function renderOverview(main, ctx) {
  return mountView(main, ctx, {
    title: "ov.title",
    load: async () => {
      const { summary: s } = await gql(Q_SUMMARY, { f: apiFilter() });
      const series = days(s.daily);
      return [
        h("div", { class: "kpis" },
          kpi("reports", fmtInt(s.reports)),
          kpi("urgent", fmtInt(s.urgent)),
          kpi("slaBreaches", fmtInt(s.slaBreaches)),
          kpi("slaBreachRate", fmtPct(s.slaBreachRate)),
          kpi("tenants", fmtInt(s.tenants)),
          durationKpi("verify", s.timeToVerify),
          durationKpi("dispatch", s.timeToDispatch),
          durationKpi("resolve", s.timeToResolve)),
        h("section", { class: "card trend-card" },
          h("h2", { text: t("ov.trend") }),
          h("p", { class: "muted", text: t("ov.total", { n: fmtInt(s.reports), days: series.length }) }),
          trendChart(series)),
        h("div", { class: "grid2" }, breakdown("ov.byStatus", s.byStatus, "st"), breakdown("ov.byCategory", s.byCategory, "cat")),
      ];
    },
  });
}
