// Darurat: the panic button for a signed-in citizen. It takes a deliberate press (held
// for HOLD_MS), sends the position (raiseSos) and shows the nearest police post and
// hospital. It is never queued: offline, or on any failure, the citizen is told at once
// that it did NOT go out, with the call centre's number (110) to call instead.

import { gql, newClientKey, payloadErrors } from "../common/api.js";
import { h, replace } from "../common/dom.js";
import { errorText, t } from "../common/i18n.js";
import { facilityCard, heading, lastPosition, online, position, telLink } from "./kit.js";

export const HOLD_MS = 2000;
const FACILITY = "kind id name latitude longitude phone address distanceM";
const SOS = `mutation Sos($lat: Float!, $lon: Float!, $key: String) { raiseSos(latitude: $lat, longitude: $lon, clientKey: $key) {
  report { id ticket } nearestPolicePost { ${FACILITY} } nearestHospital { ${FACILITY} } advice errors { code field message } } }`;

function callBlock() {
  return h("div", { class: "call-block" },
    h("a", { class: "call-110", href: "tel:110", text: t("sos.call110") }),
    h("p", { class: "muted small" }, t("sos.other"), " ", telLink("112"), " · ", telLink("119", "119 (ambulans)")));
}

function notSent(box, reason) {
  replace(box, h("div", { class: "card sos-fail", role: "alert", dataset: { sent: "no" } },
    h("h2", { text: t("sos.notsent") }),
    h("p", { text: reason }),
    callBlock()));
}

/** A button that fires onFire after being held HOLD_MS (pointer or Enter/Space); let go
 * earlier and nothing happens. */
function holdButton(onFire) {
  const fill = h("span", { class: "hold-fill", "aria-hidden": "true" });
  const button = h("button", { type: "button", class: "sos-button", "aria-describedby": "sos-help" },
    fill, h("span", { class: "sos-label", text: t("sos.button") }), h("span", { class: "sos-sub", text: t("sos.hold") }));
  let timer = null;
  const start = (event) => {
    if (timer || button.disabled) return;
    if (event) event.preventDefault();
    button.classList.add("holding");
    timer = setTimeout(() => { timer = null; button.classList.remove("holding"); onFire(); }, HOLD_MS);
  };
  const stop = () => {
    if (!timer) return;
    clearTimeout(timer);
    timer = null;
    button.classList.remove("holding");
  };
  button.addEventListener("pointerdown", start);
  for (const name of ["pointerup", "pointerleave", "pointercancel"]) button.addEventListener(name, stop);
  button.addEventListener("contextmenu", (e) => e.preventDefault()); // a long touch is not a menu
  button.addEventListener("keydown", (e) => { if ((e.key === "Enter" || e.key === " ") && !e.repeat) start(e); });
  button.addEventListener("keyup", (e) => { if (e.key === "Enter" || e.key === " ") stop(); });
  return button;
}

export const panicView = {
  id: "darurat",
  label: "nav.darurat",
  icon: "!",
  async render(main, ctx) {
    const result = h("div", { class: "sos-result", "aria-live": "assertive" });
    if (!ctx.signedIn) {
      replace(main, ...heading("sos.heading"),
        h("div", { class: "card" }, h("p", { text: t("sos.signin") }), h("a", { href: "#/akun", class: "button primary", text: t("nav.akun") })),
        callBlock());
      return;
    }
    const fire = async () => {
      button.disabled = true;
      try {
        // Never queued: without a signal it did not go out, and the citizen must know now.
        if (!online()) { notSent(result, t("sos.offline")); return; }
        replace(result, h("p", { class: "card", role: "status", text: t("sos.sending") }));
        const pos = (await position(8000)) || lastPosition();
        if (!pos) { notSent(result, t("sos.nogps")); return; }
        let payload;
        try {
          payload = (await gql(SOS, { lat: pos.lat, lon: pos.lon, key: newClientKey() })).raiseSos;
        } catch (error) {
          notSent(result, error.code === "NETWORK" ? t("sos.offline") : errorText(error));
          return;
        }
        const errors = payloadErrors(payload);
        if (errors.length) { notSent(result, errors.map((e) => errorText(e)).join(" ")); return; }
        replace(result, h("div", { class: "card sos-ok", role: "alert", dataset: { sent: "yes" } },
          h("h2", { text: t("sos.sent") }),
          h("p", { text: t("sos.ticket", { ticket: payload.report.ticket }) }),
          payload.advice ? h("p", { class: "advice", text: payload.advice }) : null,
          h("h3", { text: t("sos.nearest.police") }),
          payload.nearestPolicePost ? facilityCard(payload.nearestPolicePost) : h("p", { class: "muted", text: t("sos.nearest.none") }),
          h("h3", { text: t("sos.nearest.hospital") }),
          payload.nearestHospital ? facilityCard(payload.nearestHospital) : h("p", { class: "muted", text: t("sos.nearest.none") }),
          callBlock()));
      } finally {
        button.disabled = false;
      }
    };
    const button = holdButton(fire);
    replace(main, ...heading("sos.heading"),
      h("div", { class: "sos-wrap" }, button),
      h("p", { id: "sos-help", class: "muted center", text: t("sos.help") }),
      result,
      callBlock());
  },
};
