// What the citizen app's views share: the position, names in the user's language, small
// building blocks (cards, facility rows, a "save" for ticket and PIN).

import { config } from "../common/api.js";
import { h, toast } from "../common/dom.js";
import { lang, t } from "../common/i18n.js";

const LAST = `jogo.lastpos:${config.slug || ""}`;

/** The module set of this command (bulletins, sharing, facilities, ...). */
export const hasModule = (name) => (config.modules || []).includes(name);

/** The last position this phone gave (localStorage), or null: {lat, lon}. */
export function lastPosition() {
  try {
    const saved = JSON.parse(localStorage.getItem(LAST) || "null");
    return saved && Number.isFinite(saved.lat) && Number.isFinite(saved.lon) ? saved : null;
  } catch { return null; }
}

/** The phone's position: {lat, lon, accuracy (m)}, or null (no GPS, refused, timeout). */
export function position(timeout = 10000) {
  return new Promise((resolve) => {
    if (!navigator.geolocation) { resolve(null); return; }
    navigator.geolocation.getCurrentPosition(
      (p) => {
        const pos = { lat: p.coords.latitude, lon: p.coords.longitude, accuracy: p.coords.accuracy };
        try { localStorage.setItem(LAST, JSON.stringify({ lat: pos.lat, lon: pos.lon })); } catch { /* private mode */ }
        resolve(pos);
      },
      () => resolve(null),
      { enableHighAccuracy: true, timeout, maximumAge: 60000 },
    );
  });
}

/** A category's name in the user's language. */
export const categoryName = (c) => (lang() === "en" ? c.nameEn : c.nameId) || c.code;

/** "1,2 km" / "350 m". */
export function distance(m) {
  if (m === null || m === undefined) return "";
  return m >= 1000 ? `${(m / 1000).toLocaleString(lang() === "en" ? "en-GB" : "id-ID", { maximumFractionDigits: 1 })} km` : `${Math.round(m)} m`;
}

/** A tel: link (the number as written, digits and + only in the href). */
export function telLink(number, label = number) {
  return h("a", { class: "tel", href: `tel:${String(number).replace(/[^0-9+]/g, "")}`, text: label });
}

/** One facility (Facility or Hospital) as a card: name, kind, distance, address, phone. */
export function facilityCard(f, extra = null) {
  const code = String(f.kind || "HOSPITAL").toUpperCase();
  const kind = t(`kind.${code}`);
  return h("div", { class: "card facility", dataset: { kind: code } },
    h("strong", { text: f.name }),
    h("div", { class: "muted" }, [kind, f.distanceM !== undefined && f.distanceM !== null ? distance(f.distanceM) : null].filter(Boolean).join(" · ")),
    f.address ? h("div", { text: f.address }) : null,
    extra,
    f.phone ? h("div", {}, telLink(f.phone)) : null,
  );
}

/** A view's heading with an optional short lead text. */
export const heading = (key, lead = null) => [h("h1", { class: "view-title", text: t(key) }), lead ? h("p", { class: "muted lead", text: t(lead) }) : null];

/** The block that shows a ticket (and PIN) with "copy" and "download .txt". */
export function ticketBox(ticket, pin) {
  const text = [
    `${t("ticket.label")}: ${ticket}`,
    pin ? `${t("ticket.pin")}: ${pin}` : null,
    `${location.origin}${config.scope || "/"}#/lacak`,
    config.name || "",
  ].filter(Boolean).join("\n");
  const copy = async () => {
    try { await navigator.clipboard.writeText(text); toast(t("ticket.copied")); } catch { toast(t("ticket.copyfail"), "error"); }
  };
  const download = () => {
    const url = URL.createObjectURL(new Blob([text + "\n"], { type: "text/plain;charset=utf-8" }));
    const a = h("a", { href: url, download: `laporan-${ticket}.txt`, class: "hidden" });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  };
  return h("div", { class: "ticket-box", role: "group", "aria-label": t("ticket.label") },
    h("div", { class: "ticket-line" }, h("span", { class: "muted", text: t("ticket.label") }), h("strong", { class: "ticket", text: ticket })),
    pin ? h("div", { class: "ticket-line" }, h("span", { class: "muted", text: t("ticket.pin") }), h("strong", { class: "pin", text: pin })) : null,
    pin ? h("p", { class: "warn-text", text: t("ticket.pin.keep") }) : null,
    h("div", { class: "row" },
      h("button", { type: "button", class: "primary", text: t("ticket.copy"), onclick: copy }),
      h("button", { type: "button", text: t("ticket.download"), onclick: download })),
  );
}

/** Whether the browser says it has a network (a hint only: a request can still fail). */
export const online = () => navigator.onLine !== false;
