// Shared pieces of the console's bulletin, moderation, election and admin views: the
// command's profile (modules), forms whose typed errors land next to their fields, small
// tables, and a map fitted to the command's own ground.

import { ApiError, gql } from "../common/api.js";
import { h } from "../common/dom.js";
import { errorText, extend, t } from "../common/i18n.js";
import { showErrors } from "../common/shell.js";

extend({
  id: {
    "ops.module.off": "Modul \"{module}\" tidak aktif untuk komando ini.",
    "ops.module.off.hint": "Hubungi admin platform untuk mengaktifkannya.",
    "ops.yes": "Ya",
    "ops.no": "Tidak",
    "ops.actions": "Tindakan",
    "ops.status": "Status",
    "ops.name": "Nama",
    "ops.created": "Dibuat",
    "ops.back": "← Kembali",
    "ops.once": "Catat sekarang: ini hanya ditampilkan sekali.",
    "ops.copy": "Salin",
    "ops.copied": "Tersalin.",
  },
  en: {
    "ops.module.off": "The \"{module}\" module is not enabled for this command.",
    "ops.module.off.hint": "Ask the platform admin to enable it.",
    "ops.yes": "Yes",
    "ops.no": "No",
    "ops.actions": "Actions",
    "ops.status": "Status",
    "ops.name": "Name",
    "ops.created": "Created",
    "ops.back": "← Back",
    "ops.once": "Write it down now: it is shown only once.",
    "ops.copy": "Copy",
    "ops.copied": "Copied.",
  },
});

let tenantPromise = null;

/** This command's profile ({slug, name, regionCode, regionName, modules, timeZone}), asked once per page. */
export function tenantInfo() {
  if (!tenantPromise) {
    tenantPromise = gql("query Tenant { tenant { slug name regionCode regionName modules timeZone } }")
      .then((d) => d.tenant)
      .catch((e) => { tenantPromise = null; throw e; });
  }
  return tenantPromise;
}

/** Render a "module off" card into main and answer true when the command lacks module. */
export async function lacksModule(main, module) {
  const tenant = await tenantInfo();
  if (tenant.modules.includes(module)) return false;
  main.append(h("div", { class: "card module-off", role: "status" },
    h("p", { text: t("ops.module.off", { module }) }),
    h("p", { class: "muted", text: t("ops.module.off.hint") })));
  return true;
}

/** Add, after each INVALID_INPUT shown next to a field, what that field takes (hints:
 * {field: i18n key}): the code says what is wrong, the hint how to put it right. */
function addHints(form, errors, hints) {
  for (const error of errors) {
    const field = error.field ? String(error.field).split(".").pop() : null;
    if (error.code !== "INVALID_INPUT" || !field || !hints[field]) continue;
    const note = form.querySelector(`.field-error[data-field="${CSS.escape(field)}"]`);
    if (note && !note.dataset.hinted) { note.textContent += ` ${t(hints[field])}`; note.dataset.hinted = "1"; }
  }
}

/**
 * Run a mutation for a form: its payload's typed errors (or a request-level error) are
 * shown next to the fields; answers the payload without errors, else null.
 * pick(data) selects the payload from the answer (default: the first field); hints:
 * {field: i18n key} of what a field takes, added to an INVALID_INPUT on it.
 */
export async function submitForm(form, query, variables, { pick = (d) => Object.values(d)[0], hints = {} } = {}) {
  const buttons = [...form.querySelectorAll("button")];
  buttons.forEach((b) => { b.disabled = true; });
  try {
    const payload = pick(await gql(query, variables));
    const errors = payload.errors || [];
    if (showErrors(form, errors)) { addHints(form, errors, hints); return null; }
    return payload;
  } catch (e) {
    const error = e instanceof ApiError ? e : new ApiError("INTERNAL", String(e));
    showErrors(form, [{ code: error.code, field: error.field, message: error.message }]);
    return null;
  } finally {
    buttons.forEach((b) => { b.disabled = false; });
  }
}

/** A labelled control: h("label", {}, text, control). */
export const labelled = (key, control, extra = {}) => h("label", extra, t(key), control);

/** A <select name> of values, each shown as label(value). */
export function selectOf(name, values, label = (v) => v, selected = null, extra = {}) {
  return h("select", { name, ...extra }, values.map((v) => h("option", { value: v, selected: v === selected, text: label(v) })));
}

/** A table: headers are i18n keys; rows are arrays of cells (nodes or text). */
export function table(headers, rows, extra = {}) {
  return h("table", extra,
    h("thead", {}, h("tr", {}, headers.map((key) => h("th", { text: key ? t(key) : "" })))),
    h("tbody", {}, rows.length
      ? rows.map((cells) => h("tr", {}, cells.map((c) => h("td", {}, c))))
      : h("tr", {}, h("td", { colSpan: headers.length, class: "muted", text: t("app.none") }))));
}

/** An error paragraph for a failed read. */
export const failed = (error) => h("p", { class: "error", role: "alert", text: errorText(error) });

/** A box showing a secret once (an activation code, an API key) under title (text), with a copy button. */
export function onceBox(title, secret, extra = []) {
  const value = h("code", { class: "secret", text: secret });
  return h("div", { class: "card once", role: "status" },
    h("strong", { text: title }),
    h("div", { class: "row" }, value,
      h("button", { type: "button", text: t("ops.copy"), onclick: () => navigator.clipboard?.writeText(secret).then(() => { value.classList.add("copied"); }, () => {}) })),
    extra,
    h("p", { class: "muted", text: t("ops.once") }));
}

/** Fit the map to the command's ground: its jurisdiction, else its police posts and
 * hospitals (public lists), else leave it. The posts and hospitals stay on the map as
 * small grey landmarks (a map without tiles has nothing else to go by). */
export async function fitToCommand(map) {
  const L = window.L;
  try {
    const data = await gql("query Ground { jurisdiction { geojson } policePosts { latitude longitude } hospitals { latitude longitude } }");
    const geo = data.jurisdiction && data.jurisdiction.geojson;
    let fitted = false;
    if (geo) {
      const outline = L.geoJSON(JSON.parse(geo), { style: { color: "#0b3d91", weight: 2, fill: false, interactive: false } }).addTo(map);
      if (outline.getBounds().isValid()) { map.fitBounds(outline.getBounds(), { maxZoom: 15 }); fitted = true; }
    }
    const points = [...(data.policePosts || []), ...(data.hospitals || [])].filter((p) => p.latitude !== null && p.longitude !== null);
    for (const p of points) {
      L.circleMarker([p.latitude, p.longitude], { radius: 3, color: "#5d6b7a", weight: 1, fillColor: "#5d6b7a", fillOpacity: 0.6, interactive: false }).addTo(map);
    }
    if (!fitted && points.length) map.fitBounds(L.latLngBounds(points.map((p) => [p.latitude, p.longitude])).pad(0.05), { maxZoom: 14 });
  } catch { /* the map stays on Indonesia */ }
}

/** datetime-local value (local time) for a Date. */
export function localInput(date) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** An ISO date-time with offset from a datetime-local value (or null when empty). */
export function isoFromLocal(value) {
  if (!value) return null;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}
