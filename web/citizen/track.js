// Lacak: follow a report by ticket and PIN (trackReport), and, signed in, "my reports"
// (reports: a citizen sees only their own) with the public timeline and replies to the
// police (addReportNote: a reporter's note is always public; the API lets only a
// signed-in reporter write on their own report, so an anonymous report cannot be answered).

import { gql, newClientKey, payloadErrors } from "../common/api.js";
import { h, replace, toast } from "../common/dom.js";
import { errorText, fmtDateTime, lang, t } from "../common/i18n.js";
import { showErrors } from "../common/shell.js";
import { categoryName, heading } from "./kit.js";
import { items } from "./outbox.js";

const EVENT = "id kind note public actorName createdAt messageId messageEn toStatus";
const TRACK = `query Track($ticket: String!, $pin: String!) { trackReport(ticket: $ticket, pin: $pin) {
  ticket title status createdAt updatedAt categoryCode commandName commandSlug timeline { ${EVENT} } } }`;
const MINE = `query Mine { reports(first: 50) { edges { node { id ticket title status createdAt updatedAt
  category { code nameId nameEn } timeline { ${EVENT} } } } } }`;
const REPLY = `mutation Reply($id: ID!, $note: String!, $key: String) {
  addReportNote(reportId: $id, note: $note, public: true, clientKey: $key) { report { id } errors { code field message } } }`;

const statusText = (s) => t(`status.${s}`);

function timeline(events) {
  const publicOnes = events.filter((e) => e.public);
  return h("ol", { class: "timeline" }, publicOnes.map((e) => h("li", { class: ["event", e.kind === "NOTE" ? "note" : null] },
    h("div", { class: "muted small", text: `${fmtDateTime(e.createdAt)} · ${e.actorName}` }),
    h("div", { text: lang() === "en" ? e.messageEn : e.messageId }),
    e.note && !(lang() === "en" ? e.messageEn : e.messageId).includes(e.note) ? h("blockquote", { text: e.note }) : null)));
}

function reportCard(r, extra = null) {
  return h("article", { class: "card tracked", dataset: { ticket: r.ticket } },
    h("div", { class: "row spread" }, h("strong", { class: "ticket", text: r.ticket }), h("span", { class: `badge status-${r.status}`, text: statusText(r.status) })),
    h("h2", { class: "report-title", text: r.title }),
    h("p", { class: "muted small", text: [r.category ? categoryName(r.category) : r.categoryCode, fmtDateTime(r.createdAt)].join(" · ") }),
    r.commandName ? h("p", { class: "muted small", text: t("lacak.command", { name: r.commandName }) }) : null,
    timeline(r.timeline || []),
    extra);
}

function replyForm(report, reload) {
  const key = { value: newClientKey() };
  const form = h("form", { class: "reply" },
    h("label", {}, t("lacak.reply"), h("textarea", { name: "note", rows: 2, required: true, maxLength: 5000 })),
    h("p", { class: "form-error", role: "alert" }),
    h("button", { type: "submit", class: "primary", text: t("lacak.reply.send") }));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const note = String(new FormData(form).get("note") || "").trim();
    if (!note) return;
    try {
      const payload = (await gql(REPLY, { id: report.id, note, key: key.value })).addReportNote;
      if (showErrors(form, payloadErrors(payload))) return;
      key.value = newClientKey();
      toast(t("lacak.reply.sent"));
      reload();
    } catch (error) {
      showErrors(form, [error]);
    }
  });
  return form;
}

async function mine(box) {
  replace(box, h("p", { class: "loading", text: t("app.loading") }));
  const load = () => mine(box);
  try {
    const edges = (await gql(MINE)).reports?.edges || [];
    replace(box, edges.length ? edges.map((e) => reportCard(e.node, replyForm(e.node, load))) : h("p", { class: "muted", text: t("lacak.mine.none") }));
  } catch (error) {
    replace(box, h("p", { class: "error", role: "alert", text: errorText(error) }));
  }
}

export const trackView = {
  id: "lacak",
  label: "nav.lacak",
  icon: "⌕",
  async render(main, ctx, param) {
    const found = h("div", { class: "found", "aria-live": "polite" });
    const form = h("form", { class: "card track-form" },
      h("label", {}, t("lacak.ticket"), h("input", { name: "ticket", required: true, autocomplete: "off", autocapitalize: "characters", value: param || "" })),
      h("label", {}, t("lacak.pin"), h("input", { name: "pin", required: true, inputMode: "numeric", autocomplete: "off" })),
      h("p", { class: "form-error", role: "alert" }),
      h("button", { type: "submit", class: "primary", text: t("lacak.submit") }),
      h("p", { class: "muted small", text: t("lacak.anon.hint") }));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const data = new FormData(form);
      showErrors(form, []);
      try {
        const report = (await gql(TRACK, { ticket: String(data.get("ticket")).trim(), pin: String(data.get("pin")).trim() })).trackReport;
        replace(found, report ? reportCard(report) : h("p", { class: "error", role: "alert", text: t("lacak.notfound") }));
      } catch (error) {
        showErrors(form, [error]);
      }
    });
    // The reports this phone sent anonymously: one tap fills ticket and PIN.
    const kept = (await items(ctx.config.scope).catch(() => [])).filter((i) => i.state === "sent" && i.pin);
    const here = kept.length ? h("div", { class: "card" }, h("h2", { text: t("lacak.here") }),
      h("ul", { class: "plain" }, kept.map((i) => h("li", {}, h("button", { type: "button", class: "link", text: `${i.ticket} · ${i.input.title}`, onclick: () => {
        form.elements.ticket.value = i.ticket;
        form.elements.pin.value = i.pin;
        form.requestSubmit();
      } }))))) : null;
    const mineBox = h("div", { class: "mine" });
    replace(main, ...heading("lacak.heading"),
      ctx.signedIn ? [h("h2", { text: t("lacak.mine") }), mineBox] : null,
      h("h2", { text: t("lacak.byticket") }), form, found, here);
    if (ctx.signedIn) await mine(mineBox);
  },
};
