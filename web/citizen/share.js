// Berbagi: the approved feed (sharedPosts, newest first) and, signed in, posting
// (sharePost: text, an optional photo shrunk on the phone, an optional place). A post
// waits for the moderators; the author sees its state under "my posts".

import { gql, newClientKey, payloadErrors } from "../common/api.js";
import { h, replace, toast } from "../common/dom.js";
import { errorText, fmtDateTime, lang, t } from "../common/i18n.js";
import { showErrors } from "../common/shell.js";
import { heading, position } from "./kit.js";
import { shrink } from "./photos.js";
import { loadNotice } from "./notice.js";

const FIELDS = "id body photoUrl createdAt status statusLabel statusLabelEn rejectionReason mine";
const FEED = `query Feed($after: String) { sharedPosts(first: 20, after: $after) {
  edges { node { ${FIELDS} } } pageInfo { hasNextPage endCursor } } }`;
const MINE = `query MyPosts { myPosts(first: 10) { ${FIELDS} } }`;
const SHARE = `mutation Share($input: SharePostInput!) { sharePost(input: $input) {
  post { ${FIELDS} } errors { code field message } } }`;

function postCard(p, showState = false) {
  return h("article", { class: "card post", dataset: { id: p.id } },
    p.photoUrl ? h("img", { class: "post-photo", src: p.photoUrl, alt: "", loading: "lazy" }) : null,
    h("p", { class: "post-body", text: p.body }),
    h("p", { class: "muted small" }, fmtDateTime(p.createdAt),
      showState ? h("span", { class: `badge post-${p.status}`, text: ` ${lang() === "en" ? p.statusLabelEn : p.statusLabel}` }) : null),
    showState && p.rejectionReason ? h("p", { class: "muted small", text: p.rejectionReason }) : null);
}

function postForm(onPosted) {
  const state = { photo: null, key: newClientKey(), lat: null, lon: null };
  const preview = h("div", { class: "thumbs" });
  const where = h("span", { class: "muted small" });
  const file = h("input", { type: "file", accept: "image/*", name: "photo", class: "hidden", onchange: async () => {
    const chosen = file.files && file.files[0];
    file.value = "";
    if (!chosen) return;
    try {
      state.photo = await shrink(chosen);
      const url = URL.createObjectURL(state.photo);
      replace(preview, h("figure", { class: "thumb" }, h("img", { src: url, alt: "" }),
        h("button", { type: "button", class: "link", text: t("lapor.photo.remove"), onclick: () => { URL.revokeObjectURL(url); state.photo = null; replace(preview); } })));
    } catch {
      toast(t("lapor.photo.bad", { name: chosen.name }), "error");
    }
  } });
  const form = h("form", { class: "card share-form" },
    h("label", {}, t("share.body"), h("textarea", { name: "body", rows: 3, required: true, maxLength: 2000 })),
    h("div", { class: "row" },
      h("button", { type: "button", text: t("share.photo"), onclick: () => file.click() }),
      h("button", { type: "button", text: t("share.place"), onclick: async () => {
        where.textContent = t("lapor.place.finding");
        const pos = await position();
        if (pos) { state.lat = pos.lat; state.lon = pos.lon; where.textContent = t("share.place.set"); } else where.textContent = t("lapor.place.nogps");
      } }), where),
    file, preview,
    h("p", { class: "form-error", role: "alert" }),
    h("button", { type: "submit", class: "primary", text: t("share.submit") }),
    h("p", { class: "muted small", text: t("share.hint") }));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = String(new FormData(form).get("body") || "").trim();
    if (!body) return;
    const notice = await loadNotice();
    const input = { body, latitude: state.lat, longitude: state.lon, clientKey: state.key, photo: state.photo ? null : undefined, noticeVersion: notice?.version };
    const files = state.photo ? { "variables.input.photo": new File([state.photo], "foto.jpg", { type: "image/jpeg" }) } : undefined;
    try {
      const payload = (await gql(SHARE, { input }, { files })).sharePost;
      if (showErrors(form, payloadErrors(payload))) return;
      toast(t("share.sent"));
      form.reset();
      replace(preview);
      Object.assign(state, { photo: null, key: newClientKey(), lat: null, lon: null });
      where.textContent = "";
      onPosted();
    } catch (error) {
      showErrors(form, [error]);
    }
  });
  return form;
}

export const shareView = {
  id: "berbagi",
  label: "nav.berbagi",
  icon: "☰",
  module: "sharing",
  async render(main, ctx) {
    const feed = h("div", { class: "feed" }, h("p", { class: "loading", text: t("app.loading") }));
    const mine = h("div", { class: "my-posts" });
    const more = h("button", { type: "button", class: "hidden", text: t("app.more") });
    let after = null;
    const load = async (reset) => {
      try {
        if (reset) after = null;
        const page = (await gql(FEED, { after })).sharedPosts;
        const cards = page.edges.map((e) => postCard(e.node));
        if (reset) replace(feed, cards.length ? cards : h("p", { class: "muted", text: t("share.none") }));
        else feed.append(...cards);
        after = page.pageInfo.endCursor;
        more.classList.toggle("hidden", !page.pageInfo.hasNextPage);
      } catch (error) {
        replace(feed, h("p", { class: "error", role: "alert", text: errorText(error) }));
      }
    };
    const loadMine = async () => {
      if (!ctx.signedIn) return;
      try {
        const posts = (await gql(MINE)).myPosts || [];
        replace(mine, posts.length ? [h("h2", { text: t("share.mine") }), ...posts.map((p) => postCard(p, true))] : null);
      } catch { replace(mine); }
    };
    more.addEventListener("click", () => load(false));
    replace(main, ...heading("share.heading", "share.lead"),
      ctx.signedIn ? postForm(() => { loadMine(); load(true); })
        : h("p", { class: "card" }, t("share.signin"), " ", h("a", { href: "#/akun", text: t("nav.akun") })),
      mine, h("h2", { text: t("share.feed") }), feed, more);
    await Promise.all([load(true), loadMine()]);
  },
};
