// Console view "admin" (tenant admins: tenant:admin): the command's directory, people and
// units, API keys, audit log and notification gateways, each a small sub-page (#/admin/people, …).

import { h } from "../common/dom.js";
import { extend, t } from "../common/i18n.js";
import { has } from "../common/shell.js";

extend({
  id: { admin: "Admin", "adm.directory": "Direktori", "adm.people": "Personel & unit", "adm.keys": "Kunci API", "adm.audit": "Log audit", "adm.gateways": "Gateway notifikasi" },
  en: { admin: "Admin", "adm.directory": "Directory", "adm.people": "People & units", "adm.keys": "API keys", "adm.audit": "Audit log", "adm.gateways": "Notification gateways" },
});

// Loaded when first opened: only tenant admins ever fetch these modules.
const PAGES = {
  people: async (...args) => (await import("./admin_people.js")).renderPeople(...args),
  directory: async (...args) => (await import("./admin_directory.js")).renderDirectory(...args),
  keys: async (...args) => (await import("./admin_keys.js")).renderKeys(...args),
  audit: async (...args) => (await import("./admin_audit.js")).renderAudit(...args),
  gateways: async (...args) => (await import("./admin_gateways.js")).renderGateways(...args),
};

export const adminView = {
  id: "admin",
  label: "admin",
  show: (me) => has(me, "tenant_admin"),
  render(main, ctx, param) {
    const [page, ...rest] = (param || "people").split("/");
    const current = PAGES[page] ? page : "people";
    main.append(h("nav", { class: "subtabs", "aria-label": t("admin") },
      Object.keys(PAGES).map((p) => h("a", { href: `#/admin/${p}`, class: p === current ? "active" : null, text: t(`adm.${p}`) }))));
    const body = h("section", { class: "ops-page admin-page" });
    main.append(body);
    return PAGES[current](body, ctx, rest.join("/") || null);
  },
};
