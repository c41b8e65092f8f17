// Console view "queue" (default): the live queue. The first list comes from `reports`
// (operators), `myQueue` (officers) or `agencyInbox` (agency liaisons); then each
// reportEvents message updates its row in place, keyed by report id. SOS and urgent
// reports stay on top; one timer runs every row's countdown. Built to stay smooth with a
// thousand open reports: no full re-render per event, one batched read per burst.

import { gql } from "../common/api.js";
import { h, replace } from "../common/dom.js";
import { errorText, extend, t } from "../common/i18n.js";
import { inbox } from "./inbox.js";
import {
  OPEN, ROW_FIELDS, STATUSES, categoryText, channelMarker, countdown, deadlineOf, isLiaisonOnly, isOfficerOnly,
  liveClient, loadCategories, raiseSos, statusText, watchSos,
} from "./reportkit.js";

extend({
  id: {
    queue: "Antrean", "q.ticket": "Tiket", "q.category": "Kategori", "q.title": "Judul", "q.status": "Status",
    "q.due": "Tenggat", "q.flags": "Tanda", "q.assigned": "Petugas", "q.created": "Masuk",
    "q.open": "Semua yang terbuka", "q.all": "Semua status", "q.allcat": "Semua kategori",
    "q.sort.deadline": "Tenggat terdekat", "q.sort.newest": "Terbaru", "q.count": "{shown} laporan",
    "q.count.of": "{shown} dari {total} laporan", "q.empty": "Tidak ada laporan.",
    "q.inbox": "Kotak masuk instansi", "q.agency": "Instansi", "q.dispatch": "Status kiriman",
    "q.mine": "Laporan yang ditugaskan kepada Anda",
  },
  en: {
    queue: "Queue", "q.ticket": "Ticket", "q.category": "Category", "q.title": "Title", "q.status": "Status",
    "q.due": "Deadline", "q.flags": "Flags", "q.assigned": "Officer", "q.created": "Received",
    "q.open": "All open", "q.all": "Every status", "q.allcat": "Every category",
    "q.sort.deadline": "Nearest deadline", "q.sort.newest": "Newest", "q.count": "{shown} reports",
    "q.count.of": "{shown} of {total} reports", "q.empty": "No reports.",
    "q.inbox": "Agency inbox", "q.agency": "Agency", "q.dispatch": "Dispatch status",
    "q.mine": "Reports assigned to you",
  },
});

const PAGE = 100;
const MAX_ROWS = 2000;
const LIST = `query($first: Int!, $after: String, $filter: ReportFilterInput) {
  reports(first: $first, after: $after, filter: $filter) { edges { node { ${ROW_FIELDS} } } pageInfo { hasNextPage endCursor } totalCount } }`;
const MINE = `query($first: Int!, $after: String) {
  myQueue(first: $first, after: $after) { edges { node { ${ROW_FIELDS} } } pageInfo { hasNextPage endCursor } } }`;
const EVENTS = "subscription { reportEvents { reportId ticket status urgent sos event { kind } } }";

export const queueView = {
  id: "queue",
  label: "queue",
  render(main, ctx) {
    if (isLiaisonOnly(ctx.me)) return inbox(main, ctx);
    watchSos(ctx);
    return reportQueue(main, ctx);
  },
};

/** Sort key: SOS first, then urgent, then by the chosen order. */
function compare(mode) {
  return (a, b) => {
    if (a.sos !== b.sos) return a.sos ? -1 : 1;
    if (a.urgent !== b.urgent) return a.urgent ? -1 : 1;
    if (mode === "newest") return b.createdAt < a.createdAt ? -1 : b.createdAt > a.createdAt ? 1 : 0;
    const da = deadlineOf(a) || "9999";
    const db = deadlineOf(b) || "9999";
    return da < db ? -1 : da > db ? 1 : a.id < b.id ? -1 : 1;
  };
}

function reportQueue(main, ctx) {
  const officer = isOfficerOnly(ctx.me);
  const rows = new Map(); // id -> {report, tr, cells}
  let order = []; // the rows' reports, sorted
  const filters = { status: "OPEN", category: "", sort: "deadline" };
  let generation = 0;
  let total = null;

  const statusSelect = h("select", { name: "status", "aria-label": t("q.status") },
    h("option", { value: "OPEN", text: t("q.open") }),
    h("option", { value: "", text: t("q.all") }),
    STATUSES.map((s) => h("option", { value: s, text: statusText(s) })));
  const categorySelect = h("select", { name: "category", "aria-label": t("q.category") }, h("option", { value: "", text: t("q.allcat") }));
  const sortSelect = h("select", { name: "sort", "aria-label": "sort" },
    h("option", { value: "deadline", text: t("q.sort.deadline") }),
    h("option", { value: "newest", text: t("q.sort.newest") }));
  const count = h("span", { class: "muted", "aria-live": "polite" });
  const error = h("p", { class: "error", role: "alert" });
  const tbody = h("tbody");
  const empty = h("p", { class: "muted hidden", text: t("q.empty") });
  const table = h("table", { class: "queue" },
    h("thead", {}, h("tr", {},
      ["q.ticket", "q.category", "q.title", "q.status", "q.due", "q.flags", "q.assigned"].map((k) => h("th", { text: t(k) })))),
    tbody);
  replace(main,
    h("div", { class: "row queue-tools" },
      officer ? h("strong", { text: t("q.mine") }) : null, statusSelect, categorySelect, sortSelect, count),
    error, h("div", { class: "queue-scroll" }, table), empty);
  if (officer) statusSelect.disabled = true;

  loadCategories().then((list) => {
    for (const c of list) categorySelect.append(h("option", { value: c.code, text: categoryText(c) }));
  }).catch(() => {});

  const statuses = () => (filters.status === "OPEN" ? OPEN : filters.status ? [filters.status] : null);
  const matches = (r) => {
    const wanted = officer ? OPEN : statuses();
    return (!wanted || wanted.includes(r.status)) && (!filters.category || r.category.code === filters.category);
  };

  function makeRow(report) {
    const cells = {
      ticket: h("td", { class: "ticket" }),
      category: h("td"),
      title: h("td", { class: "title" }),
      status: h("td"),
      due: h("td", { class: "due num" }),
      flags: h("td", { class: "flags" }),
      assigned: h("td", { class: "muted" }),
    };
    const tr = h("tr", { class: "qrow", dataset: { id: report.id }, tabindex: "0" }, Object.values(cells));
    const entry = { report, tr, cells, due: null, shown: "" };
    fill(entry);
    return entry;
  }

  function fill(entry) {
    const r = entry.report;
    entry.cells.ticket.textContent = r.ticket;
    entry.cells.category.textContent = categoryText(r.category);
    entry.cells.title.textContent = r.title;
    replace(entry.cells.status, h("span", { class: `badge st-${r.status}`, text: statusText(r.status) }));
    replace(entry.cells.flags,
      r.sos ? h("span", { class: "badge sos", text: t("r.sos") }) : null,
      r.urgent && !r.sos ? h("span", { class: "badge urgent", text: t("r.urgent") }) : null,
      r.duplicateOfId ? h("a", { class: "badge warn", href: `#/report/${r.duplicateOfId}`, text: t("r.duplicate"), title: r.duplicateOfId, onclick: (e) => e.stopPropagation() }) : null,
      r.outsideJurisdiction ? h("span", { class: "badge warn", text: t("r.outside") }) : null,
      channelMarker(r.channel));
    entry.cells.assigned.textContent = [r.assignedOfficer && (r.assignedOfficer.fullName || r.assignedOfficer.username), r.assignedUnit && r.assignedUnit.name].filter(Boolean).join(" · ");
    entry.tr.classList.toggle("sos", Boolean(r.sos));
    entry.tr.classList.toggle("urgent", Boolean(r.urgent));
    entry.due = deadlineOf(r);
    entry.shown = "";
    tick(entry, Date.now());
  }

  function tick(entry, now) {
    const c = countdown(entry.due, now);
    if (c.text !== entry.shown) {
      entry.shown = c.text;
      entry.cells.due.textContent = c.text;
      entry.cells.due.className = `due num ${c.state}`;
    }
  }

  // Binary search for where a report goes in `order`.
  function position(report) {
    const cmp = compare(filters.sort);
    let lo = 0;
    let hi = order.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cmp(order[mid], report) < 0) lo = mid + 1; else hi = mid;
    }
    return lo;
  }

  function place(entry) {
    const i = position(entry.report);
    order.splice(i, 0, entry.report);
    const next = order[i + 1];
    tbody.insertBefore(entry.tr, next ? rows.get(next.id).tr : null);
  }

  function unplace(entry) {
    const i = order.indexOf(entry.report);
    if (i >= 0) order.splice(i, 1);
  }

  function upsert(report) {
    const entry = rows.get(report.id);
    if (!matches(report)) { if (entry) remove(report.id); return; }
    if (report.sos && report.status === "SUBMITTED") raiseSos(ctx, report, false);
    if (!entry) {
      const made = makeRow(report);
      rows.set(report.id, made);
      place(made);
      // A report that arrives live flashes for a few seconds wherever it sorts to.
      made.tr.classList.add("fresh");
      setTimeout(() => made.tr.classList.remove("fresh"), 6000);
    } else {
      unplace(entry);
      entry.report = report;
      fill(entry);
      place(entry);
    }
    counted();
  }

  function remove(id) {
    const entry = rows.get(id);
    if (!entry) return;
    unplace(entry);
    entry.tr.remove();
    rows.delete(id);
    counted();
  }

  function counted() {
    const shown = rows.size;
    count.textContent = total !== null && total > shown ? t("q.count.of", { shown, total }) : t("q.count", { shown });
    empty.classList.toggle("hidden", shown > 0);
  }

  async function load() {
    const mine = ++generation;
    error.textContent = "";
    rows.clear();
    order = [];
    tbody.replaceChildren();
    total = null;
    const gathered = [];
    let after = null;
    try {
      do {
        let page;
        if (officer) {
          page = (await gql(MINE, { first: PAGE, after })).myQueue;
        } else {
          const filter = { statuses: statuses(), categoryCodes: filters.category ? [filters.category] : null };
          page = (await gql(LIST, { first: PAGE, after, filter })).reports;
          total = page.totalCount;
        }
        if (mine !== generation) return;
        for (const edge of page.edges) gathered.push(edge.node);
        after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
      } while (after && gathered.length < MAX_ROWS);
    } catch (e) {
      if (mine === generation) error.textContent = errorText(e);
    }
    if (mine !== generation) return;
    // One sort and one DOM insertion for the whole first list. Rows an event brought
    // in meanwhile are newer than the list's copy: they stay.
    for (const report of gathered) {
      if (!matches(report) || rows.has(report.id)) continue;
      rows.set(report.id, makeRow(report));
      if (report.sos && report.status === "SUBMITTED") raiseSos(ctx, report, false);
    }
    order = [...rows.values()].map((entry) => entry.report).sort(compare(filters.sort));
    const fragment = document.createDocumentFragment();
    for (const report of order) fragment.append(rows.get(report.id).tr);
    tbody.append(fragment);
    counted();
    main.dataset.loaded = "true";
  }

  // Events of a burst are read back together: one request with an alias per report.
  // Events name a report; its row is read back with the queue's fields. One read is in
  // flight at a time: an event alone is read at once, and a burst arriving meanwhile is
  // read together next (up to 50 a request).
  const pending = new Set();
  let flushTimer = null;
  let flushing = false;
  function refetch(id) {
    pending.add(id);
    if (!flushing && !flushTimer) flushTimer = setTimeout(flush, 0);
  }
  async function flush() {
    flushTimer = null;
    if (flushing || !pending.size) return;
    flushing = true;
    const mine = generation;
    const ids = [...pending].slice(0, 50);
    for (const id of ids) pending.delete(id);
    const query = `query(${ids.map((_, i) => `$i${i}: ID!`).join(", ")}) { ${ids.map((_, i) => `r${i}: report(id: $i${i}) { ${ROW_FIELDS} }`).join(" ")} }`;
    const variables = Object.fromEntries(ids.map((id, i) => [`i${i}`, id]));
    try {
      const data = await gql(query, variables);
      if (mine === generation) ids.forEach((id, i) => { if (data[`r${i}`]) upsert(data[`r${i}`]); else remove(id); });
    } catch { /* the next event or a reload reads them again */ }
    flushing = false;
    if (pending.size && !flushTimer) flushTimer = setTimeout(flush, 0);
  }

  function onEvent(payload) {
    const e = payload.data && payload.data.reportEvents;
    if (!e) return;
    const entry = rows.get(e.reportId);
    if (entry) {
      // At once: status and urgency; the deadlines and assignment follow with the read.
      const report = { ...entry.report, status: e.status, urgent: e.urgent, sos: e.sos };
      upsert(report);
    }
    refetch(e.reportId);
  }

  tbody.addEventListener("click", (event) => {
    if (event.target.closest("a")) return;
    const tr = event.target.closest("tr.qrow");
    if (tr) ctx.navigate(`#/report/${tr.dataset.id}`);
  });
  tbody.addEventListener("keydown", (event) => {
    const tr = event.target.closest("tr.qrow");
    if (tr && event.key === "Enter") ctx.navigate(`#/report/${tr.dataset.id}`);
  });
  statusSelect.addEventListener("change", () => { filters.status = statusSelect.value; load(); });
  categorySelect.addEventListener("change", () => { filters.category = categorySelect.value; load(); });
  sortSelect.addEventListener("change", () => {
    filters.sort = sortSelect.value;
    order.sort(compare(filters.sort));
    const fragment = document.createDocumentFragment();
    for (const r of order) fragment.append(rows.get(r.id).tr);
    tbody.append(fragment);
  });

  const live = liveClient(ctx);
  // Subscribe first, so nothing committed while the first list loads is missed.
  const unsubscribe = live.subscribe(EVENTS, {}, {
    next: onEvent,
    error: (errs) => { error.textContent = errorText(errs[0]?.extensions || {}); },
    resumed: () => load(), // back online: what changed meanwhile
  });
  load();
  const timer = setInterval(() => {
    const now = Date.now();
    for (const entry of rows.values()) tick(entry, now);
  }, 1000);

  return () => {
    generation++;
    clearInterval(timer);
    clearTimeout(flushTimer);
    unsubscribe();
  };
}
