// One bulletin's editor: its content, its area drawn on the map (polygon or circle) or
// given as region codes, and a preview of its CAP alert (the served XML once published,
// the fields that will go into it before). Drafts are saved and published; a published
// bulletin is updated (a CAP Update replacing it) or cancelled with a reason.

import { config, gql, newClientKey } from "../common/api.js";
import { h, replace, toast } from "../common/dom.js";
import { extend, fmtDateTime, t } from "../common/i18n.js";
import { makeMap, removeMap } from "../common/map.js";
import { showErrors } from "../common/shell.js";
import { AreaDrawer } from "./draw.js";
import { failed, fitToCommand, isoFromLocal, labelled, localInput, selectOf, submitForm, tenantInfo } from "./ops.js";

export const BULLETIN_FIELDS = `id messageType status category categoryName categoryNameEn severity urgency certainty
  headline description instruction headlineEn descriptionEn instructionEn
  area { description polygon circle { latitude longitude radiusM } regionCodes }
  validFrom validUntil publishedAt note`;

const CATEGORIES = ["TRAFFIC", "WEATHER", "SECURITY", "ELECTION", "MISSING_PERSON", "DISASTER", "HEALTH", "OTHER"];
const SEVERITY = ["EXTREME", "SEVERE", "MODERATE", "MINOR", "UNKNOWN"];
const URGENCY = ["IMMEDIATE", "EXPECTED", "FUTURE", "PAST", "UNKNOWN"];
const CERTAINTY = ["OBSERVED", "LIKELY", "POSSIBLE", "UNLIKELY", "UNKNOWN"];

extend({
  id: {
    "bul.cat.TRAFFIC": "Lalu lintas", "bul.cat.WEATHER": "Cuaca", "bul.cat.SECURITY": "Keamanan",
    "bul.cat.ELECTION": "Pemilu", "bul.cat.MISSING_PERSON": "Orang hilang", "bul.cat.DISASTER": "Bencana",
    "bul.cat.HEALTH": "Kesehatan", "bul.cat.OTHER": "Lainnya",
    "bul.sev.EXTREME": "Ekstrem", "bul.sev.SEVERE": "Parah", "bul.sev.MODERATE": "Sedang", "bul.sev.MINOR": "Ringan",
    "bul.urg.IMMEDIATE": "Segera", "bul.urg.EXPECTED": "Diperkirakan", "bul.urg.FUTURE": "Mendatang", "bul.urg.PAST": "Sudah lewat",
    "bul.cer.OBSERVED": "Teramati", "bul.cer.LIKELY": "Kemungkinan besar", "bul.cer.POSSIBLE": "Mungkin", "bul.cer.UNLIKELY": "Kecil kemungkinan",
    "bul.UNKNOWN": "Tidak diketahui",
    "bul.urgency": "Urgensi",
    "bul.certainty": "Kepastian",
    "bul.description": "Uraian",
    "bul.instruction": "Petunjuk bagi warga (opsional)",
    "bul.english": "Versi bahasa Inggris (opsional)",
    "bul.headlineEn": "Judul (Inggris)",
    "bul.descriptionEn": "Uraian (Inggris)",
    "bul.instructionEn": "Petunjuk (Inggris)",
    "bul.areaDesc": "Uraian wilayah",
    "bul.regionCodes": "Kode wilayah Kemendagri (opsional, pisahkan dengan koma), mis. {code}",
    "bul.validFrom": "Berlaku mulai (kosong: saat diterbitkan)",
    "bul.area": "Wilayah di peta",
    "bul.draw.polygon": "Gambar poligon",
    "bul.draw.circle": "Gambar lingkaran",
    "bul.draw.finish": "Selesai",
    "bul.draw.clear": "Hapus gambar",
    "bul.draw.radius": "Jari-jari (m)",
    "bul.draw.help.polygon": "Klik titik-titik sudut di peta; klik dua kali atau tekan Selesai untuk menutup poligon.",
    "bul.draw.help.circle": "Klik pusat lingkaran, lalu klik lagi untuk jari-jarinya, atau isi jari-jari dalam meter.",
    "bul.draw.help.none": "Pilih poligon atau lingkaran, atau isi kode wilayah.",
    "bul.draw.polygonDone": "Poligon: {n} titik",
    "bul.draw.polygonOpen": "Poligon sedang digambar: {n} titik",
    "bul.draw.circleDone": "Lingkaran: jari-jari {r} m",
    "bul.draw.nothing": "Belum ada wilayah digambar.",
    "bul.save": "Simpan draf",
    "bul.publish": "Terbitkan",
    "bul.update": "Terbitkan pembaruan",
    "bul.cancel": "Batalkan buletin",
    "bul.cancel.reason": "Alasan pembatalan",
    "bul.saved": "Draf tersimpan.",
    "bul.publishedOk": "Buletin diterbitkan.",
    "bul.cancelledOk": "Buletin dibatalkan.",
    "bul.notfound": "Buletin tidak ditemukan.",
    "bul.preview": "Pratinjau peringatan CAP",
    "bul.preview.fields": "Isian yang akan masuk ke peringatan CAP saat diterbitkan:",
    "bul.preview.served": "Peringatan CAP sebagaimana disajikan di {url}:",
    "bul.preview.notServed": "Belum atau tidak lagi tampil di umpan CAP publik (di luar masa berlaku).",
    "bul.readonly": "Buletin ini {status}: tidak dapat diubah lagi.",
    "bul.required": "Wajib diisi.",
    "bul.hint.headline": "Judul 5–160 karakter.",
    "bul.hint.description": "Uraian 10–5000 karakter.",
    "bul.hint.instruction": "Petunjuk 3–2000 karakter, atau kosongkan.",
    "bul.hint.headlineEn": "Judul Inggris 5–160 karakter; wajib bila ada teks Inggris lain.",
    "bul.hint.descriptionEn": "Uraian Inggris 10–5000 karakter, atau kosongkan.",
    "bul.hint.instructionEn": "Petunjuk Inggris 3–2000 karakter, atau kosongkan.",
    "bul.hint.area": "Uraian wilayah 2–300 karakter, dan wilayahnya: poligon, lingkaran atau kode wilayah.",
    "bul.hint.polygon": "Poligon: minimal 3 titik berbeda di Indonesia, sisi tidak saling memotong, tidak lebih luas dari wilayah komando.",
    "bul.hint.circle": "Lingkaran: pusat di Indonesia, jari-jari 10 m sampai 500 km, tidak lebih luas dari wilayah komando.",
    "bul.hint.regionCodes": "Kode Kemendagri wilayah komando ini atau di bawahnya (mis. kecamatan), paling banyak 50.",
    "bul.hint.validFrom": "Paling awal 24 jam yang lalu.",
    "bul.hint.validUntil": "Harus setelah waktu mulai dan sekarang; paling lama 90 hari.",
    "bul.hint.reason": "Isi alasannya.",
    "bul.msg.UPDATE": "Pembaruan",
    "bul.msg.CANCEL": "Pembatalan",
    "bul.note": "Catatan",
    "bul.cancelMessage": "Ini pesan pembatalan CAP yang menggantikan buletin yang dibatalkan; tampil di umpan selama 1 jam.",
  },
  en: {
    "bul.cat.TRAFFIC": "Traffic", "bul.cat.WEATHER": "Weather", "bul.cat.SECURITY": "Security",
    "bul.cat.ELECTION": "Election", "bul.cat.MISSING_PERSON": "Missing person", "bul.cat.DISASTER": "Disaster",
    "bul.cat.HEALTH": "Health", "bul.cat.OTHER": "Other",
    "bul.sev.EXTREME": "Extreme", "bul.sev.SEVERE": "Severe", "bul.sev.MODERATE": "Moderate", "bul.sev.MINOR": "Minor",
    "bul.urg.IMMEDIATE": "Immediate", "bul.urg.EXPECTED": "Expected", "bul.urg.FUTURE": "Future", "bul.urg.PAST": "Past",
    "bul.cer.OBSERVED": "Observed", "bul.cer.LIKELY": "Likely", "bul.cer.POSSIBLE": "Possible", "bul.cer.UNLIKELY": "Unlikely",
    "bul.UNKNOWN": "Unknown",
    "bul.urgency": "Urgency",
    "bul.certainty": "Certainty",
    "bul.description": "Description",
    "bul.instruction": "Instruction to the public (optional)",
    "bul.english": "English version (optional)",
    "bul.headlineEn": "Headline (English)",
    "bul.descriptionEn": "Description (English)",
    "bul.instructionEn": "Instruction (English)",
    "bul.areaDesc": "Area description",
    "bul.regionCodes": "Kemendagri region codes (optional, comma-separated), e.g. {code}",
    "bul.validFrom": "Valid from (empty: when published)",
    "bul.area": "Area on the map",
    "bul.draw.polygon": "Draw polygon",
    "bul.draw.circle": "Draw circle",
    "bul.draw.finish": "Finish",
    "bul.draw.clear": "Clear drawing",
    "bul.draw.radius": "Radius (m)",
    "bul.draw.help.polygon": "Click the corners on the map; double-click or press Finish to close the polygon.",
    "bul.draw.help.circle": "Click the centre, then click again for the radius, or type the radius in metres.",
    "bul.draw.help.none": "Choose polygon or circle, or give region codes.",
    "bul.draw.polygonDone": "Polygon: {n} points",
    "bul.draw.polygonOpen": "Drawing a polygon: {n} points",
    "bul.draw.circleDone": "Circle: radius {r} m",
    "bul.draw.nothing": "No area drawn yet.",
    "bul.save": "Save draft",
    "bul.publish": "Publish",
    "bul.update": "Publish update",
    "bul.cancel": "Cancel bulletin",
    "bul.cancel.reason": "Reason for cancelling",
    "bul.saved": "Draft saved.",
    "bul.publishedOk": "Bulletin published.",
    "bul.cancelledOk": "Bulletin cancelled.",
    "bul.notfound": "Bulletin not found.",
    "bul.preview": "CAP alert preview",
    "bul.preview.fields": "The fields that will go into the CAP alert when published:",
    "bul.preview.served": "The CAP alert as served at {url}:",
    "bul.preview.notServed": "Not (or no longer) in the public CAP feed (outside its validity).",
    "bul.readonly": "This bulletin is {status}: it cannot be changed any more.",
    "bul.required": "Required.",
    "bul.hint.headline": "Headline of 5–160 characters.",
    "bul.hint.description": "Description of 10–5000 characters.",
    "bul.hint.instruction": "Instruction of 3–2000 characters, or leave it empty.",
    "bul.hint.headlineEn": "English headline of 5–160 characters; needed with any other English text.",
    "bul.hint.descriptionEn": "English description of 10–5000 characters, or leave it empty.",
    "bul.hint.instructionEn": "English instruction of 3–2000 characters, or leave it empty.",
    "bul.hint.area": "Area description of 2–300 characters, and the area: a polygon, a circle or region codes.",
    "bul.hint.polygon": "Polygon: at least 3 distinct points in Indonesia, edges not crossing, no larger than the command's region.",
    "bul.hint.circle": "Circle: centre in Indonesia, radius 10 m to 500 km, no larger than the command's region.",
    "bul.hint.regionCodes": "Kemendagri codes of this command's region or below it (e.g. a kecamatan), at most 50.",
    "bul.hint.validFrom": "At most 24 hours ago.",
    "bul.hint.validUntil": "After the start and now; 90 days at most.",
    "bul.hint.reason": "Give the reason.",
    "bul.msg.UPDATE": "Update",
    "bul.msg.CANCEL": "Cancel",
    "bul.note": "Note",
    "bul.cancelMessage": "This is the CAP cancel message replacing the cancelled bulletin; it stays in the feed for 1 hour.",
  },
});

const PAYLOAD = "bulletin { id status } errors { code field message }";
const Q_ONE = `query Bulletin($id: ID!) { bulletin(id: $id) { ${BULLETIN_FIELDS} } }`;
const M_DRAFT = `mutation Draft($input: BulletinContentInput!, $key: String) { draftBulletin(input: $input, clientKey: $key) { ${PAYLOAD} } }`;
const M_PUBLISH = `mutation Publish($input: BulletinContentInput, $draftId: ID, $key: String) { publishBulletin(input: $input, draftId: $draftId, clientKey: $key) { ${PAYLOAD} } }`;
const M_UPDATE = `mutation Update($id: ID!, $input: BulletinContentInput!, $key: String) { updateBulletin(id: $id, input: $input, clientKey: $key) { ${PAYLOAD} } }`;
const M_CANCEL = `mutation Cancel($id: ID!, $reason: String!, $key: String) { cancelBulletin(id: $id, reason: $reason, clientKey: $key) { ${PAYLOAD} } }`;

/** What each field takes, shown after an INVALID_INPUT on it. */
const HINTS = Object.fromEntries(["headline", "description", "instruction", "headlineEn", "descriptionEn", "instructionEn",
  "area", "polygon", "circle", "regionCodes", "validFrom", "validUntil", "reason"].map((f) => [f, `bul.hint.${f}`]));

const enumLabel = (prefix) => (v) => (v === "UNKNOWN" ? t("bul.UNKNOWN") : t(`${prefix}.${v}`));

/** Go to a hash, re-rendering when it is already the current one. */
function go(hash) {
  if (location.hash === hash) window.dispatchEvent(new HashChangeEvent("hashchange"));
  else location.hash = hash;
}

/** Idempotency keys: one per action until it succeeds or is refused with typed errors. */
class Keys {
  constructor() { this.keys = {}; }
  get(action) { return (this.keys[action] ||= newClientKey()); }
  forget(action) { delete this.keys[action]; }
}

/** A textarea holding value as its value (not as child text, which would join its label's name). */
function textarea(name, rows, value) {
  const el = h("textarea", { name, rows });
  el.value = value;
  return el;
}

function contentFields(b, tenant) {
  const v = (name) => (b ? b[name] || "" : "");
  const until = b ? new Date(b.validUntil) : new Date(Date.now() + 6 * 3600 * 1000);
  return [
    h("div", { class: "grid2" },
      labelled("bul.category", selectOf("category", CATEGORIES, (c) => t(`bul.cat.${c}`), b ? b.category : "TRAFFIC")),
      labelled("bul.severity", selectOf("severity", SEVERITY, enumLabel("bul.sev"), b ? b.severity : "MODERATE")),
      labelled("bul.urgency", selectOf("urgency", URGENCY, enumLabel("bul.urg"), b ? b.urgency : "EXPECTED")),
      labelled("bul.certainty", selectOf("certainty", CERTAINTY, enumLabel("bul.cer"), b ? b.certainty : "LIKELY"))),
    labelled("bul.headline", h("input", { name: "headline", value: v("headline"), maxLength: 200 })),
    labelled("bul.description", textarea("description", 3, v("description"))),
    labelled("bul.instruction", textarea("instruction", 2, v("instruction"))),
    h("details", { open: Boolean(b && b.headlineEn) },
      h("summary", { text: t("bul.english") }),
      labelled("bul.headlineEn", h("input", { name: "headlineEn", value: v("headlineEn") })),
      labelled("bul.descriptionEn", textarea("descriptionEn", 2, v("descriptionEn"))),
      labelled("bul.instructionEn", textarea("instructionEn", 2, v("instructionEn")))),
    labelled("bul.areaDesc", h("input", { name: "area", value: b ? b.area.description : "" })),
    h("label", {}, t("bul.regionCodes", { code: tenant.regionCode }),
      h("input", { name: "regionCodes", value: b ? b.area.regionCodes.join(", ") : "" })),
    h("div", { class: "grid2" },
      labelled("bul.validFrom", h("input", { name: "validFrom", type: "datetime-local", value: b && b.status === "DRAFT" ? localInput(new Date(b.validFrom)) : "" })),
      labelled("bul.validUntil", h("input", { name: "validUntil", type: "datetime-local", value: localInput(until) }))),
  ];
}

function readInput(form, drawer) {
  const fd = new FormData(form);
  const text = (name) => String(fd.get(name) || "").trim() || null;
  if (drawer.open) drawer.finish();
  const area = drawer.value();
  const codes = String(fd.get("regionCodes") || "").split(/[\s,;]+/).filter(Boolean);
  return {
    category: fd.get("category"),
    severity: fd.get("severity"),
    urgency: fd.get("urgency"),
    certainty: fd.get("certainty"),
    headline: String(fd.get("headline") || ""),
    description: String(fd.get("description") || ""),
    instruction: text("instruction"),
    headlineEn: text("headlineEn"),
    descriptionEn: text("descriptionEn"),
    instructionEn: text("instructionEn"),
    area: { description: String(fd.get("area") || ""), polygon: area.polygon, circle: area.circle, regionCodes: codes.length ? codes : null },
    validFrom: isoFromLocal(fd.get("validFrom")),
    validUntil: isoFromLocal(fd.get("validUntil")),
  };
}

/** The served CAP XML, one element a line, indented by depth (shown as text). */
export function prettyXml(xml) {
  let depth = 0;
  const out = [];
  for (const part of xml.replace(/>\s*</g, ">\n<").split("\n")) {
    if (part.startsWith("</")) depth = Math.max(depth - 1, 0);
    out.push("  ".repeat(depth) + part);
    if (/^<[^/?!][^>]*>$/.test(part) && !part.endsWith("/>")) depth += 1;
  }
  return out.join("\n");
}

function previewLines(input) {
  const lines = [
    ["msgType", "Alert"], ["category", input.category], ["urgency", input.urgency], ["severity", input.severity],
    ["certainty", input.certainty], ["effective", input.validFrom || "(saat terbit / on publishing)"], ["expires", input.validUntil || "—"],
    ["headline", input.headline], ["description", input.description], ["instruction", input.instruction],
    ["headline (en-US)", input.headlineEn], ["description (en-US)", input.descriptionEn], ["instruction (en-US)", input.instructionEn],
    ["areaDesc", input.area.description],
    ["polygon", input.area.polygon && input.area.polygon.map((p) => `${p.latitude},${p.longitude}`).join(" ")],
    ["circle", input.area.circle && `${input.area.circle.latitude},${input.area.circle.longitude} ${(input.area.circle.radiusM / 1000).toFixed(3)}`],
    ["geocode KEMENDAGRI", input.area.regionCodes && input.area.regionCodes.join(" ")],
  ];
  return lines.filter(([, v]) => v).map(([k, v]) => `${k}: ${v}`).join("\n");
}

/** Render the editor of bulletin id (null: a new one) into main; answers a cleanup. */
export async function bulletinEditor(main, ctx, id) {
  const tenant = await tenantInfo();
  let b = null;
  if (id) {
    try {
      b = (await gql(Q_ONE, { id })).bulletin;
    } catch (e) {
      main.append(failed(e));
      return null;
    }
    if (!b) {
      main.append(h("p", { class: "error", role: "alert", text: t("bul.notfound") }), h("a", { href: "#/bulletins", text: t("ops.back") }));
      return null;
    }
  }
  // A CANCEL message (published by cancelBulletin) is final, like a cancelled or replaced one.
  const editable = !b || b.status === "DRAFT" || (b.status === "PUBLISHED" && b.messageType !== "CANCEL");
  const keys = new Keys();
  const mapEl = h("div", { class: "map bul-map", dataset: { field: "polygon" } });
  const drawState = h("p", { class: "draw-state muted", "aria-live": "polite" });
  const radius = h("input", { name: "radius", type: "number", min: 10, step: 10, class: "radius", dataset: { field: "circle" }, "aria-label": t("bul.draw.radius"), placeholder: t("bul.draw.radius") });
  const preview = h("pre", { class: "cap-preview" });
  const previewNote = h("p", { class: "muted" });
  const form = h("form", { class: "bul-editor", novalidate: true });
  let drawer = null;

  const updateState = () => {
    if (!drawer) return;
    const area = drawer.value();
    const parts = [];
    if (drawer.open) parts.push(t("bul.draw.polygonOpen", { n: drawer.points.length }));
    else if (area.polygon) parts.push(t("bul.draw.polygonDone", { n: area.polygon.length }));
    if (area.circle) parts.push(t("bul.draw.circleDone", { r: Math.round(area.circle.radiusM) }));
    const help = drawer.mode === "polygon" && !area.polygon ? t("bul.draw.help.polygon")
      : drawer.mode === "circle" && !area.circle ? t("bul.draw.help.circle") : "";
    drawState.textContent = [parts.join(" · ") || t("bul.draw.nothing"), help].filter(Boolean).join(" — ");
    if (area.circle && document.activeElement !== radius) radius.value = String(Math.round(area.circle.radiusM));
    refreshPreview();
  };
  const refreshPreview = () => {
    if (b && b.status === "PUBLISHED" && preview.dataset.served) return;
    if (!b || b.status === "DRAFT") {
      previewNote.textContent = t("bul.preview.fields");
      preview.textContent = previewLines(readInputSafe());
    }
  };
  const readInputSafe = () => {
    const fd = new FormData(form);
    const codes = String(fd.get("regionCodes") || "").split(/[\s,;]+/).filter(Boolean);
    const area = drawer ? drawer.value() : { polygon: null, circle: null };
    const s = (n) => String(fd.get(n) || "").trim() || null;
    return { category: s("category"), severity: s("severity"), urgency: s("urgency"), certainty: s("certainty"), headline: s("headline"),
      description: s("description"), instruction: s("instruction"), headlineEn: s("headlineEn"), descriptionEn: s("descriptionEn"),
      instructionEn: s("instructionEn"), validFrom: isoFromLocal(fd.get("validFrom")), validUntil: isoFromLocal(fd.get("validUntil")),
      area: { description: s("area"), polygon: area.polygon, circle: area.circle, regionCodes: codes.length ? codes : null } };
  };

  async function run(action, query, variables, okKey) {
    const payload = await submitForm(form, query, variables, { hints: HINTS });
    if (!payload) { keys.forget(action); return null; }
    keys.forget(action);
    toast(t(okKey));
    return payload.bulletin;
  }

  const input = () => {
    const value = readInput(form, drawer);
    if (!value.validUntil) {
      showErrors(form, [{ code: "INVALID_INPUT", field: "validUntil", message: t("bul.required") }]);
      return null;
    }
    return value;
  };

  const actions = [];
  if (!b) {
    actions.push(
      h("button", { type: "button", text: t("bul.save"), onclick: async () => {
        const value = input(); if (!value) return;
        const made = await run("draft", M_DRAFT, { input: value, key: keys.get("draft") }, "bul.saved");
        if (made) go(`#/bulletins/${made.id}`);
      } }),
      h("button", { type: "submit", class: "primary", text: t("bul.publish") }));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const value = input(); if (!value) return;
      const made = await run("publish", M_PUBLISH, { input: value, key: keys.get("publish") }, "bul.publishedOk");
      if (made) go(`#/bulletins/${made.id}`);
    });
  } else if (b.status === "DRAFT") {
    actions.push(
      h("button", { type: "button", text: t("bul.save"), onclick: async () => {
        const value = input(); if (!value) return;
        const saved = await run("update", M_UPDATE, { id: b.id, input: value, key: keys.get("update") }, "bul.saved");
        if (saved) go(`#/bulletins/${saved.id}`);
      } }),
      h("button", { type: "submit", class: "primary", text: t("bul.publish") }));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const value = input(); if (!value) return;
      const saved = await submitForm(form, M_UPDATE, { id: b.id, input: value, key: keys.get("update") }, { hints: HINTS });
      keys.forget("update");
      if (!saved) return;
      const made = await run("publish", M_PUBLISH, { draftId: b.id, key: keys.get("publish") }, "bul.publishedOk");
      if (made) go(`#/bulletins/${made.id}`);
    });
  } else if (editable) {
    actions.push(h("button", { type: "submit", class: "primary", text: t("bul.update") }));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const value = input(); if (!value) return;
      const made = await run("update", M_UPDATE, { id: b.id, input: value, key: keys.get("update") }, "bul.publishedOk");
      if (made) go(`#/bulletins/${made.id}`);
    });
  } else {
    form.addEventListener("submit", (e) => e.preventDefault());
  }

  const tools = editable ? h("div", { class: "row draw-tools" },
    h("button", { type: "button", class: "draw-polygon", text: t("bul.draw.polygon"), onclick: () => drawer.start("polygon") }),
    h("button", { type: "button", class: "draw-finish", text: t("bul.draw.finish"), onclick: () => drawer.finish() }),
    h("button", { type: "button", class: "draw-circle", text: t("bul.draw.circle"), onclick: () => drawer.start("circle") }),
    radius,
    h("button", { type: "button", class: "link", text: t("bul.draw.clear"), onclick: () => drawer.clear() })) : null;

  replace(form,
    h("div", { class: "bul-fields card" },
      h("div", { class: "row ops-head" },
        h("a", { href: "#/bulletins", text: t("ops.back") }),
        h("h2", { text: b ? (b.headline) : t("bul.new") }),
        b ? h("span", { class: "badge", text: t(`bul.status.${b.status}`) }) : null,
        b && b.messageType !== "ALERT" ? h("span", { class: "badge warn", text: t(`bul.msg.${b.messageType}`) }) : null),
      b && b.publishedAt ? h("p", { class: "muted", text: `${t("bul.published")}: ${fmtDateTime(b.publishedAt)}` }) : null,
      b && b.note ? h("p", { class: "bul-note", text: `${t("bul.note")}: ${b.note}` }) : null,
      editable ? null : h("p", { class: "muted", text: b.messageType === "CANCEL" ? t("bul.cancelMessage") : t("bul.readonly", { status: t(`bul.status.${b.status}`).toLowerCase() }) }),
      h("fieldset", { disabled: !editable, class: "plain" }, contentFields(b, tenant)),
      h("p", { class: "form-error", role: "alert" }),
      h("div", { class: "row" }, actions)),
    h("div", { class: "bul-side" },
      h("div", { class: "card" }, h("h3", { text: t("bul.area") }), tools, drawState, mapEl),
      h("div", { class: "card" }, h("h3", { text: t("bul.preview") }), previewNote, preview)));

  const cancelForm = b && editable && b.status === "PUBLISHED" ? h("form", { class: "card bul-cancel", novalidate: true },
    labelled("bul.cancel.reason", h("input", { name: "reason" })),
    h("p", { class: "form-error", role: "alert" }),
    h("button", { type: "submit", class: "danger", text: t("bul.cancel") })) : null;
  if (cancelForm) {
    cancelForm.addEventListener("submit", async (e) => {
      e.preventDefault();
      const reason = String(new FormData(cancelForm).get("reason") || "");
      const payload = await submitForm(cancelForm, M_CANCEL, { id: b.id, reason, key: keys.get("cancel") }, { hints: HINTS });
      keys.forget("cancel");
      if (payload) { toast(t("bul.cancelledOk")); go(`#/bulletins/${b.id}`); } // now CANCELLED
    });
  }
  main.append(h("section", { class: "ops-page" }, form, cancelForm));

  const map = makeMap(mapEl);
  drawer = new AreaDrawer(map, updateState);
  if (!editable) map.off("click", drawer.onClick);
  radius.addEventListener("change", () => drawer.setRadius(Number(radius.value)));
  form.addEventListener("input", refreshPreview);
  if (b && (b.area.polygon || b.area.circle)) drawer.load(b.area);
  else await fitToCommand(map);
  updateState();

  if (b && b.status === "PUBLISHED") {
    const url = `/t/${config.slug}/alerts/${b.id}.cap.xml`;
    try {
      const response = await fetch(url, { credentials: "omit" });
      if (response.ok) {
        previewNote.textContent = t("bul.preview.served", { url });
        preview.textContent = prettyXml(await response.text());
        preview.dataset.served = "1";
      } else {
        previewNote.textContent = t("bul.preview.notServed");
      }
    } catch {
      previewNote.textContent = t("bul.preview.notServed");
    }
  } else if (b) {
    previewNote.textContent = t("bul.preview.notServed");
    preview.textContent = previewLines(readInputSafe());
  }
  return () => { drawer.destroy(); removeMap(map); };
}
