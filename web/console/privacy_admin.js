// The tenant admin's (the command's DPO) privacy sub-pages: deadlines per right and
// retention rules with the recent retention runs; the breach register (record, amend,
// record each notification, the 3 x 24 h clock with its escalation level, the notice
// drafts with a copy button, the CSV/JSON export for the authority); the records of
// processing (UU PDP Pasal 31) and their HTML page. Downloads need the bearer header, so
// they are fetched and saved through blob: URLs.

import { ApiError, config, gql, newClientKey, session } from "../common/api.js";
import { h, replace, toast } from "../common/dom.js";
import { errorText, extend, fmtDateTime, lang, t } from "../common/i18n.js";
import { countdown } from "./reportkit.js";
import { failed, isoFromLocal, labelled, localInput, submitForm, table } from "./ops.js";
import { RIGHTS, rightText, saveBlob } from "./privacy.js";

extend({
  id: {
    "pa.deadlines": "Tenggat per hak subjek data",
    "pa.deadlines.hint": "Jam sejak permintaan diterima. Kosongkan lalu simpan untuk kembali ke bawaan undang-undang.",
    "pa.hours": "Jam", "pa.default": "Bawaan", "pa.changed": "Diubah", "pa.basis": "Dasar hukum",
    "pa.reset": "Bawaan",
    "pa.retention": "Aturan retensi",
    "pa.retention.hint": "Berapa hari data disimpan sebelum dihapus oleh tugas retensi harian. Laporan yang ditahan hukum dilewati.",
    "pa.days": "Hari", "pa.category": "Kategori",
    "pa.cat.REPORTER_IDENTITY": "Identitas pelapor (setelah laporan ditutup/ditolak)",
    "pa.cat.REPORT_PHOTOS": "Foto laporan (setelah ditutup)",
    "pa.cat.NOTIFICATIONS": "Alamat notifikasi (setelah dikirim)",
    "pa.cat.WEBHOOK_DELIVERIES": "Kiriman webhook peristiwa (setelah dibuat)",
    "pa.runs": "Jalannya retensi terakhir",
    "pa.run.asOf": "Per tanggal", "pa.run.started": "Mulai", "pa.run.finished": "Selesai",
    "pa.run.identities": "Identitas", "pa.run.photos": "Foto", "pa.run.notifications": "Notifikasi", "pa.run.webhooks": "Kiriman webhook", "pa.run.held": "Dilewati (ditahan)",
    "pa.hours.hint": "1-2160 jam.", "pa.days.hint": "1-36500 hari.",
    "pa.br.title": "Daftar kegagalan pelindungan data pribadi",
    "pa.br.hint": "UU PDP Pasal 46: pemberitahuan tertulis kepada subjek data dan lembaga paling lambat 3 × 24 jam sejak diketahui.",
    "pa.br.empty": "Belum ada insiden tercatat.",
    "pa.br.new": "Catat insiden",
    "pa.br.titleField": "Judul singkat", "pa.br.description": "Apa yang terjadi", "pa.br.data": "Jenis data pribadi",
    "pa.br.subjects": "Milik siapa", "pa.br.estimate": "Perkiraan jumlah orang", "pa.br.foundAt": "Diketahui pada (jam mulai berjalan)",
    "pa.br.occurredAt": "Terjadi pada (jika diketahui)", "pa.br.measures": "Langkah penanganan dan pemulihan",
    "pa.br.record": "Catat insiden", "pa.br.recorded": "Insiden tercatat; jam 3 × 24 jam berjalan.",
    "pa.br.due": "Batas pemberitahuan", "pa.br.level": "Eskalasi {n}/4", "pa.br.overdue": "Lewat batas",
    "pa.br.open": "Berjalan", "pa.br.closed": "Sudah diberitahukan",
    "pa.br.notifiedSubjects": "Subjek data diberi tahu", "pa.br.notifiedAuthority": "Lembaga diberi tahu",
    "pa.br.notYet": "belum", "pa.br.notify": "Catat pemberitahuan", "pa.br.recipient": "Kepada",
    "pa.br.recipient.SUBJECTS": "Subjek data", "pa.br.recipient.AUTHORITY": "Lembaga (otoritas PDP)",
    "pa.br.at": "Waktu (kosong: sekarang)", "pa.br.reference": "Nomor tanda terima lembaga",
    "pa.br.notices": "Draf pemberitahuan", "pa.br.notice.subjects": "Kepada subjek data", "pa.br.notice.authority": "Kepada lembaga",
    "pa.br.edit": "Ubah insiden", "pa.br.save": "Simpan perubahan",
    "pa.br.recordedBy": "Dicatat oleh", "pa.br.found": "Diketahui",
    "pa.br.csv": "Unduh CSV untuk lembaga", "pa.br.json": "Unduh JSON",
    "pa.br.title.hint": "3-200 karakter.", "pa.br.description.hint": "1-4000 karakter.", "pa.br.foundAt.hint": "Tidak boleh di masa depan.",
    "pa.ropa": "Catatan kegiatan pemrosesan data pribadi (Pasal 31)",
    "pa.ropa.hint": "Dibuat dari data komando saat ini. Periksa tujuan, dasar hukum dan masa simpan: itu teks bawaan produk.",
    "pa.ropa.html": "Unduh halaman HTML",
    "pa.ropa.activities": "Kegiatan", "pa.ropa.purpose": "Tujuan", "pa.ropa.basis": "Dasar hukum", "pa.ropa.data": "Data pribadi",
    "pa.ropa.subjects": "Subjek", "pa.ropa.retention": "Masa simpan", "pa.ropa.records": "Jumlah catatan",
    "pa.ropa.recipients": "Penerima", "pa.ropa.agencies": "Instansi", "pa.ropa.keys": "Kunci API", "pa.ropa.hooks": "Webhook",
    "pa.ropa.commands": "Komando lain (pengalihan)", "pa.ropa.transfers": "Transfer (gateway, layanan push)",
    "pa.ropa.abroad": "di luar negeri: kaji Pasal 56", "pa.ropa.kind": "Jenis", "pa.ropa.host": "Host",
    "pa.download.failed": "Unduhan gagal: {error}",
    "pa.copy": "Salin", "pa.copied": "Tersalin.",
  },
  en: {
    "pa.deadlines": "Deadline per data-subject right",
    "pa.deadlines.hint": "Hours from receiving a request. Empty it and save to go back to the law's default.",
    "pa.hours": "Hours", "pa.default": "Default", "pa.changed": "Changed", "pa.basis": "Legal basis",
    "pa.reset": "Default",
    "pa.retention": "Retention rules",
    "pa.retention.hint": "How many days data is kept before the daily retention job removes it. Reports under a legal hold are skipped.",
    "pa.days": "Days", "pa.category": "Category",
    "pa.cat.REPORTER_IDENTITY": "Reporter identity (after a report is closed/rejected)",
    "pa.cat.REPORT_PHOTOS": "Report photos (after closing)",
    "pa.cat.NOTIFICATIONS": "Notification addresses (after sending)",
    "pa.cat.WEBHOOK_DELIVERIES": "Event webhook deliveries (after being made)",
    "pa.runs": "Recent retention runs",
    "pa.run.asOf": "As of", "pa.run.started": "Started", "pa.run.finished": "Finished",
    "pa.run.identities": "Identities", "pa.run.photos": "Photos", "pa.run.notifications": "Notifications", "pa.run.webhooks": "Webhook deliveries", "pa.run.held": "Skipped (held)",
    "pa.hours.hint": "1-2160 hours.", "pa.days.hint": "1-36500 days.",
    "pa.br.title": "Personal data breach register",
    "pa.br.hint": "UU PDP Art. 46: written notice to the data subjects and the authority within 3 × 24 hours of finding out.",
    "pa.br.empty": "No incidents recorded.",
    "pa.br.new": "Record an incident",
    "pa.br.titleField": "Short title", "pa.br.description": "What happened", "pa.br.data": "Kinds of personal data",
    "pa.br.subjects": "Whose", "pa.br.estimate": "Estimated number of people", "pa.br.foundAt": "Found at (the clock starts)",
    "pa.br.occurredAt": "Occurred at (if known)", "pa.br.measures": "Handling and recovery measures",
    "pa.br.record": "Record the incident", "pa.br.recorded": "Incident recorded; the 3 × 24 h clock runs.",
    "pa.br.due": "Notice due", "pa.br.level": "Escalation {n}/4", "pa.br.overdue": "Overdue",
    "pa.br.open": "Running", "pa.br.closed": "Notified",
    "pa.br.notifiedSubjects": "Data subjects notified", "pa.br.notifiedAuthority": "Authority notified",
    "pa.br.notYet": "not yet", "pa.br.notify": "Record a notification", "pa.br.recipient": "To",
    "pa.br.recipient.SUBJECTS": "Data subjects", "pa.br.recipient.AUTHORITY": "The authority (PDP agency)",
    "pa.br.at": "When (empty: now)", "pa.br.reference": "The authority's receipt number",
    "pa.br.notices": "Notice drafts", "pa.br.notice.subjects": "To the data subjects", "pa.br.notice.authority": "To the authority",
    "pa.br.edit": "Amend the incident", "pa.br.save": "Save changes",
    "pa.br.recordedBy": "Recorded by", "pa.br.found": "Found",
    "pa.br.csv": "Download CSV for the authority", "pa.br.json": "Download JSON",
    "pa.br.title.hint": "3-200 characters.", "pa.br.description.hint": "1-4000 characters.", "pa.br.foundAt.hint": "Not in the future.",
    "pa.ropa": "Record of processing activities (Art. 31)",
    "pa.ropa.hint": "Made from the command's data now. Check the purposes, bases and retention: they are the product's default texts.",
    "pa.ropa.html": "Download the HTML page",
    "pa.ropa.activities": "Activities", "pa.ropa.purpose": "Purpose", "pa.ropa.basis": "Lawful basis", "pa.ropa.data": "Personal data",
    "pa.ropa.subjects": "Subjects", "pa.ropa.retention": "Retention", "pa.ropa.records": "Records",
    "pa.ropa.recipients": "Recipients", "pa.ropa.agencies": "Agencies", "pa.ropa.keys": "API keys", "pa.ropa.hooks": "Webhooks",
    "pa.ropa.commands": "Other commands (transfers of reports)", "pa.ropa.transfers": "Transfers (gateways, push services)",
    "pa.ropa.abroad": "abroad: assess under Art. 56", "pa.ropa.kind": "Kind", "pa.ropa.host": "Host",
    "pa.download.failed": "Download failed: {error}",
    "pa.copy": "Copy", "pa.copied": "Copied.",
  },
});

// The closed vocabularies of tenants/breaches/vocab.py, in its order, with its names.
const DATA = {
  IDENTITY: ["Identitas (nama, NIK)", "Identity (name, NIK)"],
  CONTACT: ["Kontak (nomor telepon, e-mail)", "Contact (phone number, e-mail)"],
  LOCATION: ["Lokasi dan alamat", "Location and address"],
  REPORT_CONTENT: ["Isi laporan dan catatan", "Report content and notes"],
  PHOTOS: ["Foto", "Photos"],
  ACCOUNT: ["Akun dan kredensial", "Accounts and credentials"],
  COMMUNICATIONS: ["Pesan WhatsApp/SMS dan alamat notifikasi", "WhatsApp/SMS messages and notification addresses"],
  SPECIFIC: ["Data pribadi yang bersifat spesifik (kesehatan, anak, catatan kejahatan)", "Specific personal data (health, children, criminal records)"],
};
const SUBJECTS = {
  REPORTERS: ["Pelapor", "Reporters"],
  CITIZEN_ACCOUNTS: ["Warga pemilik akun", "Citizens with accounts"],
  THIRD_PARTIES: ["Pihak lain yang disebut dalam laporan", "Others named in reports"],
  STAFF: ["Personel dan petugas", "Staff and officers"],
  AGENCY_CONTACTS: ["Kontak instansi", "Agency contacts"],
};
const named = (vocab, code) => (vocab[code] ? vocab[code][lang() === "en" ? 1 : 0] : code);
const both = (pair) => (pair ? pair[lang()] || pair.id : "—");

const DEADLINES = "query PrivacyDeadlines { privacyDeadlines { right hours defaultHours changed legalBasis } retentionRules { category days defaultDays changed } retentionRuns(first: 10) { id asOf startedAt finishedAt counts } }";
const SET_DEADLINE = "mutation SetDeadline($r: DataSubjectRight!, $h: Int) { setPrivacyDeadline(right: $r, hours: $h) { deadline { right hours } errors { code field message } } }";
const SET_RULE = "mutation SetRetention($c: RetentionCategory!, $d: Int) { setRetentionRule(category: $c, days: $d) { rule { category days } errors { code field message } } }";

const BREACH = `id reference title description dataCategories subjectCategories subjectsEstimate occurredAt foundAt dueAt measures
  subjectsNotifiedAt subjectsNotifiedBy authorityNotifiedAt authorityNotifiedBy authorityReference escalationLevel open overdue recordedBy`;
const BREACHES = `query Breaches { breaches { ${BREACH} } }`;
const NOTICES = "query BreachNotices($id: ID!) { breach(id: $id) { id subjectsNotice { textId textEn } authorityNotice { textId textEn } } }";
const RECORD_BREACH = `mutation RecordBreach($input: RecordBreachInput!, $ck: String) { recordBreach(input: $input, clientKey: $ck) { breach { ${BREACH} } errors { code field message } } }`;
const UPDATE_BREACH = "mutation UpdateBreach($id: ID!, $input: UpdateBreachInput!) { updateBreach(id: $id, input: $input) { breach { id } errors { code field message } } }";
const NOTIFY_BREACH = "mutation NotifyBreach($id: ID!, $r: BreachRecipient!, $at: DateTime, $ref: String) { recordBreachNotification(id: $id, recipient: $r, at: $at, reference: $ref) { breach { id } errors { code field message } } }";
const PROCESSING = "query Processing { recordsOfProcessing }";

/** The command's base path (/t/{slug}) from the GraphQL endpoint. */
const base = () => String(config.endpoint || "").replace(/\/graphql$/, "");

/** Fetch a file that needs the bearer header and save it through a blob: URL. */
async function download(path, name) {
  try {
    const response = await fetch(`${base()}${path}`, { headers: { Authorization: session.authorization() || "" }, credentials: "omit" });
    if (!response.ok) throw new ApiError(`HTTP_${response.status}`, response.statusText, null, response.status);
    const disposition = response.headers.get("Content-Disposition") || "";
    const match = /filename="([^"]+)"/.exec(disposition);
    saveBlob(await response.blob(), match ? match[1] : name);
  } catch (e) {
    toast(t("pa.download.failed", { error: errorText(e instanceof ApiError ? e : { code: "NETWORK" }) }), "error");
  }
}

const downloadButton = (label, path, name, cls) => h("button", { type: "button", class: cls, text: t(label), onclick: () => download(path, name) });

// --- deadlines, retention rules and runs ---

export async function renderDeadlines(main, body) {
  const box = h("div", {});
  body.append(box);
  const load = async () => {
    let data;
    try {
      data = await gql(DEADLINES);
    } catch (e) {
      replace(box, failed(e));
      return;
    }
    const deadlines = [...(data.privacyDeadlines || [])].sort((a, b) => RIGHTS.indexOf(a.right) - RIGHTS.indexOf(b.right));
    replace(box,
      h("section", { class: "card privacy-deadlines" },
        h("h2", { text: t("pa.deadlines") }),
        h("p", { class: "muted", text: t("pa.deadlines.hint") }),
        table(["pv.right", "pa.hours", "pa.default", "pa.basis"], deadlines.map((d) => [
          rightText(d.right),
          numberForm("hours", d.hours, (v, form) => submitForm(form, SET_DEADLINE, { r: d.right, h: v }, { hints: { hours: "pa.hours.hint" } }), load, d.right),
          `${d.defaultHours}${d.changed ? ` (${t("pa.changed")})` : ""}`,
          d.legalBasis,
        ]), { class: "deadlines" })),
      h("section", { class: "card retention-rules" },
        h("h2", { text: t("pa.retention") }),
        h("p", { class: "muted", text: t("pa.retention.hint") }),
        table(["pa.category", "pa.days", "pa.default"], (data.retentionRules || []).map((r) => [
          t(`pa.cat.${r.category}`),
          numberForm("days", r.days, (v, form) => submitForm(form, SET_RULE, { c: r.category, d: v }, { hints: { days: "pa.days.hint" } }), load, r.category),
          `${r.defaultDays}${r.changed ? ` (${t("pa.changed")})` : ""}`,
        ]), { class: "rules" })),
      h("section", { class: "card retention-runs" },
        h("h2", { text: t("pa.runs") }),
        table(["pa.run.asOf", "pa.run.started", "pa.run.finished", "pa.run.identities", "pa.run.photos", "pa.run.notifications", "pa.run.webhooks", "pa.run.held"],
          (data.retentionRuns || []).map((run) => {
            const c = run.counts || {};
            return [fmtDateTime(run.asOf), fmtDateTime(run.startedAt), fmtDateTime(run.finishedAt),
              String(c.identities ?? 0), String(c.photo_reports ?? 0), String(c.notifications ?? 0), String(c.webhook_deliveries ?? 0), String(c.held ?? 0)];
          }), { class: "runs" })));
    main.dataset.loaded = "1";
  };
  await load();
}

/** A small row form: a number input, save and "default" (null). */
function numberForm(name, value, send, reload, key) {
  const input = h("input", { name, type: "number", min: 1, value, class: "narrow", "aria-label": t(name === "hours" ? "pa.hours" : "pa.days") });
  const form = h("form", { class: "row number-form", dataset: { key }, novalidate: true },
    input,
    h("button", { type: "submit", text: t("app.save") }),
    h("button", { type: "button", class: "link", text: t("pa.reset"), onclick: async () => { if (await send(null, form)) { toast(t("app.saved")); reload(); } } }),
    h("p", { class: "form-error", role: "alert" }));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const raw = input.value.trim();
    const number = raw === "" ? null : Number(raw);
    if (await send(Number.isInteger(number) ? number : number === null ? null : -1, form)) { toast(t("app.saved")); reload(); }
  });
  return form;
}

// --- the breach register ---

export async function renderBreaches(main, body) {
  const list = h("div", { class: "breach-list" });
  const ticks = [];
  const timer = setInterval(() => { const now = Date.now(); for (const fn of ticks) fn(now); }, 1000);
  const load = async () => {
    let rows;
    try {
      rows = (await gql(BREACHES)).breaches || [];
    } catch (e) {
      replace(list, failed(e));
      return;
    }
    ticks.length = 0;
    replace(list, rows.length ? h("ul", { class: "plain" }, rows.map((b) => breachItem(b, load, ticks))) : h("p", { class: "muted", text: t("pa.br.empty") }));
    const now = Date.now();
    for (const fn of ticks) fn(now);
    main.dataset.loaded = String(rows.length);
  };
  body.append(
    h("div", { class: "row ops-head" },
      h("h2", { text: t("pa.br.title") }),
      h("span", { class: "spacer" }),
      downloadButton("pa.br.csv", "/privacy/breaches.csv", "breaches.csv", "breach-csv"),
      downloadButton("pa.br.json", "/privacy/breaches.json", "breaches.json", "breach-json"),
      h("button", { type: "button", text: t("app.refresh"), onclick: load })),
    h("p", { class: "muted ops-hint", text: t("pa.br.hint") }),
    h("div", { class: "admin-split" }, list, breachForm(load)));
  await load();
  return () => clearInterval(timer);
}

const checks = (name, vocab, chosen = []) => h("fieldset", { class: "plain checks", dataset: { field: name } },
  Object.keys(vocab).map((code) => h("label", { class: "inline" }, h("input", { type: "checkbox", name, value: code, checked: chosen.includes(code) }), named(vocab, code))));

const BREACH_HINTS = { title: "pa.br.title.hint", description: "pa.br.description.hint", foundAt: "pa.br.foundAt.hint" };

function breachForm(reload) {
  let key = newClientKey();
  const form = h("form", { class: "card breach-form", novalidate: true },
    h("h3", { text: t("pa.br.new") }),
    labelled("pa.br.titleField", h("input", { name: "title", autocomplete: "off" })),
    labelled("pa.br.description", h("textarea", { name: "description", rows: 3 })),
    h("p", { class: "label", text: t("pa.br.data") }), checks("dataCategories", DATA),
    h("p", { class: "label", text: t("pa.br.subjects") }), checks("subjectCategories", SUBJECTS),
    labelled("pa.br.estimate", h("input", { name: "subjectsEstimate", type: "number", min: 0, value: 0 })),
    labelled("pa.br.foundAt", h("input", { name: "foundAt", type: "datetime-local", value: localInput(new Date()) })),
    labelled("pa.br.occurredAt", h("input", { name: "occurredAt", type: "datetime-local" })),
    labelled("pa.br.measures", h("textarea", { name: "measures", rows: 2 })),
    h("p", { class: "form-error", role: "alert" }),
    h("button", { type: "submit", class: "primary", text: t("pa.br.record") }));
  form.addEventListener("input", () => { key = newClientKey(); });
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const fd = new FormData(form);
    const input = {
      title: String(fd.get("title") || "").trim(),
      description: String(fd.get("description") || "").trim(),
      dataCategories: fd.getAll("dataCategories").map(String),
      subjectCategories: fd.getAll("subjectCategories").map(String),
      subjectsEstimate: Number.parseInt(String(fd.get("subjectsEstimate") || "0"), 10) || 0,
      foundAt: isoFromLocal(fd.get("foundAt")) || new Date().toISOString(),
      occurredAt: isoFromLocal(fd.get("occurredAt")),
      measures: String(fd.get("measures") || "").trim() || null,
    };
    if (!await submitForm(form, RECORD_BREACH, { input, ck: key }, { hints: BREACH_HINTS })) return;
    key = newClientKey();
    form.reset();
    form.querySelector("[name=foundAt]").value = localInput(new Date());
    toast(t("pa.br.recorded"));
    reload();
  });
  return form;
}

function breachItem(b, reload, ticks) {
  const due = h("span", { class: "due" });
  if (b.open) {
    ticks.push((now) => {
      const c = countdown(b.dueAt, now);
      due.textContent = c.text;
      due.className = `due ${b.overdue ? "overdue" : c.state}`;
    });
  }
  const notified = (at, by) => (at ? `${fmtDateTime(at)}${by ? ` · ${by}` : ""}` : t("pa.br.notYet"));
  const notices = h("div", { class: "notices" });
  return h("li", { class: ["card breach", b.overdue ? "overdue" : null], dataset: { id: b.id, level: String(b.escalationLevel), open: String(b.open), overdue: String(b.overdue) } },
    h("div", { class: "row" },
      h("code", { text: b.reference }),
      h("strong", { text: b.title }),
      h("span", { class: ["badge", b.open ? "warn" : "ok"], text: t(b.open ? "pa.br.open" : "pa.br.closed") }),
      h("span", { class: ["badge level", b.escalationLevel ? `level-${b.escalationLevel}` : null], text: t("pa.br.level", { n: b.escalationLevel }) }),
      b.overdue ? h("span", { class: "badge danger", text: t("pa.br.overdue") }) : null),
    h("dl", { class: "facts breach-clock" },
      fact("pa.br.found", fmtDateTime(b.foundAt)),
      fact("pa.br.due", h("span", {}, fmtDateTime(b.dueAt), b.open ? " · " : null, b.open ? due : null)),
      fact("pa.br.notifiedSubjects", notified(b.subjectsNotifiedAt, b.subjectsNotifiedBy)),
      fact("pa.br.notifiedAuthority", notified(b.authorityNotifiedAt, b.authorityNotifiedBy) + (b.authorityReference ? ` · ${b.authorityReference}` : "")),
      fact("pa.br.data", b.dataCategories.map((c) => named(DATA, c)).join("; ")),
      fact("pa.br.subjects", `${b.subjectCategories.map((c) => named(SUBJECTS, c)).join("; ")} · ${b.subjectsEstimate}`),
      fact("pa.br.recordedBy", b.recordedBy)),
    h("p", { class: "note", text: b.description }),
    b.measures ? h("p", { class: "muted", text: `${t("pa.br.measures")}: ${b.measures}` }) : null,
    b.open ? notifyForm(b, reload) : null,
    h("details", { class: "breach-notices", ontoggle: (e) => { if (e.target.open && !notices.childElementCount) showNotices(b, notices); } },
      h("summary", { text: t("pa.br.notices") }), notices),
    h("details", { class: "breach-edit" }, h("summary", { text: t("pa.br.edit") }), editForm(b, reload)));
}

function notifyForm(b, reload) {
  const missing = [!b.subjectsNotifiedAt ? "SUBJECTS" : null, !b.authorityNotifiedAt ? "AUTHORITY" : null].filter(Boolean);
  const form = h("form", { class: "row breach-notify", novalidate: true },
    h("label", {}, t("pa.br.recipient"), h("select", { name: "recipient" }, missing.map((r) => h("option", { value: r, text: t(`pa.br.recipient.${r}`) })))),
    h("label", {}, t("pa.br.at"), h("input", { name: "at", type: "datetime-local" })),
    h("label", {}, t("pa.br.reference"), h("input", { name: "reference", autocomplete: "off" })),
    h("button", { type: "submit", text: t("pa.br.notify") }),
    h("p", { class: "form-error", role: "alert" }));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const fd = new FormData(form);
    const done = await submitForm(form, NOTIFY_BREACH, {
      id: b.id, r: String(fd.get("recipient")), at: isoFromLocal(fd.get("at")), ref: String(fd.get("reference") || "").trim() || null,
    });
    if (done) { toast(t("app.saved")); reload(); }
  });
  return form;
}

function editForm(b, reload) {
  const form = h("form", { class: "breach-edit-form", novalidate: true },
    labelled("pa.br.titleField", h("input", { name: "title", value: b.title })),
    labelled("pa.br.description", h("textarea", { name: "description", rows: 3, text: b.description })),
    h("p", { class: "label", text: t("pa.br.data") }), checks("dataCategories", DATA, b.dataCategories),
    h("p", { class: "label", text: t("pa.br.subjects") }), checks("subjectCategories", SUBJECTS, b.subjectCategories),
    labelled("pa.br.estimate", h("input", { name: "subjectsEstimate", type: "number", min: 0, value: b.subjectsEstimate })),
    labelled("pa.br.occurredAt", h("input", { name: "occurredAt", type: "datetime-local", value: b.occurredAt ? localInput(new Date(b.occurredAt)) : "" })),
    labelled("pa.br.measures", h("textarea", { name: "measures", rows: 2, text: b.measures })),
    h("p", { class: "form-error", role: "alert" }),
    h("button", { type: "submit", text: t("pa.br.save") }));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const fd = new FormData(form);
    const input = {
      title: String(fd.get("title") || "").trim(),
      description: String(fd.get("description") || "").trim(),
      dataCategories: fd.getAll("dataCategories").map(String),
      subjectCategories: fd.getAll("subjectCategories").map(String),
      subjectsEstimate: Number.parseInt(String(fd.get("subjectsEstimate") || "0"), 10) || 0,
      occurredAt: isoFromLocal(fd.get("occurredAt")),
      measures: String(fd.get("measures") || "").trim(),
    };
    if (await submitForm(form, UPDATE_BREACH, { id: b.id, input }, { hints: BREACH_HINTS })) { toast(t("app.saved")); reload(); }
  });
  return form;
}

async function showNotices(b, box) {
  replace(box, h("p", { class: "muted", text: t("app.loading") }));
  try {
    const found = (await gql(NOTICES, { id: b.id })).breach;
    if (!found) { replace(box, failed({ code: "NOT_FOUND" })); return; }
    replace(box,
      noticeBlock("pa.br.notice.subjects", found.subjectsNotice, "subjects"),
      noticeBlock("pa.br.notice.authority", found.authorityNotice, "authority"));
  } catch (e) {
    replace(box, failed(e));
  }
}

function noticeBlock(title, notice, kind) {
  const copy = (text) => h("button", { type: "button", class: "copy", text: t("pa.copy"), onclick: () => navigator.clipboard?.writeText(text).then(() => toast(t("pa.copied")), () => {}) });
  const one = (label, text, l) => h("div", { class: "notice", dataset: { lang: l } },
    h("div", { class: "row" }, h("strong", { text: label }), copy(text)),
    h("pre", { class: "notice-text", text }));
  return h("div", { class: "notice-pair", dataset: { recipient: kind } },
    h("h4", { text: t(title) }),
    one("Bahasa Indonesia", notice.textId, "id"),
    one("English", notice.textEn, "en"));
}

// --- records of processing ---

export async function renderProcessing(main, body) {
  const box = h("div", {});
  body.append(
    h("div", { class: "row ops-head" },
      h("h2", { text: t("pa.ropa") }),
      h("span", { class: "spacer" }),
      downloadButton("pa.ropa.html", "/privacy/processing.html", "processing.html", "ropa-html")),
    h("p", { class: "muted ops-hint", text: t("pa.ropa.hint") }),
    box);
  let record;
  try {
    record = (await gql(PROCESSING)).recordsOfProcessing;
  } catch (e) {
    replace(box, failed(e));
    return;
  }
  const names = (items) => (items || []).map((x) => both(x)).join("; ");
  const r = record.recipients || {};
  replace(box,
    h("p", { text: both(record.law) }),
    h("section", { class: "card ropa-activities" }, h("h3", { text: t("pa.ropa.activities") }),
      table(["ops.name", "pa.ropa.purpose", "pa.ropa.basis", "pa.ropa.data", "pa.ropa.subjects", "pa.ropa.retention", "pa.ropa.records"],
        (record.activities || []).map((a) => [both(a.name), both(a.purpose), names(a.lawfulBasis), names(a.dataCategories), names(a.subjects), both(a.retention), a.records === null || a.records === undefined ? "—" : String(a.records)]),
        { class: "ropa" })),
    h("section", { class: "card ropa-recipients" }, h("h3", { text: t("pa.ropa.recipients") }),
      h("h4", { text: t("pa.ropa.agencies") }),
      table(["ops.name", "pa.ropa.kind", "pa.ropa.host"], (r.agencies || []).map((a) => [a.name, a.kind, a.host || "—"])),
      h("h4", { text: t("pa.ropa.keys") }),
      table(["ops.name", "ops.status"], (r.apiKeys || []).map((k) => [`${k.name} (${k.prefix})`, k.status])),
      h("h4", { text: t("pa.ropa.hooks") }),
      table(["pa.ropa.host", "ops.status"], (r.webhookSubscriptions || []).map((w) => [w.host || "—", w.enabled ? t("ops.yes") : t("ops.no")])),
      h("h4", { text: t("pa.ropa.commands") }),
      table(["ops.name", "pa.ropa.records"], (r.otherCommands || []).map((c) => [c.name, String(c.reportsTransferred)]))),
    h("section", { class: "card ropa-transfers" }, h("h3", { text: t("pa.ropa.transfers") }),
      table(["pa.ropa.kind", "pa.ropa.host", "ops.status"], (record.transfers || []).map((x) => [x.kind, x.host || "—",
        x.abroad ? h("span", { class: "badge warn", text: t("pa.ropa.abroad") }) : (x.enabled ? t("ops.yes") : t("ops.no"))]))));
  main.dataset.loaded = "1";
}

function fact(label, value) {
  return [h("dt", { text: t(label) }), h("dd", {}, value)];
}
