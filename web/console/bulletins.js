// Console view "bulletins" (operators and tenant admins: bulletins:write): the command's
// bulletins by status, and one bulletin's editor (#/bulletins/new, #/bulletins/<id>).

import { gql } from "../common/api.js";
import { h, replace } from "../common/dom.js";
import { extend, fmtDateTime, lang, t } from "../common/i18n.js";
import { has } from "../common/shell.js";
import { BULLETIN_FIELDS, bulletinEditor } from "./bulletin_form.js";
import { failed, lacksModule, table } from "./ops.js";

extend({
  id: {
    bulletins: "Buletin",
    "bul.new": "Buletin baru",
    "bul.headline": "Judul",
    "bul.category": "Kategori",
    "bul.severity": "Tingkat",
    "bul.validUntil": "Berlaku sampai",
    "bul.published": "Diterbitkan",
    "bul.status.DRAFT": "Draf",
    "bul.status.PUBLISHED": "Terbit",
    "bul.status.SUPERSEDED": "Digantikan",
    "bul.status.CANCELLED": "Dibatalkan",
    "bul.show": "Tampilkan",
  },
  en: {
    bulletins: "Bulletins",
    "bul.new": "New bulletin",
    "bul.headline": "Headline",
    "bul.category": "Category",
    "bul.severity": "Severity",
    "bul.validUntil": "Valid until",
    "bul.published": "Published",
    "bul.status.DRAFT": "Draft",
    "bul.status.PUBLISHED": "Published",
    "bul.status.SUPERSEDED": "Superseded",
    "bul.status.CANCELLED": "Cancelled",
    "bul.show": "Show",
  },
});

const STATUSES = ["DRAFT", "PUBLISHED", "CANCELLED", "SUPERSEDED"];
const LIST = `query Bulletins {
  DRAFT: bulletins(status: DRAFT) { ${BULLETIN_FIELDS} }
  PUBLISHED: bulletins(status: PUBLISHED) { ${BULLETIN_FIELDS} }
  CANCELLED: bulletins(status: CANCELLED) { ${BULLETIN_FIELDS} }
  SUPERSEDED: bulletins(status: SUPERSEDED) { ${BULLETIN_FIELDS} }
}`;

const badgeClass = { DRAFT: "warn", PUBLISHED: "ok", CANCELLED: "", SUPERSEDED: "" };

async function renderList(main, ctx) {
  const shown = new Set(["DRAFT", "PUBLISHED"]);
  const body = h("div", { class: "bul-list" }, h("p", { class: "loading", text: t("app.loading") }));
  let data = null;
  const draw = () => {
    const rows = STATUSES.filter((s) => shown.has(s)).flatMap((s) => data[s] || []);
    replace(body, table(["bul.headline", "bul.category", "bul.severity", "ops.status", "bul.published", "bul.validUntil"], rows.map((b) => [
      h("a", { href: `#/bulletins/${b.id}`, text: lang() === "en" && b.headlineEn ? b.headlineEn : b.headline }),
      lang() === "en" ? b.categoryNameEn : b.categoryName,
      b.severity === "UNKNOWN" ? t("bul.UNKNOWN") : t(`bul.sev.${b.severity}`),
      h("span", {}, h("span", { class: ["badge", badgeClass[b.status]], text: t(`bul.status.${b.status}`) }),
        b.messageType !== "ALERT" ? h("span", { class: "badge warn", text: t(`bul.msg.${b.messageType}`) }) : null),
      fmtDateTime(b.publishedAt),
      fmtDateTime(b.validUntil),
    ]), { class: "bulletins" }));
  };
  const filters = STATUSES.map((s) => h("label", { class: "inline" },
    h("input", { type: "checkbox", checked: shown.has(s), onchange: (e) => { if (e.target.checked) shown.add(s); else shown.delete(s); if (data) draw(); } }),
    t(`bul.status.${s}`)));
  main.append(h("section", { class: "ops-page" },
    h("div", { class: "row ops-head" },
      h("h2", { text: t("bulletins") }),
      h("button", { type: "button", class: "primary", text: t("bul.new"), onclick: () => ctx.navigate("#/bulletins/new") }),
      h("span", { class: "spacer" }),
      h("span", { class: "muted", text: t("bul.show") }), filters),
    body));
  try {
    data = await gql(LIST);
    draw();
  } catch (e) {
    replace(body, failed(e));
  }
}

export const bulletinsView = {
  id: "bulletins",
  label: "bulletins",
  show: (me) => has(me, "operator", "tenant_admin"),
  async render(main, ctx, param) {
    if (await lacksModule(main, "bulletins")) return null;
    if (!param) return renderList(main, ctx);
    return bulletinEditor(main, ctx, param === "new" ? null : param);
  },
};
