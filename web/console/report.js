// Console view "report" (#/report/<id>, not in the navigation): one report with how it
// came in (its channel badge), its timeline, photos (fetched with the bearer header, shown
// as blob: URLs), the nearest online cameras, dispatches and the notifications to the
// reporter (operators, with "Kirim ulang" on a DEAD one); and the actions the caller's role offers, as forms that
// show the API's typed errors next to their fields. Creates carry a clientKey kept for
// retries of the same submission. The page reloads after each action and on live events.

import { gql, newClientKey, payloadErrors } from "../common/api.js";
import { h, replace, toast } from "../common/dom.js";
import { errorText, extend, fmtDateTime, lang, t } from "../common/i18n.js";
import { has, showErrors } from "../common/shell.js";
import {
  ROW_FIELDS, categoryText, channelBadge, countdown, deadlineOf, dispatchText, isOperator, liveClient, showPhotos, statusText, watchSos,
} from "./reportkit.js";
import { notificationsCard } from "./notifykit.js";

extend({
  id: {
    report: "Laporan", "rp.back": "Kembali ke antrean", "rp.timeline": "Riwayat", "rp.photos": "Foto",
    "rp.cameras": "Kamera terdekat (aktif)", "rp.dispatches": "Pengiriman ke instansi", "rp.actions": "Tindakan",
    "rp.internal": "internal", "rp.public": "publik", "rp.none": "Tidak ada.",
    "rp.verify": "Verifikasi", "rp.reject": "Tolak", "rp.reason": "Alasan", "rp.note": "Catatan",
    "rp.assign": "Tugaskan", "rp.officer": "Petugas", "rp.unit": "Unit", "rp.nobody": "— tidak ada —",
    "rp.search": "Cari petugas", "rp.dispatch": "Teruskan ke instansi", "rp.agency": "Instansi",
    "rp.addnote": "Tambah catatan", "rp.ispublic": "Tampilkan ke pelapor (publik)",
    "rp.status": "Ubah status", "rp.newstatus": "Status baru", "rp.close": "Tutup laporan",
    "rp.transfer": "Alihkan ke komando lain", "rp.toslug": "Kode komando tujuan (slug)",
    "rp.done": "Tersimpan.", "rp.description": "Uraian", "rp.address": "Alamat", "rp.occurred": "Waktu kejadian",
    "rp.assigned": "Ditugaskan", "rp.sample": "contoh", "rp.distance": "{m} m", "rp.attempts": "percobaan {n}",
    "rp.duplicateof": "Kemungkinan ganda dari laporan lain", "rp.rejected": "Alasan penolakan",
    "rp.reporter": "Pelapor", "rp.reporter.show": "Tampilkan identitas pelapor", "rp.reporter.anon": "Laporan anonim.",
    "rp.reporter.audited": "Setiap pembukaan identitas dicatat di log audit.", "rp.reporter.name": "Nama", "rp.reporter.phone": "Telepon",
    "rp.hold": "Penahanan hukum (legal hold)", "rp.hold.badge": "Ditahan hukum",
    "rp.hold.none": "Laporan ini tidak ditahan. Penghapusan atas permintaan dan retensi berlaku seperti biasa.",
    "rp.hold.on": "Ditahan: penghapusan dan retensi tidak menyentuh data laporan ini.",
    "rp.hold.by": "Oleh", "rp.hold.since": "Sejak", "rp.hold.reason": "Alasan",
    "rp.hold.set": "Tahan laporan ini", "rp.hold.lift": "Cabut penahanan", "rp.hold.reason.hint": "Tulis alasan 3-1000 karakter.",
  },
  en: {
    report: "Report", "rp.back": "Back to the queue", "rp.timeline": "Timeline", "rp.photos": "Photos",
    "rp.cameras": "Nearest cameras (online)", "rp.dispatches": "Dispatches to agencies", "rp.actions": "Actions",
    "rp.internal": "internal", "rp.public": "public", "rp.none": "None.",
    "rp.verify": "Verify", "rp.reject": "Reject", "rp.reason": "Reason", "rp.note": "Note",
    "rp.assign": "Assign", "rp.officer": "Officer", "rp.unit": "Unit", "rp.nobody": "— none —",
    "rp.search": "Search officers", "rp.dispatch": "Dispatch to an agency", "rp.agency": "Agency",
    "rp.addnote": "Add a note", "rp.ispublic": "Show to the reporter (public)",
    "rp.status": "Change status", "rp.newstatus": "New status", "rp.close": "Close the report",
    "rp.transfer": "Transfer to another command", "rp.toslug": "Target command's code (slug)",
    "rp.done": "Saved.", "rp.description": "Description", "rp.address": "Address", "rp.occurred": "Occurred",
    "rp.assigned": "Assigned", "rp.sample": "sample", "rp.distance": "{m} m", "rp.attempts": "attempt {n}",
    "rp.duplicateof": "Possible duplicate of another report", "rp.rejected": "Rejection reason",
    "rp.reporter": "Reporter", "rp.reporter.show": "Show who reported", "rp.reporter.anon": "An anonymous report.",
    "rp.reporter.audited": "Every look at the identity is written to the audit log.", "rp.reporter.name": "Name", "rp.reporter.phone": "Phone",
    "rp.hold": "Legal hold", "rp.hold.badge": "Legal hold",
    "rp.hold.none": "This report is not held. Erasure on request and retention apply as usual.",
    "rp.hold.on": "Held: erasure and retention leave this report's data alone.",
    "rp.hold.by": "By", "rp.hold.since": "Since", "rp.hold.reason": "Reason",
    "rp.hold.set": "Hold this report", "rp.hold.lift": "Lift the hold", "rp.hold.reason.hint": "Write a reason of 3-1000 characters.",
  },
});

const REPORT = `query($id: ID!) { report(id: $id) { ${ROW_FIELDS} description address occurredAt rejectReason
  timeline { id kind fromStatus toStatus note public actorName createdAt messageId messageEn }
  attachments { id contentType url } legalHold { reason heldBy heldAt } } }`;
const CAMERAS = "query($id: ID!) { report(id: $id) { nearbyCameras { id name status distanceM streamUrl } } }";
const DISPATCHES = "query($id: ID!) { dispatches(reportId: $id) { id agencyName status attempts lastError outcome outcomeNote } }";
const PAYLOAD = "report { id status } errors { code field message }";

export const reportView = {
  id: "report",
  label: "report",
  nav: false,
  render(main, ctx, param) {
    if (!param) { ctx.navigate("#/queue"); return undefined; }
    watchSos(ctx);
    return reportPage(main, ctx, param);
  },
};

function reportPage(main, ctx, id) {
  const urls = [];
  let alive = true;
  let timer = null;
  let reloadTimer = null;
  let shown = null; // the status the action forms were made for
  let forms = null;
  // Made once per page: a redraw on a live event keeps an identity already shown (or being
  // fetched) instead of dropping it, which would cost the operator a second audited read.
  let reporter = null;
  let notifications = null; // likewise kept, and read again on each redraw
  // The legal-hold card, made again only when the hold itself changes (set, lifted, a new
  // reason): a reason being typed survives the redraws of live events.
  let hold = null;
  let holdShown = null;

  let generation = 0; // only the latest read draws: an older answer arriving late is stale

  async function load() {
    const mine = ++generation;
    let report;
    try {
      report = (await gql(REPORT, { id })).report;
    } catch (e) {
      if (alive && mine === generation) replace(main, h("p", { class: "error", role: "alert", text: errorText(e) }));
      return;
    }
    if (!alive || mine !== generation) return;
    if (!report) { replace(main, h("p", { class: "error", role: "alert", text: t("err.NOT_FOUND") })); return; }
    draw(report);
  }

  function draw(r) {
    for (const url of urls.splice(0)) URL.revokeObjectURL(url);
    clearInterval(timer);
    const due = h("span", { class: "due" });
    const tickDue = () => {
      const c = countdown(deadlineOf(r), Date.now());
      due.textContent = `${t("r.due")}: ${c.text}`;
      due.className = `due ${c.state}`;
    };
    tickDue();
    timer = setInterval(tickDue, 1000);
    const photos = h("div", { class: "photos" });
    const cameras = h("div", { class: "cameras" }, h("p", { class: "muted", text: t("app.loading") }));
    const dispatches = h("div", { class: "dispatches" });
    const operator = isOperator(ctx.me);
    // Same status: the same forms stay, with what the user is typing in them.
    if (shown !== r.status) { forms = actions(r); shown = r.status; }
    replace(main,
      h("p", {}, h("a", { href: "#/queue", text: `← ${t("rp.back")}` })),
      h("div", { class: "report-head row" },
        h("h1", { text: `${r.ticket} · ${r.title}` }),
        h("span", { class: `badge st-${r.status}`, dataset: { status: r.status }, text: statusText(r.status) }),
        channelBadge(r.channel),
        r.sos ? h("span", { class: "badge sos", text: t("r.sos") }) : null,
        r.urgent && !r.sos ? h("span", { class: "badge urgent", text: t("r.urgent") }) : null,
        r.outsideJurisdiction ? h("span", { class: "badge warn", text: t("r.outside") }) : null,
        r.legalHold ? h("span", { class: "badge hold", text: t("rp.hold.badge") }) : null,
        due),
      h("div", { class: "grid2 report-grid" },
        h("div", {},
          h("section", { class: "card" },
            h("dl", { class: "facts" },
              fact("q.category", categoryText(r.category)),
              fact("rp.description", r.description),
              fact("rp.address", r.address || "—"),
              fact("rp.occurred", fmtDateTime(r.occurredAt)),
              fact("rp.assigned", [r.assignedOfficer && (r.assignedOfficer.fullName || r.assignedOfficer.username), r.assignedUnit && r.assignedUnit.name].filter(Boolean).join(" · ") || "—"),
              r.rejectReason ? fact("rp.rejected", r.rejectReason) : null),
            r.duplicateOfId ? h("p", {}, h("a", { class: "badge warn", href: `#/report/${r.duplicateOfId}`, text: t("rp.duplicateof") })) : null),
          r.attachments.length ? h("section", { class: "card" }, h("h2", { text: t("rp.photos") }), photos) : null,
          h("section", { class: "card" }, h("h2", { text: t("rp.timeline") }), timeline(r.timeline))),
        h("div", {},
          forms,
          operator ? h("section", { class: "card" }, h("h2", { text: t("rp.dispatches") }), dispatches) : null,
          operator ? keptNotifications() : null,
          operator ? (reporter ||= reporterCard()) : null,
          operator ? keptHold(r.legalHold) : null,
          h("section", { class: "card" }, h("h2", { text: t("rp.cameras") }), cameras))));
    main.dataset.loaded = r.status;
    showPhotos(r.attachments, photos, urls, () => alive);
    gql(CAMERAS, { id }).then((d) => drawCameras(cameras, (d.report && d.report.nearbyCameras) || []))
      .catch((e) => replace(cameras, h("p", { class: "muted", text: errorText(e) })));
    if (operator) {
      gql(DISPATCHES, { id }).then((d) => drawDispatches(dispatches, d.dispatches || []))
        .catch((e) => replace(dispatches, h("p", { class: "muted", text: errorText(e) })));
    }
  }

  // --- the action forms ---

  function actions(r) {
    const forms = [];
    const s = r.status;
    const operator = isOperator(ctx.me);
    const officer = has(ctx.me, "officer");
    if (operator && s === "SUBMITTED") forms.push(form("verify", "rp.verify", [textarea("note", "rp.note")], (v) => mutate("verifyReport", "$id: ID!, $note: String", "reportId: $id, note: $note", { note: v.note || null })));
    if (operator && ["SUBMITTED", "VERIFIED"].includes(s)) forms.push(form("reject", "rp.reject", [textarea("reason", "rp.reason")], (v) => mutate("rejectReport", "$id: ID!, $reason: String!", "reportId: $id, reason: $reason", { reason: v.reason || "" }), "danger"));
    if (operator && ["SUBMITTED", "VERIFIED", "DISPATCHED", "IN_PROGRESS"].includes(s)) forms.push(assignForm());
    if (operator && s === "VERIFIED") forms.push(dispatchForm());
    if ((operator || officer) && ["VERIFIED", "DISPATCHED", "IN_PROGRESS", "RESOLVED"].includes(s)) {
      const choices = ["IN_PROGRESS", "RESOLVED"].concat(operator ? ["CLOSED"] : []).filter((x) => x !== s);
      forms.push(form("status", "rp.status", [
        h("label", {}, t("rp.newstatus"), h("select", { name: "status" }, choices.map((c) => h("option", { value: c, text: statusText(c) })))),
        textarea("note", "rp.note"),
      ], (v) => mutate("updateReportStatus", "$id: ID!, $status: ReportStatus!, $note: String", "reportId: $id, status: $status, note: $note", { status: v.status, note: v.note || null })));
    }
    if (operator || officer) {
      forms.push(form("note", "rp.addnote", [
        textarea("note", "rp.note"),
        h("label", { class: "inline" }, h("input", { type: "checkbox", name: "public" }), t("rp.ispublic")),
      ], (v, key) => mutate("addReportNote", "$id: ID!, $note: String!, $public: Boolean!, $key: String", "reportId: $id, note: $note, public: $public, clientKey: $key", { note: v.note || "", public: v.public === "on", key }), "", true));
    }
    if (operator && ["SUBMITTED", "VERIFIED"].includes(s)) {
      forms.push(form("transfer", "rp.transfer", [
        h("label", {}, t("rp.toslug"), h("input", { name: "toTenantSlug", autocomplete: "off" })),
        textarea("reason", "rp.reason"),
      ], (v) => mutate("transferReport", "$id: ID!, $to: String!, $reason: String!", "id: $id, toTenantSlug: $to, reason: $reason", { to: v.toTenantSlug || "", reason: v.reason || "" }, "transfer { toTenantSlug } errors { code field message }")));
    }
    if (!forms.length) return null;
    return h("section", { class: "card actions" }, h("h2", { text: t("rp.actions") }), forms);
  }

  function assignForm() {
    const officerSelect = h("select", { name: "officerId" }, h("option", { value: "", text: t("rp.nobody") }));
    const unitSelect = h("select", { name: "unitId" }, h("option", { value: "", text: t("rp.nobody") }));
    const search = h("input", { name: "search", type: "search", autocomplete: "off", placeholder: t("rp.search") });
    const fillOfficers = async () => {
      try {
        const data = await gql("query($s: String) { officers(search: $s, first: 50) { edges { node { id displayName username roles } } } }", { s: search.value.trim() || null });
        replace(officerSelect, h("option", { value: "", text: t("rp.nobody") }),
          data.officers.edges.map((e) => h("option", { value: e.node.id, text: `${e.node.displayName} (${e.node.username})` })));
        if (data.officers.edges.length === 1) officerSelect.value = data.officers.edges[0].node.id;
      } catch (e) { toast(errorText(e), "error"); }
    };
    let searchTimer = null;
    search.addEventListener("input", () => { clearTimeout(searchTimer); searchTimer = setTimeout(fillOfficers, 250); });
    search.addEventListener("keydown", (e) => { if (e.key === "Enter") { e.preventDefault(); clearTimeout(searchTimer); fillOfficers(); } });
    fillOfficers();
    gql("query { units(first: 100) { edges { node { id name status } } } }")
      .then((d) => { for (const e of d.units.edges) unitSelect.append(h("option", { value: e.node.id, text: e.node.name })); })
      .catch(() => {});
    return form("assign", "rp.assign", [
      h("label", {}, t("rp.search"), search),
      h("label", {}, t("rp.officer"), officerSelect),
      h("label", {}, t("rp.unit"), unitSelect),
    ], (v) => mutate("assignReport", "$id: ID!, $o: ID, $u: ID", "reportId: $id, officerId: $o, unitId: $u", { o: v.officerId || null, u: v.unitId || null }));
  }

  function dispatchForm() {
    const agencySelect = h("select", { name: "agencyId" }, h("option", { value: "", text: "—" }));
    gql("query { agencies { id name kind isSample } }")
      .then((d) => {
        for (const a of d.agencies || []) {
          agencySelect.append(h("option", { value: a.id, text: `${a.name}${a.isSample ? ` (${t("rp.sample")})` : ""}` }));
        }
      })
      .catch((e) => toast(errorText(e), "error"));
    return form("dispatch", "rp.dispatch", [h("label", {}, t("rp.agency"), agencySelect), textarea("note", "rp.note")],
      (v, key) => mutate("dispatchReport", "$id: ID!, $a: ID!, $note: String, $key: String", "reportId: $id, agencyId: $a, note: $note, clientKey: $key", { a: v.agencyId || "", note: v.note || null, key }), "", true);
  }

  /** One action form: fields, a submit button, typed errors by field. `creates`: the
   * form sends a clientKey, the same one for every retry until it succeeds or the
   * input changes. */
  function form(name, title, fields, send, kind = "primary", creates = false) {
    let key = creates ? newClientKey() : null;
    const button = h("button", { type: "submit", class: kind || "primary", text: t(title) });
    const element = h("form", { class: "action", dataset: { action: name }, novalidate: true },
      h("h3", { text: t(title) }), fields, h("p", { class: "form-error", role: "alert" }), button);
    if (creates) element.addEventListener("input", () => { key = newClientKey(); });
    element.addEventListener("submit", async (event) => {
      event.preventDefault();
      const values = Object.fromEntries(new FormData(element).entries());
      for (const k of Object.keys(values)) if (typeof values[k] === "string") values[k] = values[k].trim();
      button.disabled = true;
      let errors;
      try {
        errors = await send(values, key);
      } catch (e) {
        errors = [{ code: e.code, field: e.field, message: e.message }];
      } finally {
        button.disabled = false;
      }
      if (showErrors(element, errors)) return;
      element.reset();
      if (creates) key = newClientKey();
      toast(t("rp.done"));
      load();
    });
    return element;
  }

  async function mutate(field, params, args, variables, selection = PAYLOAD) {
    const data = await gql(`mutation(${params}) { ${field}(${args}) { ${selection} } }`, { id, ...variables });
    const payload = data[field];
    const errors = payloadErrors(payload);
    if (!errors.length && field === "transferReport") ctx.navigate("#/queue");
    return errors;
  }

  function keptNotifications() {
    if (notifications) notifications.reload();
    else notifications = notificationsCard(id);
    return notifications;
  }

  /** The legal hold: whether the report is held (why, by whom, since when) and a form to
   * set or lift it, each with a reason (audited by the API). */
  function keptHold(current) {
    const key = current ? `${current.heldAt}|${current.heldBy}|${current.reason}` : "";
    if (hold && holdShown === key) return hold;
    holdShown = key;
    const reason = h("label", {}, t("rp.hold.reason"), h("textarea", { name: "reason", rows: 2 }));
    const f = current
      ? form("hold-lift", "rp.hold.lift", [reason], (v) => mutate("liftLegalHold", "$id: ID!, $reason: String!", "reportId: $id, reason: $reason", { reason: v.reason || "" }, "ticket held errors { code field message }"), "danger")
      : form("hold-set", "rp.hold.set", [reason], (v) => mutate("setLegalHold", "$id: ID!, $reason: String!", "reportId: $id, reason: $reason", { reason: v.reason || "" }, "ticket held errors { code field message }"));
    hold = h("section", { class: ["card legal-hold", current ? "held" : null], dataset: { held: current ? "1" : "0" } },
      h("h2", { text: t("rp.hold") }),
      current
        ? [h("p", { text: t("rp.hold.on") }), h("dl", { class: "facts" },
          fact("rp.hold.reason", current.reason), fact("rp.hold.by", current.heldBy), fact("rp.hold.since", fmtDateTime(current.heldAt)))]
        : h("p", { class: "muted", text: t("rp.hold.none") }),
      f);
    return hold;
  }

  /** Who reported, on request only: every read is audited by the API. */
  function reporterCard() {
    const box = h("div", {}, h("button", { type: "button", text: t("rp.reporter.show"), onclick: async () => {
      try {
        const who = (await gql("query($id: ID!) { report(id: $id) { reporter { anonymous username name phone } } }", { id })).report.reporter;
        replace(box, who.anonymous ? h("p", { text: t("rp.reporter.anon") }) : h("dl", { class: "facts" },
          fact("app.username", who.username || "—"), fact("rp.reporter.name", who.name || "—"), fact("rp.reporter.phone", who.phone || "—")));
      } catch (e) {
        replace(box, h("p", { class: "error", role: "alert", text: errorText(e) }));
      }
    } }), h("p", { class: "muted", text: t("rp.reporter.audited") }));
    return h("section", { class: "card reporter" }, h("h2", { text: t("rp.reporter") }), box);
  }

  function drawCameras(box, list) {
    if (!list.length) { replace(box, h("p", { class: "muted", text: t("rp.none") })); return; }
    replace(box, h("ul", { class: "plain" }, list.map((c) => h("li", {},
      h("span", { class: `badge ${c.status === "ONLINE" ? "ok" : "warn"}`, text: c.status }), " ",
      h("strong", { text: c.name }), " ",
      h("span", { class: "muted", text: t("rp.distance", { m: Math.round(c.distanceM || 0) }) }), " ",
      h("code", { class: "stream", text: c.streamUrl })))));
  }

  function drawDispatches(box, list) {
    if (!list.length) { replace(box, h("p", { class: "muted", text: t("rp.none") })); return; }
    replace(box, h("ul", { class: "plain" }, list.map((d) => h("li", { dataset: { status: d.status } },
      h("strong", { text: d.agencyName }), " ", h("span", { class: "badge", text: dispatchText(d.status) }),
      d.outcome ? h("span", { class: "muted", text: ` ${d.outcome}${d.outcomeNote ? `: ${d.outcomeNote}` : ""}` }) : null,
      d.lastError ? h("span", { class: "error", text: ` ${t("rp.attempts", { n: d.attempts })}: ${d.lastError}` }) : null))));
  }

  // A live event of this report reads it again (a burst reads once).
  const unsubscribe = liveClient(ctx).subscribe("subscription { reportEvents { reportId } }", {}, {
    next: (payload) => {
      const e = payload.data && payload.data.reportEvents;
      if (e && e.reportId === id) {
        clearTimeout(reloadTimer);
        reloadTimer = setTimeout(load, 200);
      }
    },
    resumed: () => { clearTimeout(reloadTimer); reloadTimer = setTimeout(load, 200); },
  });
  load();
  return () => {
    alive = false;
    clearInterval(timer);
    clearTimeout(reloadTimer);
    unsubscribe();
    for (const url of urls.splice(0)) URL.revokeObjectURL(url);
  };
}

function fact(label, value) {
  return [h("dt", { text: t(label) }), h("dd", { text: value })];
}

function textarea(name, label) {
  return h("label", {}, t(label), h("textarea", { name, rows: 2 }));
}

function timeline(entries) {
  return h("ol", { class: "timeline" }, entries.map((e) => h("li", { class: e.public ? "public" : "internal", dataset: { kind: e.kind } },
    h("div", { class: "row" },
      h("strong", { text: lang() === "en" ? e.messageEn : e.messageId }),
      h("span", { class: "badge", text: e.public ? t("rp.public") : t("rp.internal") }),
      h("span", { class: "muted", text: `${fmtDateTime(e.createdAt)} · ${e.actorName}` })),
    e.note ? h("p", { class: "note", text: e.note }) : null)));
}
