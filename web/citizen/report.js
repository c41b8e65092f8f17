// Lapor: a report with a category, title, description, photos (shrunk on the phone), the
// place from GPS with a pin to drag, anonymous or not (then an optional channel for news).
// Every report is kept on the phone first (outbox.js) and sent at once when there is a
// signal, else as soon as one returns; the citizen sees "waiting", then "sent" with the
// ticket (and PIN).

import { gql, newClientKey } from "../common/api.js";
import { h, replace, toast } from "../common/dom.js";
import { errorText, fmtDateTime, t } from "../common/i18n.js";
import { INDONESIA, makeMap, removeMap } from "../common/map.js";
import { showErrors } from "../common/shell.js";
import { categoryName, heading, lastPosition, online, position, ticketBox } from "./kit.js";
import { items, keep, onChange, remove, send } from "./outbox.js";
import { shrink } from "./photos.js";
import { loadNotice, markSeen, noticeBlock, seenVersion } from "./notice.js";

const MAX_PHOTOS = 5;
const CATEGORIES = "query Categories { categories { code nameId nameEn descriptionId } }";

async function categories(slug) {
  const key = `jogo.categories:${slug}`;
  try {
    const list = (await gql(CATEGORIES)).categories;
    try { localStorage.setItem(key, JSON.stringify(list)); } catch { /* full */ }
    return list;
  } catch (error) {
    const saved = (() => { try { return JSON.parse(localStorage.getItem(key) || "null"); } catch { return null; } })();
    if (saved) return saved;
    throw error;
  }
}

/** The kept reports of this phone: waiting, sent (ticket, PIN) or refused. */
function outboxList(box, scope) {
  const draw = async () => {
    const list = (await items(scope)).reverse();
    replace(box, list.map((item) => {
      const title = h("strong", { text: item.input.title });
      if (item.state === "waiting") {
        return h("div", { class: "card kept waiting", dataset: { state: "waiting", key: item.clientKey } },
          title, h("p", { class: "state", role: "status", text: t("outbox.waiting") }),
          h("p", { class: "muted", text: t("outbox.waiting.hint", { time: fmtDateTime(new Date(item.createdAt).toISOString()) }) }));
      }
      if (item.state === "sent") {
        return h("div", { class: "card kept sent", dataset: { state: "sent", key: item.clientKey } },
          title, h("p", { class: "state ok-text", role: "status", text: t("outbox.sent") }),
          ticketBox(item.ticket, item.pin),
          h("button", { type: "button", class: "link", text: t("outbox.dismiss"), onclick: () => remove(item.clientKey) }));
      }
      return h("div", { class: "card kept failed", dataset: { state: "failed", key: item.clientKey } },
        title, h("p", { class: "state error", role: "alert", text: t("outbox.failed") }),
        h("p", { text: (item.errors || []).map((e) => errorText(e)).join(" ") }),
        h("button", { type: "button", class: "link", text: t("outbox.dismiss"), onclick: () => remove(item.clientKey) }));
    }));
  };
  draw();
  return onChange(() => draw());
}

function photoPicker(state) {
  const list = h("div", { class: "thumbs", "aria-live": "polite" });
  const draw = () => replace(list, state.photos.map((p, i) => h("figure", { class: "thumb" },
    h("img", { src: p.url, alt: t("lapor.photo.n", { n: i + 1 }) }),
    h("figcaption", { class: "muted", text: `${p.width || "?"}×${p.height || "?"} · ${Math.round(p.blob.size / 1024)} kB` }),
    h("button", { type: "button", class: "link", text: t("lapor.photo.remove"), onclick: () => { URL.revokeObjectURL(p.url); state.photos.splice(i, 1); draw(); } }))));
  const take = async (input) => {
    const files = Array.from(input.files || []);
    input.value = "";
    for (const file of files) {
      if (state.photos.length >= MAX_PHOTOS) { toast(t("lapor.photo.max", { n: MAX_PHOTOS }), "error"); break; }
      try {
        const blob = await shrink(file);
        const bitmap = await createImageBitmap(blob);
        state.photos.push({ blob, url: URL.createObjectURL(blob), width: bitmap.width, height: bitmap.height });
        bitmap.close();
      } catch {
        toast(t("lapor.photo.bad", { name: file.name }), "error");
      }
    }
    draw();
    list.dataset.ready = String(state.photos.length);
  };
  const camera = h("input", { type: "file", accept: "image/*", capture: "environment", class: "hidden", name: "camera", onchange: (e) => take(e.target) });
  const gallery = h("input", { type: "file", accept: "image/*", multiple: true, class: "hidden", name: "photos", onchange: (e) => take(e.target) });
  return h("fieldset", { class: "photos" },
    h("legend", { text: t("lapor.photos") }),
    h("div", { class: "row" },
      h("button", { type: "button", text: t("lapor.photo.take"), onclick: () => camera.click() }),
      h("button", { type: "button", text: t("lapor.photo.choose"), onclick: () => gallery.click() })),
    camera, gallery, list,
    h("p", { class: "muted small", text: t("lapor.photo.hint") }));
}

function placePicker(state, mapBox) {
  const where = h("p", { class: "muted small", "data-field": "latitude", text: t("lapor.place.none") });
  let map = null;
  let marker = null;
  const show = () => {
    where.textContent = state.lat === null ? t("lapor.place.none")
      : t("lapor.place.at", { lat: state.lat.toFixed(5), lon: state.lon.toFixed(5) });
  };
  const put = (lat, lon, zoom = null) => {
    state.lat = lat;
    state.lon = lon;
    if (map) {
      if (!marker) {
        marker = window.L.marker([lat, lon], { draggable: true, autoPan: true, title: t("lapor.place.pin") }).addTo(map);
        marker.on("dragend", () => { const p = marker.getLatLng(); state.lat = p.lat; state.lon = p.lng; show(); });
      } else marker.setLatLng([lat, lon]);
      map.setView([lat, lon], zoom || Math.max(map.getZoom(), 16));
    }
    show();
  };
  const locate = async () => {
    where.textContent = t("lapor.place.finding");
    const pos = await position();
    if (pos) put(pos.lat, pos.lon, 17);
    else { show(); toast(t("lapor.place.nogps"), "error"); }
  };
  const init = () => {
    if (!window.L) return;
    const last = lastPosition();
    map = makeMap(mapBox, { bounds: INDONESIA });
    if (last) map.setView([last.lat, last.lon], 13);
    map.on("click", (e) => put(e.latlng.lat, e.latlng.lng, map.getZoom()));
  };
  const block = h("fieldset", { class: "place" },
    h("legend", { text: t("lapor.place") }),
    h("div", { class: "row" }, h("button", { type: "button", text: t("lapor.place.gps"), onclick: locate })),
    mapBox, where, h("p", { class: "muted small", text: t("lapor.place.hint") }),
    h("label", {}, t("lapor.address"), h("input", { name: "address", maxLength: 500, autocomplete: "street-address" })));
  return { block, init, locate, destroy: () => removeMap(map) };
}

function notifyBlock() {
  const address = h("input", { name: "notifyAddress", "data-field": "notify", autocomplete: "tel", placeholder: "0812…" });
  const channel = h("select", { name: "notifyChannel", onchange: () => {
    address.closest("label").classList.toggle("hidden", channel.value === "");
    address.type = channel.value === "EMAIL" ? "email" : "tel";
    address.placeholder = channel.value === "EMAIL" ? "nama@contoh.id" : "0812…";
  } },
  h("option", { value: "", text: t("notify.none") }),
  h("option", { value: "WHATSAPP", text: "WhatsApp" }),
  h("option", { value: "SMS", text: "SMS" }),
  h("option", { value: "EMAIL", text: t("notify.email") }));
  const box = h("div", { class: "notify-box" },
    h("label", {}, t("lapor.notify"), channel),
    h("label", { class: "hidden" }, t("lapor.notify.address"), address),
    h("p", { class: "muted small", text: t("lapor.notify.hint") }));
  return { box, value: () => (channel.value && address.value.trim() ? { channel: channel.value, address: address.value.trim() } : null) };
}

export const reportView = {
  id: "lapor",
  label: "nav.lapor",
  icon: "✎",
  async render(main, ctx) {
    const state = { photos: [], lat: null, lon: null };
    const kept = h("div", { class: "kept-list" });
    const result = h("div", { class: "result", "aria-live": "polite" });
    const mapBox = h("div", { class: "map map-pick", id: "lapor-map" });
    const place = placePicker(state, mapBox);
    const notify = notifyBlock();
    const noticeBox = h("div", { class: "card notice-box" });
    let shownNotice = null;
    loadNotice().then((n) => {
      if (!n) return;
      shownNotice = n;
      // Before the first report (or a new version): open, with a lead line.
      const first = seenVersion() !== n.version;
      replace(noticeBox, first ? h("p", { class: "small", text: t("lapor.notice.first") }) : null, noticeBlock(n, first));
      markSeen(n.version);
    });
    const anonymous = h("input", { type: "checkbox", name: "anonymous", checked: !ctx.signedIn, disabled: !ctx.signedIn });
    const notifyWrap = h("div", { class: anonymous.checked ? "" : "hidden" }, notify.box);
    anonymous.addEventListener("change", () => notifyWrap.classList.toggle("hidden", !anonymous.checked));
    const category = h("select", { name: "categoryCode", required: true }, h("option", { value: "", text: t("lapor.category.pick") }));
    const submitButton = h("button", { type: "submit", class: "primary big", text: t("lapor.submit") });
    const form = h("form", { class: "card report-form", novalidate: true },
      h("label", {}, t("lapor.category"), category),
      h("label", {}, t("lapor.title"), h("input", { name: "title", required: true, minLength: 5, maxLength: 200, autocomplete: "off" })),
      h("label", {}, t("lapor.description"), h("textarea", { name: "description", required: true, minLength: 10, maxLength: 5000, rows: 4 })),
      photoPicker(state),
      place.block,
      h("label", { class: "inline" }, anonymous, t("lapor.anonymous")),
      ctx.signedIn ? h("p", { class: "muted small", text: t("lapor.anonymous.hint") }) : h("p", { class: "muted small" }, t("lapor.anonymous.forced"), " ", h("a", { href: "#/akun", text: t("nav.akun") })),
      notifyWrap,
      h("p", { class: "form-error", role: "alert" }),
      submitButton);
    replace(main, ...heading("lapor.heading", "lapor.lead"), result, kept, noticeBox, form);
    const offOutbox = outboxList(kept, ctx.config.scope);
    // The "no signal, kept" notice goes once the kept report has gone out.
    const offSent = onChange((item) => {
      if (item && item.state === "sent" && result.querySelector(".waiting")) replace(result);
    });
    place.init();
    try {
      for (const c of await categories(ctx.config.slug)) category.append(h("option", { value: c.code, text: categoryName(c) }));
    } catch (error) {
      showErrors(form, [{ code: error.code || "NETWORK", message: error.message }]);
    }
    if (state.lat === null) place.locate();

    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const data = new FormData(form);
      const local = [];
      if (!data.get("categoryCode")) local.push({ code: "INVALID_INPUT", field: "categoryCode", message: t("lapor.need.category") });
      if (String(data.get("title") || "").trim().length < 5) local.push({ code: "INVALID_INPUT", field: "title", message: t("lapor.need.title") });
      if (String(data.get("description") || "").trim().length < 10) local.push({ code: "INVALID_INPUT", field: "description", message: t("lapor.need.description") });
      if (state.lat === null) local.push({ code: "INVALID_INPUT", field: "latitude", message: t("lapor.need.place") });
      if (local.length) {
        showErrors(form, local);
        for (const e of local) { const note = form.querySelector(`.field-error[data-field="${e.field}"]`); if (note) note.textContent = e.message; }
        return;
      }
      const input = {
        categoryCode: String(data.get("categoryCode")),
        title: String(data.get("title")).trim(),
        description: String(data.get("description")).trim(),
        latitude: state.lat,
        longitude: state.lon,
        address: String(data.get("address") || "").trim() || null,
        anonymous: anonymous.checked,
        occurredAt: new Date().toISOString(),
        // The notice shown (recorded on the report; never a reason to refuse it).
        noticeVersion: shownNotice?.version || seenVersion() || null,
      };
      const channel = anonymous.checked ? notify.value() : null;
      if (channel) input.notify = { ...channel, locale: document.documentElement.lang === "en" ? "en" : "id" };
      const item = {
        clientKey: newClientKey(),
        scope: ctx.config.scope,
        input,
        photos: state.photos.map((p) => p.blob),
        signedIn: ctx.signedIn,
      };
      submitButton.disabled = true;
      try {
        await keep(item);
        const reset = () => {
          form.reset();
          anonymous.checked = !ctx.signedIn;
          for (const p of state.photos) URL.revokeObjectURL(p.url);
          state.photos.splice(0);
          form.querySelector(".thumbs").replaceChildren();
          showErrors(form, []);
        };
        if (!online()) {
          reset();
          window.scrollTo({ top: 0 });
          replace(result, h("div", { class: "card waiting", role: "status", text: t("outbox.kept.offline") }));
          return;
        }
        const done = await send(item, ctx.config.endpoint);
        if (done.state === "failed") {
          await remove(item.clientKey); // wrong input: the citizen fixes the form, nothing waits
          showErrors(form, done.errors);
          return;
        }
        reset();
        replace(result, done.state === "sent" ? null : h("div", { class: "card waiting", role: "status", text: t("outbox.kept.offline") }));
        window.scrollTo({ top: 0 });
      } finally {
        submitButton.disabled = false;
      }
    });
    return () => { offOutbox(); offSent(); place.destroy(); for (const p of state.photos) URL.revokeObjectURL(p.url); };
  },
};
