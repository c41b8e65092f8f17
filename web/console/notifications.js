// Console view "notifications" (operators and tenant admins: reports:triage): the
// notifications to reporters that failed (FAILED, being retried) or gave up (DEAD),
// newest first, a page at a time by the API's cursor ("Muat lebih banyak"); each with its
// report's ticket, and "Kirim ulang" on the DEAD ones.

import { gql } from "../common/api.js";
import { h, replace } from "../common/dom.js";
import { extend, t } from "../common/i18n.js";
import { has } from "../common/shell.js";
import { failed, table } from "./ops.js";
import { NOTIFICATION_FIELDS, kindText, retryControl, statusBadge, templateText, whenText } from "./notifykit.js";

extend({
  id: {
    "nf.nav": "Notifikasi gagal",
    "nf.failed.title": "Notifikasi gagal ke pelapor",
    "nf.failed.hint": "Gagal (dicoba lagi otomatis) dan gagal terkirim (perlu dikirim ulang), terbaru dahulu.",
    "nf.failed.empty": "Tidak ada notifikasi yang gagal.",
    "nf.failed.count": "{n} ditampilkan",
  },
  en: {
    "nf.nav": "Failed notifications",
    "nf.failed.title": "Failed notifications to reporters",
    "nf.failed.hint": "Failed (retried automatically) and undeliverable (needs a retry), newest first.",
    "nf.failed.empty": "No failed notifications.",
    "nf.failed.count": "{n} shown",
  },
});

/** Rows per page (the API allows up to 100). */
export const PAGE_SIZE = 20;
const LIST = `query Failed($first: Int!, $after: String) { failedNotifications(first: $first, after: $after) {
  edges { cursor node { ${NOTIFICATION_FIELDS} ticket } } pageInfo { hasNextPage endCursor } } }`;

export const failedNotificationsView = {
  id: "notifications",
  label: "nf.nav",
  show: (me) => has(me, "operator", "tenant_admin"),
  render(main, ctx) {
    return failedPage(main, ctx);
  },
};

async function failedPage(main) {
  const list = h("div", { class: "nf-failed-list" });
  const count = h("span", { class: "muted nf-count", "aria-live": "polite" });
  const more = h("button", { type: "button", class: "hidden nf-more", text: t("app.more") });
  const error = h("div", {});
  let nodes = [];
  let after = null;

  const draw = () => {
    replace(list, table(["nf.ticket", "nf.channel", "nf.address", "nf.template", "nf.status", "nf.attempts", "nf.lastError", "nf.created", "ops.actions"],
      nodes.map((n) => [
        n.reportId ? h("a", { href: `#/report/${n.reportId}`, text: n.ticket || n.reportId }) : "—",
        kindText(n.channel),
        h("code", { text: n.address }),
        templateText(n.template),
        statusBadge(n.status),
        String(n.attempts),
        n.lastError ? h("span", { class: "error", text: n.lastError }) : "—",
        whenText(n),
        retryControl(n, (done) => { n.status = done ? done.status : "PENDING"; n.lastError = null; draw(); }),
      ]), { class: "nf-failed" }));
    for (const [i, tr] of [...list.querySelectorAll("tbody tr")].entries()) {
      if (nodes[i]) { tr.dataset.id = nodes[i].id; tr.dataset.status = nodes[i].status; }
    }
    if (!nodes.length) replace(list, h("p", { class: "muted", text: t("nf.failed.empty") }));
    count.textContent = t("nf.failed.count", { n: nodes.length });
  };

  const load = async (reset) => {
    if (reset) { nodes = []; after = null; }
    more.disabled = true;
    replace(error);
    try {
      const page = (await gql(LIST, { first: PAGE_SIZE, after })).failedNotifications;
      nodes = nodes.concat(page.edges.map((e) => e.node));
      after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
      more.classList.toggle("hidden", !after);
      draw();
    } catch (e) {
      replace(error, failed(e));
    } finally {
      more.disabled = false;
    }
    main.dataset.loaded = String(nodes.length);
  };
  more.addEventListener("click", () => load(false));

  main.append(h("section", { class: "ops-page nf-failed-page" },
    h("div", { class: "row ops-head" },
      h("h2", { text: t("nf.failed.title") }),
      h("span", { class: "spacer" }),
      count,
      h("button", { type: "button", text: t("app.refresh"), onclick: () => load(true) })),
    h("p", { class: "muted ops-hint", text: t("nf.failed.hint") }),
    error, list, h("p", {}, more)));
  await load(true);
}
