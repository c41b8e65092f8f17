// Admin sub-page "directory": the command's agencies and hospitals, cameras and police
// posts (deactivated ones too), each with a create/edit form and deactivate/reactivate.
// #/admin/directory/<kind> picks the list: agencies, cameras or posts.

import { gql, newClientKey } from "../common/api.js";
import { h, replace, toast } from "../common/dom.js";
import { extend, t } from "../common/i18n.js";
import { showErrors } from "../common/shell.js";
import { failed, labelled, selectOf, submitForm, table } from "./ops.js";

extend({
  id: {
    "dir.agencies": "Instansi & rumah sakit", "dir.cameras": "Kamera", "dir.posts": "Pos polisi",
    "dir.code": "Kode", "dir.kind": "Jenis", "dir.role": "Peran (mis. transport, fire)", "dir.phone": "Telepon", "dir.address": "Alamat",
    "dir.lat": "Lintang", "dir.lon": "Bujur", "dir.stream": "URL siaran", "dir.snapshot": "URL cuplikan (opsional)",
    "dir.connector": "Konektor", "dir.active": "Aktif", "dir.inactive": "Nonaktif", "dir.health": "Kondisi",
    "dir.new": "Tambah", "dir.edit": "Ubah", "dir.editing": "Mengubah: {name}", "dir.save": "Simpan perubahan",
    "dir.deactivate": "Nonaktifkan", "dir.reactivate": "Aktifkan", "dir.newForm": "Entri baru", "dir.unchanged": "(tidak diubah)",
  },
  en: {
    "dir.agencies": "Agencies & hospitals", "dir.cameras": "Cameras", "dir.posts": "Police posts",
    "dir.code": "Code", "dir.kind": "Kind", "dir.role": "Role (e.g. transport, fire)", "dir.phone": "Phone", "dir.address": "Address",
    "dir.lat": "Latitude", "dir.lon": "Longitude", "dir.stream": "Stream URL", "dir.snapshot": "Snapshot URL (optional)",
    "dir.connector": "Connector", "dir.active": "Active", "dir.inactive": "Deactivated", "dir.health": "Health",
    "dir.new": "Add", "dir.edit": "Edit", "dir.editing": "Editing: {name}", "dir.save": "Save changes",
    "dir.deactivate": "Deactivate", "dir.reactivate": "Reactivate", "dir.newForm": "New entry", "dir.unchanged": "(unchanged)",
  },
});

const ERR = "errors { code field message }";
const num = (v) => (v === "" || v === null || v === undefined ? null : Number(v));
const str = (v) => (v === null || v === undefined ? "" : String(v)).trim() || null;

const KINDS = {
  agencies: {
    list: "query { agencies(includeInactive: true) { id code name kind role phone address latitude longitude connector isActive } }",
    rows: (d) => d.agencies,
    heads: ["dir.code", "ops.name", "dir.kind", "dir.connector", "ops.status"],
    cells: (a) => [a.code, a.name, a.role ? `${a.kind} · ${a.role}` : a.kind, a.connector],
    fields: (a) => [
      a ? null : labelled("dir.code", h("input", { name: "code" })),
      labelled("ops.name", h("input", { name: "name", value: a ? a.name : "" })),
      labelled("dir.kind", selectOf("kind", ["dinas", "hospital", "cctv_operator", "utility", "other"], (k) => k, a ? a.kind : "dinas")),
      labelled("dir.role", h("input", { name: "role", value: (a && a.role) || "" })),
      labelled("dir.phone", h("input", { name: "phone", value: (a && a.phone) || "" })),
      labelled("dir.address", h("input", { name: "address", value: (a && a.address) || "" })),
      h("div", { class: "grid2" }, labelled("dir.lat", h("input", { name: "latitude", type: "number", step: "any", value: a && a.latitude !== null ? a.latitude : "" })),
        labelled("dir.lon", h("input", { name: "longitude", type: "number", step: "any", value: a && a.longitude !== null ? a.longitude : "" }))),
    ],
    input: (fd, a) => {
      const input = { name: str(fd.get("name")) || "", kind: fd.get("kind"), role: str(fd.get("role")), phone: str(fd.get("phone")), address: str(fd.get("address")), latitude: num(fd.get("latitude")), longitude: num(fd.get("longitude")) };
      if (!a) input.code = str(fd.get("code")) || "";
      return input;
    },
    create: `mutation($input: CreateAgencyInput!, $ck: String) { createAgency(input: $input, clientKey: $ck) { agency { id } ${ERR} } }`,
    update: `mutation($id: ID!, $input: UpdateAgencyInput!) { updateAgency(agencyId: $id, input: $input) { agency { id } ${ERR} } }`,
    deactivate: `mutation($id: ID!) { deactivateAgency(agencyId: $id) { agency { id } ${ERR} } }`,
    reactivate: `mutation($id: ID!) { reactivateAgency(agencyId: $id) { agency { id } ${ERR} } }`,
  },
  cameras: {
    list: "query { cameras(includeInactive: true) { id code name latitude longitude streamUrl snapshotUrl status isActive } }",
    rows: (d) => d.cameras,
    heads: ["dir.code", "ops.name", "dir.health", "dir.stream", "ops.status"],
    cells: (c) => [c.code || "", c.name, c.status, c.streamUrl],
    fields: (c) => [
      labelled("ops.name", h("input", { name: "name", value: c ? c.name : "" })),
      labelled("dir.code", h("input", { name: "code", value: (c && c.code) || "" })),
      h("div", { class: "grid2" }, labelled("dir.lat", h("input", { name: "latitude", type: "number", step: "any", value: c ? c.latitude : "" })),
        labelled("dir.lon", h("input", { name: "longitude", type: "number", step: "any", value: c ? c.longitude : "" }))),
      labelled("dir.stream", h("input", { name: "streamUrl", value: c ? c.streamUrl : "" })),
      labelled("dir.snapshot", h("input", { name: "snapshotUrl", value: (c && c.snapshotUrl) || "" })),
    ],
    input: (fd) => ({ name: str(fd.get("name")) || "", code: str(fd.get("code")), latitude: num(fd.get("latitude")), longitude: num(fd.get("longitude")), streamUrl: str(fd.get("streamUrl")) || "", snapshotUrl: str(fd.get("snapshotUrl")) }),
    create: `mutation($input: CreateCameraInput!, $ck: String) { createCamera(input: $input, clientKey: $ck) { camera { id } ${ERR} } }`,
    update: `mutation($id: ID!, $input: UpdateCameraInput!) { updateCamera(cameraId: $id, input: $input) { camera { id } ${ERR} } }`,
    deactivate: `mutation($id: ID!) { deactivateCamera(cameraId: $id) { camera { id } ${ERR} } }`,
    reactivate: `mutation($id: ID!) { reactivateCamera(cameraId: $id) { camera { id } ${ERR} } }`,
  },
  posts: {
    list: "query { policePosts(includeInactive: true) { id kind name latitude longitude phone address isActive } }",
    rows: (d) => d.policePosts,
    // The API lists a post as a facility: its own kind (Polsek, pos) is not given back.
    heads: ["ops.name", "dir.phone", "dir.address", "ops.status"],
    cells: (p) => [p.name, p.phone || "", p.address || ""],
    fields: (p) => [
      labelled("ops.name", h("input", { name: "name", value: p ? p.name : "" })),
      labelled("dir.kind", selectOf("kind", p ? ["", "POLSEK", "POS_POLISI"] : ["POLSEK", "POS_POLISI"], (k) => k || t("dir.unchanged"), p ? "" : "POS_POLISI")),
      h("div", { class: "grid2" }, labelled("dir.lat", h("input", { name: "latitude", type: "number", step: "any", value: p ? p.latitude : "" })),
        labelled("dir.lon", h("input", { name: "longitude", type: "number", step: "any", value: p ? p.longitude : "" }))),
      labelled("dir.phone", h("input", { name: "phone", value: (p && p.phone) || "" })),
      labelled("dir.address", h("input", { name: "address", value: (p && p.address) || "" })),
    ],
    input: (fd) => ({ name: str(fd.get("name")) || "", kind: str(fd.get("kind")), latitude: num(fd.get("latitude")), longitude: num(fd.get("longitude")), phone: str(fd.get("phone")), address: str(fd.get("address")) }),
    // createPolicePost takes its fields as arguments, not an input object.
    create: `mutation($name: String!, $kind: String!, $latitude: Float!, $longitude: Float!, $phone: String, $address: String, $ck: String) {
      createPolicePost(name: $name, kind: $kind, latitude: $latitude, longitude: $longitude, phone: $phone, address: $address, clientKey: $ck) { id ${ERR} } }`,
    update: `mutation($id: ID!, $input: UpdatePolicePostInput!) { updatePolicePost(policePostId: $id, input: $input) { id ${ERR} } }`,
    deactivate: `mutation($id: ID!) { deactivatePolicePost(policePostId: $id) { id ${ERR} } }`,
    reactivate: `mutation($id: ID!) { reactivatePolicePost(policePostId: $id) { id ${ERR} } }`,
  },
};

/** Render the directory page (kind: agencies, cameras or posts) into body. */
export async function renderDirectory(body, ctx, param) {
  const kind = KINDS[param] ? param : "agencies";
  const spec = KINDS[kind];
  const list = h("div", {});
  const formBox = h("div", {});
  let clientKey = newClientKey();

  const showForm = (item) => {
    const form = h("form", { class: "card dir-form", novalidate: true },
      h("h3", { text: item ? t("dir.editing", { name: item.name }) : t("dir.newForm") }),
      spec.fields(item),
      h("p", { class: "form-error", role: "alert" }),
      h("div", { class: "row" }, h("button", { type: "submit", class: "primary", text: item ? t("dir.save") : t("dir.new") }),
        item ? h("button", { type: "button", text: t("app.cancel"), onclick: () => showForm(null) }) : null));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const input = spec.input(new FormData(form), item);
      // Coordinates a camera or post cannot go without: said here, before the request.
      const missing = item || kind === "agencies" ? [] : ["latitude", "longitude"].filter((f) => input[f] === null);
      if (showErrors(form, missing.map((field) => ({ code: "INVALID_INPUT", field, message: "required" })))) return;
      let done;
      // An update sends only the fields given: an empty one is left as it is.
      if (item) done = await submitForm(form, spec.update, { id: item.id, input: Object.fromEntries(Object.entries(input).filter(([, v]) => v !== null)) });
      else if (kind === "posts") done = await submitForm(form, spec.create, { ...input, ck: clientKey });
      else done = await submitForm(form, spec.create, { input, ck: clientKey });
      // A new key after a create went through; a failed one (a lost answer too) is sent
      // again with its key, so the server makes it once.
      if (!item && done) clientKey = newClientKey();
      if (done) { toast(t("app.saved")); showForm(null); load(); }
    });
    if (!item) form.addEventListener("input", () => { clientKey = newClientKey(); });
    replace(formBox, form);
  };

  const load = async () => {
    try {
      const items = spec.rows(await gql(spec.list)) || [];
      replace(list, table([...spec.heads, "ops.actions"], items.map((item) => {
        const act = h("form", { class: "row", novalidate: true });
        replace(act,
          h("button", { type: "button", text: t("dir.edit"), onclick: () => showForm(item) }),
          h("button", { type: "button", class: item.isActive ? "danger" : "", text: item.isActive ? t("dir.deactivate") : t("dir.reactivate"), onclick: async () => {
            if (await submitForm(act, item.isActive ? spec.deactivate : spec.reactivate, { id: item.id })) load();
          } }),
          h("p", { class: "form-error", role: "alert" }));
        return [...spec.cells(item), h("span", { class: ["badge", item.isActive ? "ok" : ""], text: item.isActive ? t("dir.active") : t("dir.inactive") })].concat([act]);
      }), { class: `dir-table dir-${kind}` }));
    } catch (e) {
      replace(list, failed(e));
    }
  };

  body.append(h("nav", { class: "subtabs minor" }, Object.keys(KINDS).map((k) => h("a", { href: `#/admin/directory/${k}`, class: k === kind ? "active" : null, text: t(`dir.${k}`) }))),
    h("div", { class: "admin-split" }, list, formBox));
  showForm(null);
  await load();
}
