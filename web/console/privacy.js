// Console view "privacy" (#/privacy/<page>; operators and tenant admins: privacy:requests):
// the command's data-subject requests under UU PDP (open ones first by deadline, the
// overdue ones marked, each with its log and the actions start / fulfil / refuse, the
// export of an answered ACCESS request) and a form to record a request on a person's
// behalf. Tenant admins (the command's DPO) also get the deadline and retention tables,
// the breach register with its 3 x 24 h clock, and the records of processing: those
// sub-pages live in privacy_admin.js, fetched only by tenant admins.

import { gql } from "../common/api.js";
import { h, replace, toast } from "../common/dom.js";
import { errorText, extend, fmtDateTime, t } from "../common/i18n.js";
import { has } from "../common/shell.js";
import { countdown } from "./reportkit.js";
import { failed, labelled, selectOf, submitForm } from "./ops.js";

extend({
  id: {
    "pv.nav": "Privasi",
    "pv.requests": "Permintaan subjek data",
    "pv.deadlines": "Tenggat & retensi",
    "pv.breaches": "Kegagalan pelindungan",
    "pv.processing": "Catatan pemrosesan",
    "pv.req.hint": "Permintaan terbuka lebih dahulu, menurut tenggat (UU PDP No. 27/2022). Yang lewat tenggat ditandai merah.",
    "pv.req.empty": "Belum ada permintaan.",
    "pv.right.ACCESS": "Akses", "pv.right.CORRECTION": "Koreksi", "pv.right.ERASURE": "Penghapusan", "pv.right.RESTRICTION": "Pembatasan",
    "pv.status.RECEIVED": "Diterima", "pv.status.IN_PROGRESS": "Diproses", "pv.status.DONE": "Selesai", "pv.status.REFUSED": "Ditolak",
    "pv.madeBy.SELF": "oleh yang bersangkutan", "pv.madeBy.OPERATOR": "dicatat operator",
    "pv.subject": "Subjek data (ID akun)",
    "pv.received": "Diterima",
    "pv.due": "Tenggat",
    "pv.doneAt": "Selesai pada",
    "pv.identityCheck": "Pemeriksaan identitas",
    "pv.refusal": "Alasan penolakan",
    "pv.log": "Riwayat",
    "pv.start": "Mulai proses",
    "pv.fulfil": "Penuhi",
    "pv.refuse": "Tolak",
    "pv.reason": "Alasan (dibaca oleh yang bersangkutan)",
    "pv.reason.hint": "Tulis alasan 3-1000 karakter.",
    "pv.confirm.erasure": "Hapus identitas orang ini dari komando ini? Laporan yang ditahan hukum tidak diubah. Tindakan ini tidak dapat dibatalkan.",
    "pv.export.show": "Lihat ekspor",
    "pv.export.json": "Unduh JSON",
    "pv.export.hide": "Tutup ekspor",
    "pv.export.title": "Ekspor data pribadi",
    "pv.export.audited": "Setiap pembukaan ekspor oleh petugas dicatat di log audit.",
    "pv.record": "Catat permintaan atas nama seseorang",
    "pv.record.hint": "Periksa identitas orang itu lebih dahulu, lalu tulis cara memeriksanya.",
    "pv.subjectPhone": "Nomor telepon orang itu",
    "pv.right": "Hak",
    "pv.identityCheck.placeholder": "mis. KTP dicocokkan di SPKT",
    "pv.fullName": "Nama baru (hanya koreksi)",
    "pv.phone": "Nomor baru (hanya koreksi)",
    "pv.record.submit": "Catat permintaan",
    "pv.recorded": "Permintaan tercatat.",
    "pv.done": "Tersimpan.",
    "pv.identityCheck.hint": "Tulis cara identitas diperiksa (3-500 karakter).",
    "pv.subjectPhone.hint": "Nomor akun warga komando ini, mis. 0812-3456-7890.",
  },
  en: {
    "pv.nav": "Privacy",
    "pv.requests": "Data-subject requests",
    "pv.deadlines": "Deadlines & retention",
    "pv.breaches": "Breaches",
    "pv.processing": "Records of processing",
    "pv.req.hint": "Open requests first, by deadline (UU PDP, Law 27/2022). Overdue ones are marked red.",
    "pv.req.empty": "No requests yet.",
    "pv.right.ACCESS": "Access", "pv.right.CORRECTION": "Correction", "pv.right.ERASURE": "Erasure", "pv.right.RESTRICTION": "Restriction",
    "pv.status.RECEIVED": "Received", "pv.status.IN_PROGRESS": "In progress", "pv.status.DONE": "Done", "pv.status.REFUSED": "Refused",
    "pv.madeBy.SELF": "by the person", "pv.madeBy.OPERATOR": "recorded by an operator",
    "pv.subject": "Data subject (account ID)",
    "pv.received": "Received",
    "pv.due": "Deadline",
    "pv.doneAt": "Done at",
    "pv.identityCheck": "Identity check",
    "pv.refusal": "Refusal reason",
    "pv.log": "Log",
    "pv.start": "Start",
    "pv.fulfil": "Fulfil",
    "pv.refuse": "Refuse",
    "pv.reason": "Reason (the person reads it)",
    "pv.reason.hint": "Write a reason of 3-1000 characters.",
    "pv.confirm.erasure": "Erase this person's identity at this command? Reports under a legal hold stay as they are. This cannot be undone.",
    "pv.export.show": "View the export",
    "pv.export.json": "Download JSON",
    "pv.export.hide": "Close the export",
    "pv.export.title": "Personal data export",
    "pv.export.audited": "Every look at an export by staff is written to the audit log.",
    "pv.record": "Record a request on a person's behalf",
    "pv.record.hint": "Check who the person is first, then say how you checked.",
    "pv.subjectPhone": "The person's phone number",
    "pv.right": "Right",
    "pv.identityCheck.placeholder": "e.g. KTP checked at the SPKT desk",
    "pv.fullName": "New name (correction only)",
    "pv.phone": "New number (correction only)",
    "pv.record.submit": "Record the request",
    "pv.recorded": "Request recorded.",
    "pv.done": "Saved.",
    "pv.identityCheck.hint": "Say how the identity was checked (3-500 characters).",
    "pv.subjectPhone.hint": "The number of a citizen account of this command, e.g. 0812-3456-7890.",
  },
});

export const RIGHTS = ["ACCESS", "CORRECTION", "ERASURE", "RESTRICTION"];
const OPEN = ["RECEIVED", "IN_PROGRESS"];

const REQUEST = "id subjectId right status madeBy identityCheck refusalReason receivedAt dueAt doneAt overdue log { at actor step note }";
const REQUESTS = `query PrivacyRequests($first: Int!) { dataSubjectRequests(first: $first) { ${REQUEST} } }`;
const PAYLOAD = `request { ${REQUEST} } errors { code field message }`;
const START = `mutation StartRequest($id: ID!) { startDataSubjectRequest(id: $id) { ${PAYLOAD} } }`;
const FULFIL = `mutation FulfilRequest($id: ID!) { fulfilDataSubjectRequest(id: $id) { ${PAYLOAD} } }`;
const REFUSE = `mutation RefuseRequest($id: ID!, $reason: String!) { refuseDataSubjectRequest(id: $id, reason: $reason) { ${PAYLOAD} } }`;
const RECORD = `mutation RecordRequest($input: RecordDataSubjectRequestInput!) { recordDataSubjectRequest(input: $input) { ${PAYLOAD} } }`;
const EXPORT = "query SubjectExport($id: ID!) { dataSubjectExport(requestId: $id) { data html } }";

/** The tenant admins' sub-pages, fetched when first opened. */
const ADMIN_PAGES = {
  deadlines: async (...args) => (await import("./privacy_admin.js")).renderDeadlines(...args),
  breaches: async (...args) => (await import("./privacy_admin.js")).renderBreaches(...args),
  processing: async (...args) => (await import("./privacy_admin.js")).renderProcessing(...args),
};

export const privacyView = {
  id: "privacy",
  label: "pv.nav",
  show: (me) => has(me, "operator", "tenant_admin"),
  render(main, ctx, param) {
    const admin = has(ctx.me, "tenant_admin");
    const pages = ["requests", ...(admin ? Object.keys(ADMIN_PAGES) : [])];
    const [page] = (param || "requests").split("/");
    const current = pages.includes(page) ? page : "requests";
    main.append(h("nav", { class: "subtabs privacy-tabs", "aria-label": t("pv.nav") },
      pages.map((p) => h("a", { href: `#/privacy/${p}`, class: p === current ? "active" : null, dataset: { page: p }, text: t(`pv.${p}`) }))));
    const body = h("section", { class: "ops-page privacy-page", dataset: { page: current } });
    main.append(body);
    if (current === "requests") return requestsPage(main, body);
    return ADMIN_PAGES[current](main, body, ctx);
  },
};

export const rightText = (right) => t(`pv.right.${right}`);

/** A text download of `text` as `name` through a blob: URL (revoked after the click). */
export function saveBlob(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = h("a", { href: url, download: name, class: "hidden" });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** The data-subject requests page. Returns its cleanup (the countdown timer). */
async function requestsPage(main, body) {
  const list = h("div", { class: "dsr-list" });
  const error = h("div", {});
  const ticks = [];
  const tick = () => { const now = Date.now(); for (const fn of ticks) fn(now); };
  const timer = setInterval(tick, 1000);
  const exports = new Map(); // request id -> open export box, kept across reloads

  const load = async () => {
    replace(error);
    let rows;
    try {
      rows = (await gql(REQUESTS, { first: 100 })).dataSubjectRequests || [];
    } catch (e) {
      replace(error, failed(e));
      return;
    }
    ticks.length = 0;
    replace(list, rows.length ? h("ul", { class: "plain dsr-items" }, rows.map((r) => requestItem(r, load, ticks, exports)))
      : h("p", { class: "muted", text: t("pv.req.empty") }));
    tick();
    main.dataset.loaded = String(rows.length);
  };

  body.append(
    h("div", { class: "row ops-head" },
      h("h2", { text: t("pv.requests") }),
      h("span", { class: "spacer" }),
      h("button", { type: "button", text: t("app.refresh"), onclick: load })),
    h("p", { class: "muted ops-hint", text: t("pv.req.hint") }),
    h("div", { class: "admin-split" }, h("div", {}, error, list), recordForm(load)));
  await load();
  return () => clearInterval(timer);
}

function recordForm(reload) {
  const form = h("form", { class: "card dsr-record", novalidate: true },
    h("h3", { text: t("pv.record") }),
    h("p", { class: "muted", text: t("pv.record.hint") }),
    labelled("pv.subjectPhone", h("input", { name: "subjectPhone", type: "tel", autocomplete: "off" })),
    labelled("pv.right", selectOf("right", RIGHTS, rightText)),
    labelled("pv.identityCheck", h("input", { name: "identityCheck", autocomplete: "off", placeholder: t("pv.identityCheck.placeholder") })),
    labelled("pv.fullName", h("input", { name: "fullName", autocomplete: "off" })),
    labelled("pv.phone", h("input", { name: "phone", type: "tel", autocomplete: "off" })),
    h("p", { class: "form-error", role: "alert" }),
    h("button", { type: "submit", class: "primary", text: t("pv.record.submit") }));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const fd = new FormData(form);
    const text = (k) => String(fd.get(k) || "").trim();
    const input = { subjectPhone: text("subjectPhone"), right: text("right"), identityCheck: text("identityCheck") };
    if (input.right === "CORRECTION") {
      input.fullName = text("fullName") || null;
      input.phone = text("phone") || null;
    }
    const done = await submitForm(form, RECORD, { input }, { hints: { identityCheck: "pv.identityCheck.hint", subjectPhone: "pv.subjectPhone.hint" } });
    if (!done) return;
    form.reset();
    toast(t("pv.recorded"));
    reload();
  });
  return form;
}

/** One request: its facts, the running deadline, its log and the actions its status allows. */
function requestItem(r, reload, ticks, exports) {
  const open = OPEN.includes(r.status);
  const due = h("span", { class: "due" });
  if (open) {
    ticks.push((now) => {
      const c = countdown(r.dueAt, now);
      due.textContent = `${fmtDateTime(r.dueAt)} · ${c.text}`;
      due.className = `due ${r.overdue ? "overdue" : c.state}`;
    });
  } else {
    due.textContent = fmtDateTime(r.dueAt);
  }
  const actions = h("div", { class: "dsr-actions" });
  if (open) actions.append(...actionForms(r, reload));
  if (r.right === "ACCESS" && r.status === "DONE") actions.append(exportControl(r, exports));
  return h("li", { class: ["card dsr", r.overdue && open ? "overdue" : null], dataset: { id: r.id, status: r.status, right: r.right } },
    h("div", { class: "row" },
      h("strong", { text: rightText(r.right) }),
      h("span", { class: `badge dsr-${r.status}`, text: t(`pv.status.${r.status}`) }),
      r.overdue ? h("span", { class: "badge danger", text: t("r.overdue") }) : null,
      h("span", { class: "muted", text: t(`pv.madeBy.${r.madeBy}`) })),
    h("dl", { class: "facts" },
      fact("pv.subject", h("code", { text: r.subjectId })),
      fact("pv.received", fmtDateTime(r.receivedAt)),
      fact("pv.due", due),
      r.doneAt ? fact("pv.doneAt", fmtDateTime(r.doneAt)) : null,
      r.identityCheck ? fact("pv.identityCheck", r.identityCheck) : null,
      r.refusalReason ? fact("pv.refusal", r.refusalReason) : null),
    h("details", { class: "dsr-log" }, h("summary", { text: `${t("pv.log")} (${r.log.length})` }),
      h("ol", { class: "plain" }, r.log.map((s) => h("li", {},
        h("span", { class: "muted", text: `${fmtDateTime(s.at)} · ${s.actor} · ` }), h("strong", { text: s.step }),
        s.note ? h("span", { text: ` — ${s.note}` }) : null)))),
    actions);
}

function actionForms(r, reload) {
  const run = async (form, query, variables) => {
    if (await submitForm(form, query, variables, { hints: { reason: "pv.reason.hint" } })) { toast(t("pv.done")); reload(); }
  };
  const quick = h("form", { class: "row dsr-quick", novalidate: true },
    r.status === "RECEIVED" ? h("button", { type: "button", text: t("pv.start"), onclick: () => run(quick, START, { id: r.id }) }) : null,
    h("button", { type: "button", class: "primary", text: t("pv.fulfil"), onclick: () => {
      if (r.right === "ERASURE" && !window.confirm(t("pv.confirm.erasure"))) return;
      run(quick, FULFIL, { id: r.id });
    } }),
    h("p", { class: "form-error", role: "alert" }));
  const refuse = h("form", { class: "dsr-refuse", dataset: { action: "refuse" }, novalidate: true },
    h("label", {}, t("pv.reason"), h("textarea", { name: "reason", rows: 2 })),
    h("p", { class: "form-error", role: "alert" }),
    h("button", { type: "submit", class: "danger", text: t("pv.refuse") }));
  refuse.addEventListener("submit", (e) => {
    e.preventDefault();
    run(refuse, REFUSE, { id: r.id, reason: String(new FormData(refuse).get("reason") || "") });
  });
  return [quick, h("details", { class: "dsr-refuse-box" }, h("summary", { text: t("pv.refuse") }), refuse)];
}

/** "View the export": the HTML page in a sandboxed frame (no script, no same origin) and
 * the JSON as a download. Kept open across reloads of the list. */
function exportControl(r, exports) {
  const box = h("div", { class: "dsr-export" });
  let data = null;
  const show = async () => {
    try {
      data = (await gql(EXPORT, { id: r.id })).dataSubjectExport;
    } catch (e) {
      replace(box, h("p", { class: "error", role: "alert", text: errorText(e) }));
      return;
    }
    exports.set(r.id, true);
    const frame = h("iframe", { class: "export-frame", title: t("pv.export.title"), sandbox: "", referrerpolicy: "no-referrer" });
    frame.srcdoc = exportDocument(data.html);
    replace(box,
      h("div", { class: "row" },
        h("button", { type: "button", text: t("pv.export.json"), onclick: () => saveBlob(new Blob([JSON.stringify(data.data, null, 2)], { type: "application/json" }), `ekspor-${r.id}.json`) }),
        h("button", { type: "button", class: "link", text: t("pv.export.hide"), onclick: () => { exports.delete(r.id); replace(box, opener); } })),
      h("p", { class: "muted", text: t("pv.export.audited") }),
      frame);
  };
  const opener = h("button", { type: "button", class: "export-open", text: t("pv.export.show"), onclick: show });
  if (exports.has(r.id)) show();
  else box.append(opener);
  return box;
}

/** The export's HTML for a srcdoc frame (sandboxed: no script runs, no same origin). A
 * srcdoc document inherits the console's Content-Security-Policy, which refuses inline
 * style: the export's <style> blocks are cut out and the console's export stylesheet is
 * linked instead. The API escapes every value of the export. */
export function exportDocument(html) {
  const sheet = new URL("/web/console/export.css", location.href).href;
  const link = `<link rel="stylesheet" href="${sheet}">`;
  const text = String(html).replace(/<style[\s\S]*?<\/style\s*>/gi, "");
  return /<\/head>/i.test(text) ? text.replace(/<\/head>/i, `${link}</head>`) : link + text;
}

function fact(label, value) {
  return [h("dt", { text: t(label) }), h("dd", {}, value)];
}
