// The national dashboard's shared state: the caller's scope (Nasional or its Polda), the
// filter every view reads, the API queries, and labels for codes (Polda, status, category).
// Every figure comes from /national/graphql; nothing here invents or adjusts a number.

import { gql } from "../common/api.js";
import { has } from "../common/shell.js";
import { extend, lang, t } from "../common/i18n.js";

/** Polda codes (the API's poldaCode) and their names, as in platform/regions.py. */
const POLDA_NAMES = {
  ACEH: "Polda Aceh", SUMUT: "Polda Sumatera Utara", SUMBAR: "Polda Sumatera Barat",
  RIAU: "Polda Riau", JAMBI: "Polda Jambi", SUMSEL: "Polda Sumatera Selatan",
  BENGKULU: "Polda Bengkulu", LAMPUNG: "Polda Lampung", BABEL: "Polda Kepulauan Bangka Belitung",
  KEPRI: "Polda Kepulauan Riau", METRO_JAYA: "Polda Metro Jaya", JABAR: "Polda Jawa Barat",
  JATENG: "Polda Jawa Tengah", DIY: "Polda Daerah Istimewa Yogyakarta", JATIM: "Polda Jawa Timur",
  BANTEN: "Polda Banten", BALI: "Polda Bali", NTB: "Polda Nusa Tenggara Barat",
  NTT: "Polda Nusa Tenggara Timur", KALBAR: "Polda Kalimantan Barat", KALTENG: "Polda Kalimantan Tengah",
  KALSEL: "Polda Kalimantan Selatan", KALTIM: "Polda Kalimantan Timur", KALTARA: "Polda Kalimantan Utara",
  SULUT: "Polda Sulawesi Utara", SULTENG: "Polda Sulawesi Tengah", SULSEL: "Polda Sulawesi Selatan",
  SULTRA: "Polda Sulawesi Tenggara", GORONTALO: "Polda Gorontalo", SULBAR: "Polda Sulawesi Barat",
  MALUKU: "Polda Maluku", MALUT: "Polda Maluku Utara", PAPUA: "Polda Papua",
  PAPUA_BARAT: "Polda Papua Barat", PAPUA_BARAT_DAYA: "Polda Papua Barat Daya",
};

/** A Polda's name by code (an unknown code is shown as it is). */
export const poldaName = (code) => POLDA_NAMES[code] || code;

export const STATUSES = ["SUBMITTED", "VERIFIED", "DISPATCHED", "IN_PROGRESS", "RESOLVED", "CLOSED", "REJECTED"];
export const CATEGORIES = ["FALLEN_TREE", "POWER_FAULT", "FIRE", "FLOOD", "CRIME", "PUBLIC_ORDER", "ELECTION", "POLICE_SERVICE"];

extend({
  id: {
    "st.SUBMITTED": "Masuk", "st.VERIFIED": "Terverifikasi", "st.DISPATCHED": "Diteruskan",
    "st.IN_PROGRESS": "Ditangani", "st.RESOLVED": "Selesai", "st.CLOSED": "Ditutup", "st.REJECTED": "Ditolak",
    "cat.FALLEN_TREE": "Pohon Tumbang", "cat.POWER_FAULT": "Gangguan Listrik", "cat.FIRE": "Kebakaran",
    "cat.FLOOD": "Banjir", "cat.CRIME": "Tindak Kriminal", "cat.PUBLIC_ORDER": "Gangguan Kamtibmas",
    "cat.ELECTION": "Kerawanan Pemilu", "cat.POLICE_SERVICE": "Pengaduan Pelayanan Polri",
    "scope.national": "Nasional",
    "scope.none": "Polda (belum ada komando)",
    "scope.label": "Cakupan",
  },
  en: {
    "st.SUBMITTED": "Submitted", "st.VERIFIED": "Verified", "st.DISPATCHED": "Dispatched",
    "st.IN_PROGRESS": "In progress", "st.RESOLVED": "Resolved", "st.CLOSED": "Closed", "st.REJECTED": "Rejected",
    "cat.FALLEN_TREE": "Fallen tree", "cat.POWER_FAULT": "Power fault", "cat.FIRE": "Fire",
    "cat.FLOOD": "Flood", "cat.CRIME": "Crime", "cat.PUBLIC_ORDER": "Public-order disturbance",
    "cat.ELECTION": "Election vulnerability", "cat.POLICE_SERVICE": "Complaint about police service",
    "scope.national": "National",
    "scope.none": "Polda (no commands yet)",
    "scope.label": "Scope",
  },
});

/** A label for a code under a prefix ("st", "cat"); an unknown code is shown as it is. */
export function label(prefix, code) {
  const key = `${prefix}.${code}`;
  const text = t(key);
  return text === key ? code : text;
}

const locale = () => (lang() === "en" ? "en-GB" : "id-ID");

/** A count in the user's language (1.234 / 1,234). */
export const fmtInt = (n) => new Intl.NumberFormat(locale()).format(n ?? 0);

/** A 0-1 rate as a percentage with one decimal. */
export const fmtPct = (rate) => new Intl.NumberFormat(locale(), { style: "percent", minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(rate ?? 0);

/** A calendar day (the API's Date, YYYY-MM-DD) in the user's language, without shifting zones. */
export function fmtDay(day, style = "medium") {
  if (!day) return "—";
  const [y, m, d] = day.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d)).toLocaleDateString(locale(), { dateStyle: style, timeZone: "UTC" });
}

/** Seconds as hours/minutes, or "—" when there is no figure. */
export function fmtSeconds(seconds) {
  if (seconds === null || seconds === undefined) return "—";
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return t("nat.minutes", { n: minutes });
  const hours = seconds / 3600;
  if (hours < 48) return t("nat.hours", { n: new Intl.NumberFormat(locale(), { maximumFractionDigits: 1 }).format(hours) });
  return t("nat.days", { n: new Intl.NumberFormat(locale(), { maximumFractionDigits: 1 }).format(hours / 24) });
}

extend({
  id: { "nat.minutes": "{n} mnt", "nat.hours": "{n} jam", "nat.days": "{n} hari" },
  en: { "nat.minutes": "{n} min", "nat.hours": "{n} h", "nat.days": "{n} d" },
});

// --- the filter every view reads (kept while the page is open) ---

const listeners = new Set();

/** The current NationalFilter fields ("" or null: not set). */
export const filter = { dateFrom: "", dateTo: "", poldaCode: "", tenantSlug: "", categoryCode: "", status: "" };

/** Change some filter fields and tell the views. */
export function setFilter(changes) {
  Object.assign(filter, changes);
  for (const fn of [...listeners]) fn(filter);
}

export function onFilter(fn) { listeners.add(fn); return () => listeners.delete(fn); }

/** The filter as the API's NationalFilter input (unset fields left out: the API's defaults). */
export function apiFilter(extra = {}) {
  const out = {};
  for (const [key, value] of Object.entries({ ...filter, ...extra })) if (value) out[key] = value;
  return out;
}

// --- the caller's scope ---

let scopePromise = null;

/**
 * The caller's scope, once per page: {national, poldas: [codes], tenants: [Tenant], label}.
 * A national supervisor or auditor sees everything ("Nasional"); a Polda supervisor the
 * Polda of the tenants the API lets it see.
 */
export function loadScope(me) {
  if (!scopePromise) {
    scopePromise = gql("query Tenants { tenants { slug name kind poldaCode regionName timeZone status modules } }")
      .then(({ tenants }) => {
        const list = (tenants || []).slice().sort((a, b) => a.name.localeCompare(b.name) || a.slug.localeCompare(b.slug));
        const national = has(me, "national_supervisor", "oversight_auditor");
        const poldas = [...new Set(list.map((x) => x.poldaCode))].sort();
        return { national, poldas, tenants: list };
      })
      .catch((error) => { scopePromise = null; throw error; });
  }
  return scopePromise;
}

/** "Nasional", or the Polda's name(s), in the user's language. */
export function scopeLabel(scope) {
  if (scope.national) return t("scope.national");
  if (!scope.poldas.length) return t("scope.none");
  return scope.poldas.map(poldaName).join(", ");
}

/** A tenant's display name by slug (the slug when not visible). */
export function tenantName(scope, slug) {
  const found = scope.tenants.find((x) => x.slug === slug);
  return found ? found.name : slug;
}

// --- queries ---

const DURATION = "medianSeconds p90Seconds reports";
export const SUMMARY_FIELDS = `tenants reports urgent slaBreaches slaBreachRate
  byStatus { key count } byCategory { key count }
  timeToVerify { ${DURATION} } timeToDispatch { ${DURATION} } timeToResolve { ${DURATION} }
  daily { day count }`;

export const Q_SUMMARY = `query Summary($f: NationalFilter) { summary(filter: $f) { ${SUMMARY_FIELDS} } }`;
export const Q_BY_TENANT = `query ByTenant($f: NationalFilter) { byTenant(filter: $f) {
  tenant { slug name kind poldaCode regionName status }
  summary { reports urgent slaBreaches slaBreachRate timeToVerify { medianSeconds reports } timeToResolve { medianSeconds reports } } } }`;
export const Q_HEATMAP = "query Heat($f: NationalFilter) { heatmap(filter: $f) { latitude longitude count } }";
const GROUP = "key stations voters incidents openIncidents urgentIncidents byVulnerability { vulnerability name stations voters incidents openIncidents urgentIncidents }";
export const Q_ELECTION = `query Election($f: NationalFilter) { electionSummary(filter: $f) {
  total { ${GROUP} } byPolda { ${GROUP} } byTenant { ${GROUP} } } }`;
export const Q_REPORTS = `query Reports($f: NationalFilter, $first: Int!, $after: String) {
  reports(filter: $f, first: $first, after: $after) { hasNextPage endCursor edges { node {
    tenantSlug ticket categoryCode title description latitude longitude status urgent slaBreached
    createdAt verifiedAt resolvedAt } } } }`;
export const Q_AUDIT = `query Audit($slug: String, $first: Int!, $before: ID, $f: AuditLogFilter) {
  auditLog(tenantSlug: $slug, first: $first, before: $before, filter: $f) {
    hasNextPage endCursor entries { id at actor actorKind role action tenantId target detail } } }`;
