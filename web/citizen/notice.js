// The command's privacy notice (privacyNotice): shown at sign-up and before the first
// report, Bahasa Indonesia first with the English beside it; its version goes with the
// report, the sign-up, a notification channel and a shared post (UU PDP No. 27/2022).

import { gql } from "../common/api.js";
import { h } from "../common/dom.js";
import { t } from "../common/i18n.js";

const NOTICE = "query Notice { privacyNotice { version textId textEn } }";
const SEEN = "jogo_notice_seen";
let loading = null;

/** The notice in force (cached for the page): {version, textId, textEn}, or null offline. */
export function loadNotice() {
  if (!loading) loading = gql(NOTICE).then((d) => d.privacyNotice).catch(() => { loading = null; return null; });
  return loading;
}

/** The version last shown on this device (sent with a report kept offline). */
export function seenVersion() {
  try { return localStorage.getItem(SEEN); } catch { return null; }
}

export function markSeen(version) {
  try { if (version) localStorage.setItem(SEEN, version); } catch { /* private mode */ }
}

/** The notice's text, Bahasa Indonesia then English, in a <details> (open when `open`). */
export function noticeBlock(notice, open = false) {
  if (!notice) return null;
  return h("details", { class: "privacy-notice", open },
    h("summary", { text: t("akun.notice.read", { version: notice.version }) }),
    h("div", { class: "notice-texts" },
      h("pre", { class: "small notice-id", lang: "id", text: notice.textId }),
      h("pre", { class: "small notice-en muted", lang: "en", text: notice.textEn })));
}
