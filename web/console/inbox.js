// The agency liaison's queue: the dispatches to the agencies it speaks for (agencyInbox),
// open ones first. A row opens in place: the report as the agency sees it (content,
// photos, the public timeline; never who reported) and the answer form
// (updateDispatchStatus), with the API's typed errors next to their fields.

import { gql, payloadErrors } from "../common/api.js";
import { h, replace, toast } from "../common/dom.js";
import { errorText, extend, fmtDateTime, lang, t } from "../common/i18n.js";
import { showErrors } from "../common/shell.js";
import { categoryText, dispatchText, showPhotos } from "./reportkit.js";

extend({
  id: {
    "in.title": "Kotak masuk instansi", "in.answer": "Jawab", "in.status": "Jawaban", "in.note": "Catatan untuk operator",
    "in.accepted": "Diterima", "in.in_progress": "Sedang ditangani", "in.done": "Selesai dikerjakan",
    "in.declined": "Ditolak instansi", "in.duplicate": "Laporan ganda", "in.not_theirs": "Bukan wewenang kami",
    "in.needs_info": "Perlu keterangan tambahan", "in.sent": "Jawaban terkirim.", "in.final": "Sudah dijawab: {outcome}",
  },
  en: {
    "in.title": "Agency inbox", "in.answer": "Answer", "in.status": "Answer", "in.note": "Note for the operators",
    "in.accepted": "Accepted", "in.in_progress": "In progress", "in.done": "Done",
    "in.declined": "Declined", "in.duplicate": "Duplicate", "in.not_theirs": "Not ours",
    "in.needs_info": "Needs more information", "in.sent": "Answer sent.", "in.final": "Answered: {outcome}",
  },
});

const ANSWERS = ["accepted", "in_progress", "done", "declined", "duplicate", "not_theirs", "needs_info"];
const FINAL = ["RESOLVED", "RETURNED", "DEAD"];
// The list reads what its rows show; a row's content, photos and timeline are read when it
// is opened (DETAIL): a page of 100 with every timeline cost 2902 points, near the maximum.
const INBOX = `query($first: Int!, $after: String) { agencyInbox(first: $first, after: $after) {
  edges { node { id status outcome agencyName createdAt report { id ticket title status urgent
    category { code nameId nameEn } } } }
  pageInfo { hasNextPage endCursor } } }`;
const DETAIL = `query($id: ID!) { dispatch(id: $id) { id report { id description latitude longitude occurredAt
  attachments { id url contentType } timeline { id kind note createdAt messageId messageEn } } } }`;

/** inbox(main) -> cleanup: the liaison's dispatches, read again every 30 s (liaisons
 * have no live feed of reports). */
export function inbox(main) {
  const tbody = h("tbody");
  const error = h("p", { class: "error", role: "alert" });
  const empty = h("p", { class: "muted hidden", text: t("app.none") });
  const urls = [];
  let open = null; // the dispatch id whose detail row is shown
  let alive = true;
  let items = [];
  replace(main,
    h("div", { class: "row queue-tools" }, h("strong", { text: t("in.title") }),
      h("button", { type: "button", text: t("app.refresh"), onclick: () => load(true) })),
    error,
    h("table", { class: "queue inbox" },
      h("thead", {}, h("tr", {}, ["q.ticket", "q.category", "q.title", "q.agency", "q.dispatch", "q.created"].map((k) => h("th", { text: t(k) })))),
      tbody),
    empty);

  async function load(force = false) {
    error.textContent = "";
    const found = [];
    let after = null;
    try {
      do {
        const page = (await gql(INBOX, { first: 100, after })).agencyInbox;
        found.push(...page.edges.map((e) => e.node));
        after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
      } while (after && found.length < 1000);
    } catch (e) {
      error.textContent = errorText(e);
      return;
    }
    if (!alive) return;
    // A liaison typing an answer is not interrupted: the next read redraws.
    if (!force && open && main.querySelector("form.answer :focus")) return;
    items = found;
    draw();
  }

  function draw() {
    for (const url of urls.splice(0)) URL.revokeObjectURL(url);
    replace(tbody, items.map((d) => {
      const tr = h("tr", { class: "qrow", dataset: { id: d.id }, tabindex: "0" },
        h("td", { class: "ticket", text: d.report.ticket }),
        h("td", { text: categoryText(d.report.category) }),
        h("td", { class: "title", text: d.report.title }),
        h("td", { text: d.agencyName }),
        h("td", {}, h("span", { class: "badge", dataset: { status: d.status }, text: dispatchText(d.status) })),
        h("td", { text: fmtDateTime(d.createdAt) }));
      const toggle = () => { open = open === d.id ? null : d.id; draw(); };
      tr.addEventListener("click", toggle);
      tr.addEventListener("keydown", (e) => { if (e.key === "Enter") toggle(); });
      return open === d.id ? [tr, detail(d)] : tr;
    }));
    empty.classList.toggle("hidden", items.length > 0);
    main.dataset.loaded = "true";
  }

  function detail(d) {
    const content = h("div", {}, h("p", { class: "muted", text: t("app.loading") }));
    gql(DETAIL, { id: d.id }).then((data) => {
      const report = data.dispatch && data.dispatch.report;
      if (!alive || !report) { if (alive) replace(content, h("p", { class: "error", role: "alert", text: t("err.NOT_FOUND") })); return; }
      const photos = h("div", { class: "photos" });
      showPhotos(report.attachments, photos, urls, () => alive);
      replace(content,
        h("p", { class: "description", text: report.description }),
        h("p", { class: "muted", text: `${fmtDateTime(report.occurredAt)} · ${report.latitude.toFixed(5)}, ${report.longitude.toFixed(5)}` }),
        photos,
        h("ol", { class: "timeline" }, report.timeline.map((e) => h("li", {},
          h("strong", { text: lang() === "en" ? e.messageEn : e.messageId }), " ",
          h("span", { class: "muted", text: fmtDateTime(e.createdAt) }),
          e.note ? h("p", { class: "note", text: e.note }) : null))));
    }).catch((e) => { if (alive) replace(content, h("p", { class: "error", role: "alert", text: errorText(e) })); });
    const form = h("form", { class: "answer action", novalidate: true },
      h("h3", { text: t("in.answer") }),
      h("label", {}, t("in.status"), h("select", { name: "status" }, ANSWERS.map((a) => h("option", { value: a, text: t(`in.${a}`) })))),
      h("label", {}, t("in.note"), h("textarea", { name: "note", rows: 2 })),
      h("p", { class: "form-error", role: "alert" }),
      h("button", { type: "submit", class: "primary", text: t("in.answer") }));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const values = Object.fromEntries(new FormData(form).entries());
      let errors;
      try {
        const data = await gql(`mutation($d: ID!, $s: String!, $n: String) { updateDispatchStatus(dispatchId: $d, status: $s, note: $n) {
          dispatch { id status } errors { code field message } } }`, { d: d.id, s: values.status, n: String(values.note || "").trim() || null });
        errors = payloadErrors(data.updateDispatchStatus);
      } catch (e) {
        errors = [{ code: e.code, field: e.field, message: e.message }];
      }
      if (showErrors(form, errors)) return;
      toast(t("in.sent"));
      form.reset();
      load(true);
    });
    const final = FINAL.includes(d.status);
    return h("tr", { class: "detail" }, h("td", { colspan: 6 },
      h("div", { class: "grid2" },
        content,
        final ? h("p", { text: t("in.final", { outcome: d.outcome || dispatchText(d.status) }) }) : form)));
  }

  load();
  const timer = setInterval(load, 30000);
  return () => {
    alive = false;
    clearInterval(timer);
    for (const url of urls.splice(0)) URL.revokeObjectURL(url);
  };
}
