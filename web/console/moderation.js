// Console view "moderation" (operators and tenant admins: sharing:moderate): citizens'
// shared posts waiting for a decision, oldest first, with the reasons a post is held;
// approve (a held post needs the moderator's explicit acknowledgement) or reject with a
// reason; an approved post can be taken down the same way.

import { gql, session } from "../common/api.js";
import { h, replace, toast } from "../common/dom.js";
import { extend, fmtDateTime, lang, t } from "../common/i18n.js";
import { has } from "../common/shell.js";
import { failed, labelled, lacksModule, submitForm } from "./ops.js";

extend({
  id: {
    moderation: "Moderasi",
    "mod.title": "Antrean moderasi kiriman warga",
    "mod.waiting": "Menunggu keputusan",
    "mod.approved": "Disetujui",
    "mod.rejected": "Ditolak",
    "mod.hold": "Ditahan karena",
    "mod.hold.LINK": "berisi tautan",
    "mod.hold.PHONE": "berisi nomor telepon",
    "mod.ack": "Saya sudah memeriksa alasan penahanan dan tetap menyetujui",
    "mod.approve": "Setujui",
    "mod.reject": "Tolak",
    "mod.takedown": "Turunkan",
    "mod.reason": "Alasan penolakan",
    "mod.approvedOk": "Kiriman disetujui dan tampil untuk publik.",
    "mod.rejectedOk": "Kiriman ditolak.",
    "mod.location": "Lokasi",
    "mod.empty": "Tidak ada kiriman yang menunggu.",
    "mod.report": "Sudah menjadi laporan",
    "err.HELD_CONTENT": "Kiriman ini ditahan: centang konfirmasi sebelum menyetujui.",
  },
  en: {
    moderation: "Moderation",
    "mod.title": "Moderation queue of citizens' posts",
    "mod.waiting": "Waiting for a decision",
    "mod.approved": "Approved",
    "mod.rejected": "Rejected",
    "mod.hold": "Held because it",
    "mod.hold.LINK": "contains a link",
    "mod.hold.PHONE": "contains a phone number",
    "mod.ack": "I have checked why it was held and approve it anyway",
    "mod.approve": "Approve",
    "mod.reject": "Reject",
    "mod.takedown": "Take down",
    "mod.reason": "Reason for rejecting",
    "mod.approvedOk": "Post approved and public.",
    "mod.rejectedOk": "Post rejected.",
    "mod.location": "Location",
    "mod.empty": "No posts are waiting.",
    "mod.report": "Already a report",
    "err.HELD_CONTENT": "This post is held: tick the acknowledgement before approving.",
  },
});

const FIELDS = "id body latitude longitude photoUrl createdAt status statusLabel statusLabelEn holdReasons rejectionReason reportId";
const QUEUE = `query Queue($status: [SharedPostStatus!]) { moderationQueue(status: $status, first: 100) { ${FIELDS} } }`;
const APPROVE = "mutation Approve($id: ID!, $ack: Boolean!) { approvePost(id: $id, acknowledgeHold: $ack) { post { id status } errors { code field message } } }";
const REJECT = "mutation Reject($id: ID!, $reason: String!) { rejectPost(id: $id, reason: $reason) { post { id status } errors { code field message } } }";

const FILTERS = { waiting: null, approved: ["APPROVED"], rejected: ["REJECTED"] };

/** A photo fetched with the caller's token (posts not yet public are not open to <img>). */
function photo(url) {
  const img = h("img", { class: "post-photo", alt: "" });
  fetch(url, { headers: { Authorization: session.authorization() || "" }, credentials: "omit" })
    .then((r) => (r.ok ? r.blob() : null))
    .then((blob) => { if (blob) img.src = URL.createObjectURL(blob); })
    .catch(() => {});
  return img;
}

function postCard(post, reload) {
  const held = post.status === "HELD";
  const decide = h("form", { class: "post-decide", novalidate: true });
  const ack = held ? h("label", { class: "inline" }, h("input", { type: "checkbox", name: "acknowledgeHold" }), t("mod.ack")) : null;
  const canApprove = post.status === "PENDING" || held;
  replace(decide,
    ack,
    h("div", { class: "row" },
      canApprove ? h("button", { type: "button", class: "primary", text: t("mod.approve"), onclick: async () => {
        const done = await submitForm(decide, APPROVE, { id: post.id, ack: Boolean(ack && ack.querySelector("input").checked) });
        if (done) { toast(t("mod.approvedOk")); reload(); }
      } }) : null,
      post.status === "REJECTED" ? null : h("input", { name: "reason", "aria-label": t("mod.reason"), placeholder: t("mod.reason") }),
      post.status === "REJECTED" ? null : h("button", { type: "submit", class: "danger", text: post.status === "APPROVED" ? t("mod.takedown") : t("mod.reject") })),
    h("p", { class: "form-error", role: "alert" }));
  decide.addEventListener("submit", async (e) => {
    e.preventDefault();
    const done = await submitForm(decide, REJECT, { id: post.id, reason: String(new FormData(decide).get("reason") || "") });
    if (done) { toast(t("mod.rejectedOk")); reload(); }
  });
  return h("article", { class: ["card", "post", held ? "held" : ""], dataset: { id: post.id } },
    h("div", { class: "row" },
      h("span", { class: ["badge", held ? "warn" : ""], text: lang() === "en" ? post.statusLabelEn : post.statusLabel }),
      h("span", { class: "muted", text: fmtDateTime(post.createdAt) }),
      post.latitude !== null ? h("span", { class: "muted", text: `${t("mod.location")}: ${post.latitude.toFixed(5)}, ${post.longitude.toFixed(5)}` }) : null,
      post.reportId ? h("a", { href: `#/report/${post.reportId}`, text: t("mod.report") }) : null),
    h("p", { class: "post-body", text: post.body }),
    post.photoUrl ? photo(post.photoUrl) : null,
    post.holdReasons.length ? h("p", { class: "hold-reasons" }, h("strong", { text: `${t("mod.hold")}: ` }),
      post.holdReasons.map((r) => h("span", { class: "badge warn", dataset: { reason: r }, text: t(`mod.hold.${r}`) }))) : null,
    post.rejectionReason ? h("p", { class: "muted", text: `${t("mod.reason")}: ${post.rejectionReason}` }) : null,
    decide);
}

export const moderationView = {
  id: "moderation",
  label: "moderation",
  show: (me) => has(me, "operator", "tenant_admin"),
  async render(main) {
    if (await lacksModule(main, "sharing")) return null;
    let filter = "waiting";
    const list = h("div", { class: "posts" });
    const load = async () => {
      replace(list, h("p", { class: "loading", text: t("app.loading") }));
      try {
        const posts = (await gql(QUEUE, { status: FILTERS[filter] })).moderationQueue || [];
        replace(list, posts.length ? posts.map((p) => postCard(p, load)) : h("p", { class: "muted", text: t("mod.empty") }));
      } catch (e) {
        replace(list, failed(e));
      }
    };
    const select = h("select", { name: "filter", onchange: (e) => { filter = e.target.value; load(); } },
      Object.keys(FILTERS).map((k) => h("option", { value: k, text: t(`mod.${k}`) })));
    main.append(h("section", { class: "ops-page" },
      h("div", { class: "row ops-head" }, h("h2", { text: t("mod.title") }), h("span", { class: "spacer" }),
        labelled("ops.status", select, { class: "inline" }),
        h("button", { type: "button", text: t("app.refresh"), onclick: load })),
      list));
    await load();
    return null;
  },
};
