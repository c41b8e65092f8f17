// Admin sub-page "people": the command's members (search, role and status filters, pages
// of 50), a new member with the activation code shown once, role changes, deactivation
// and reactivation, password-reset codes; and the command's units (create, status, retire).

import { gql, newClientKey } from "../common/api.js";
import { h, replace, toast } from "../common/dom.js";
import { extend, fmtDateTime, t } from "../common/i18n.js";
import { failed, labelled, onceBox, selectOf, submitForm, table } from "./ops.js";

const ROLES = ["OFFICER", "OPERATOR", "TENANT_ADMIN", "AGENCY_LIAISON", "CITIZEN"];
const UNIT_KINDS = ["SAMAPTA", "RESKRIM", "LANTAS", "RESNARKOBA", "INTELKAM", "BINMAS", "SPKT", "OTHER"];
const UNIT_STATUS = ["AVAILABLE", "BUSY", "OFF_DUTY"];

extend({
  id: {
    "ppl.members": "Anggota",
    "ppl.username": "Nama pengguna",
    "ppl.fullName": "Nama lengkap",
    "ppl.role": "Peran",
    "ppl.agency": "Instansi (untuk penghubung instansi)",
    "ppl.noAgency": "—",
    "ppl.new": "Tambah anggota",
    "ppl.create": "Tambah",
    "ppl.code": "Kode aktivasi untuk {user}",
    "ppl.codeUntil": "Berlaku sampai {at}. Berikan kepada yang bersangkutan untuk memilih kata sandinya sendiri.",
    "ppl.reset": "Kode atur ulang sandi",
    "ppl.resetCode": "Kode atur ulang kata sandi untuk {user}",
    "ppl.reset2fa": "Hapus verifikasi dua langkah",
    "ppl.reset2faConfirm": "Hapus verifikasi dua langkah (TOTP) {user}? Mereka mendaftarkannya lagi saat masuk berikutnya.",
    "ppl.reset2faDone": "Verifikasi dua langkah {user} dihapus.",
    "ppl.changeRole": "Ubah peran",
    "ppl.deactivate": "Nonaktifkan",
    "ppl.reactivate": "Aktifkan kembali",
    "ppl.search": "Cari nama",
    "ppl.anyRole": "Semua peran",
    "ppl.anyStatus": "Semua status",
    "ppl.status.ACTIVE": "Aktif", "ppl.status.PENDING": "Belum aktivasi", "ppl.status.DEACTIVATED": "Nonaktif",
    "role.OFFICER": "Petugas", "role.OPERATOR": "Operator", "role.TENANT_ADMIN": "Admin komando",
    "role.AGENCY_LIAISON": "Penghubung instansi", "role.CITIZEN": "Warga",
    "ppl.units": "Unit",
    "ppl.unitNew": "Unit baru",
    "ppl.unitKind": "Jenis",
    "ppl.unitMembers": "Anggota unit",
    "ppl.unitRetire": "Bubarkan",
    "ppl.unitEdit": "Atur anggota",
    "ppl.unitInactive": "Tampilkan unit yang dibubarkan",
    "ppl.unit.AVAILABLE": "Siaga", "ppl.unit.BUSY": "Bertugas", "ppl.unit.OFF_DUTY": "Lepas dinas",
    "ppl.done": "Tersimpan.",
  },
  en: {
    "ppl.members": "Members",
    "ppl.username": "Username",
    "ppl.fullName": "Full name",
    "ppl.role": "Role",
    "ppl.agency": "Agency (for agency liaisons)",
    "ppl.noAgency": "—",
    "ppl.new": "Add a member",
    "ppl.create": "Add",
    "ppl.code": "Activation code for {user}",
    "ppl.codeUntil": "Valid until {at}. Give it to them so they choose their own password.",
    "ppl.reset": "Password reset code",
    "ppl.resetCode": "Password reset code for {user}",
    "ppl.reset2fa": "Reset two-step verification",
    "ppl.reset2faConfirm": "Remove {user}'s two-step verification (TOTP)? They enrol again at their next sign-in.",
    "ppl.reset2faDone": "{user}'s two-step verification was removed.",
    "ppl.changeRole": "Change role",
    "ppl.deactivate": "Deactivate",
    "ppl.reactivate": "Reactivate",
    "ppl.search": "Search name",
    "ppl.anyRole": "Any role",
    "ppl.anyStatus": "Any status",
    "ppl.status.ACTIVE": "Active", "ppl.status.PENDING": "Not activated", "ppl.status.DEACTIVATED": "Deactivated",
    "role.OFFICER": "Officer", "role.OPERATOR": "Operator", "role.TENANT_ADMIN": "Command admin",
    "role.AGENCY_LIAISON": "Agency liaison", "role.CITIZEN": "Citizen",
    "ppl.units": "Units",
    "ppl.unitNew": "New unit",
    "ppl.unitKind": "Kind",
    "ppl.unitMembers": "Unit members",
    "ppl.unitRetire": "Retire",
    "ppl.unitEdit": "Set members",
    "ppl.unitInactive": "Show retired units",
    "ppl.unit.AVAILABLE": "Available", "ppl.unit.BUSY": "Busy", "ppl.unit.OFF_DUTY": "Off duty",
    "ppl.done": "Saved.",
  },
});

const MEMBER = "id username fullName roles status createdAt deactivatedAt";
const ERR = "errors { code field message }";
const MEMBERS = `query Members($after: String, $search: String, $role: MemberRole, $status: MemberStatus) {
  members(first: 50, after: $after, search: $search, role: $role, status: $status) { edges { node { ${MEMBER} } } pageInfo { hasNextPage endCursor } } }`;
const AGENCIES = "query Agencies { agencies { id name kind } }";
const CREATE = `mutation CreateMember($input: CreateMemberInput!, $ck: String) { createMember(input: $input, clientKey: $ck) {
  activationCode activationExpiresAt member { ${MEMBER} } ${ERR} } }`;
const ROLE = `mutation ChangeRole($u: ID!, $r: MemberRole!, $a: ID) { changeMemberRole(userId: $u, role: $r, agencyId: $a) { member { ${MEMBER} } ${ERR} } }`;
const DEACTIVATE = `mutation Deactivate($u: ID!) { deactivateMember(userId: $u) { member { ${MEMBER} } ${ERR} } }`;
const REACTIVATE = `mutation Reactivate($u: ID!) { reactivateMember(userId: $u) { member { ${MEMBER} } ${ERR} } }`;
const RESET = `mutation Reset($u: ID!) { issuePasswordReset(userId: $u) { code expiresAt ${ERR} } }`;
const RESET_2FA = `mutation ResetTwoFactor($u: ID!) { resetMemberTwoFactor(userId: $u) { member { ${MEMBER} } ${ERR} } }`;
const UNIT = "id name kind status isActive members { id username fullName }";
const UNITS = `query Units($inactive: Boolean!) { units(first: 100, includeInactive: $inactive) { edges { node { ${UNIT} } } } }`;
const UNIT_CREATE = `mutation CreateUnit($n: String!, $k: UnitKind!, $ck: String) { createUnit(name: $n, kind: $k, clientKey: $ck) { unit { id } ${ERR} } }`;
const UNIT_STATUS_M = `mutation UnitStatus($id: ID!, $s: UnitStatus!) { setUnitStatus(unitId: $id, status: $s) { unit { id } ${ERR} } }`;
const STAFF = "query Staff { officers(first: 100) { edges { node { id username fullName roles } } } }";
const UNIT_MEMBERS = `mutation UnitMembers($id: ID!, $users: [ID!]!) { setUnitMembers(unitId: $id, userIds: $users) { unit { id } ${ERR} } }`;
const UNIT_RETIRE = `mutation RetireUnit($id: ID!) { deactivateUnit(unitId: $id) { unit { id } ${ERR} } }`;

const roleLabel = (r) => t(`role.${r}`);

function membersPanel(once, agencies) {
  const filters = h("form", { class: "row filters", novalidate: true },
    h("input", { name: "search", type: "search", "aria-label": t("ppl.search"), placeholder: t("ppl.search") }),
    h("select", { name: "role", "aria-label": t("ppl.role") }, h("option", { value: "", text: t("ppl.anyRole") }), ROLES.map((r) => h("option", { value: r, text: roleLabel(r) }))),
    h("select", { name: "status", "aria-label": t("ops.status") }, h("option", { value: "", text: t("ppl.anyStatus") }), ["ACTIVE", "PENDING", "DEACTIVATED"].map((s) => h("option", { value: s, text: t(`ppl.status.${s}`) }))),
    h("button", { type: "submit", text: t("app.search") }));
  const rows = h("tbody", {});
  const more = h("button", { type: "button", class: "hidden", text: t("app.more") });
  const box = h("div", { class: "members" },
    filters,
    h("table", { class: "members-table" }, h("thead", {}, h("tr", {}, ["ppl.username", "ppl.fullName", "ppl.role", "ops.status", "ops.created", "ops.actions"].map((k) => h("th", { text: t(k) })))), rows),
    more);
  let after = null;
  let vars = {};

  const memberRow = (m) => {
    const act = h("form", { class: "row member-actions", novalidate: true });
    const role = selectOf("role", ROLES, roleLabel, m.roles[0] || "OFFICER", { "aria-label": t("ppl.role") });
    const agency = h("select", { name: "agencyId", "aria-label": t("ppl.agency") }, h("option", { value: "", text: t("ppl.noAgency") }), agencies.map((a) => h("option", { value: a.id, text: a.name })));
    const redraw = (next) => { tr.replaceWith(memberRow(next)); };
    const active = m.status !== "DEACTIVATED";
    replace(act,
      active ? [role, agency,
        h("button", { type: "button", text: t("ppl.changeRole"), onclick: async () => {
          const done = await submitForm(act, ROLE, { u: m.id, r: role.value, a: agency.value || null });
          if (done) { toast(t("ppl.done")); redraw(done.member); }
        } }),
        h("button", { type: "button", text: t("ppl.reset"), onclick: async () => {
          const done = await submitForm(act, RESET, { u: m.id });
          if (done) replace(once, onceBox(t("ppl.resetCode", { user: m.username }), done.code, h("p", { class: "muted", text: fmtDateTime(done.expiresAt) })));
        } }),
        h("button", { type: "button", class: "reset-2fa", text: t("ppl.reset2fa"), onclick: async () => {
          if (!window.confirm(t("ppl.reset2faConfirm", { user: m.username }))) return;
          const done = await submitForm(act, RESET_2FA, { u: m.id });
          if (done) toast(t("ppl.reset2faDone", { user: m.username }));
        } }),
        h("button", { type: "button", class: "danger", text: t("ppl.deactivate"), onclick: async () => {
          const done = await submitForm(act, DEACTIVATE, { u: m.id });
          if (done) redraw(done.member);
        } })]
        : h("button", { type: "button", text: t("ppl.reactivate"), onclick: async () => {
          const done = await submitForm(act, REACTIVATE, { u: m.id });
          if (done) redraw(done.member);
        } }),
      h("p", { class: "form-error", role: "alert" }));
    const tr = h("tr", { dataset: { user: m.username } },
      h("td", { text: m.username }), h("td", { text: m.fullName || "" }), h("td", { text: m.roles.map(roleLabel).join(", ") }),
      h("td", {}, h("span", { class: ["badge", m.status === "ACTIVE" ? "ok" : m.status === "PENDING" ? "warn" : ""], text: t(`ppl.status.${m.status}`) })),
      h("td", { text: fmtDateTime(m.createdAt) }), h("td", {}, act));
    return tr;
  };

  const load = async (reset) => {
    if (reset) { after = null; rows.replaceChildren(); }
    try {
      const page = (await gql(MEMBERS, { ...vars, after })).members;
      rows.append(...page.edges.map((e) => memberRow(e.node)));
      if (!rows.children.length) rows.append(h("tr", {}, h("td", { colSpan: 6, class: "muted", text: t("app.none") })));
      after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
      more.classList.toggle("hidden", !after);
    } catch (e) {
      rows.replaceChildren(h("tr", {}, h("td", { colSpan: 6 }, failed(e))));
    }
  };
  filters.addEventListener("submit", (e) => {
    e.preventDefault();
    const fd = new FormData(filters);
    vars = { search: String(fd.get("search") || "") || null, role: fd.get("role") || null, status: fd.get("status") || null };
    load(true);
  });
  more.addEventListener("click", () => load(false));
  return { box, load };
}

function createPanel(once, agencies, reload) {
  let clientKey = newClientKey();
  const form = h("form", { class: "card member-form", novalidate: true },
    h("h3", { text: t("ppl.new") }),
    labelled("ppl.username", h("input", { name: "username", autocomplete: "off" })),
    labelled("ppl.fullName", h("input", { name: "fullName", autocomplete: "off" })),
    labelled("ppl.role", selectOf("role", ROLES, roleLabel, "OFFICER")),
    labelled("ppl.agency", h("select", { name: "agencyId" }, h("option", { value: "", text: t("ppl.noAgency") }), agencies.map((a) => h("option", { value: a.id, text: a.name })))),
    h("p", { class: "form-error", role: "alert" }),
    h("button", { type: "submit", class: "primary", text: t("ppl.create") }));
  form.addEventListener("input", () => { clientKey = newClientKey(); }); // other input, another create
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const fd = new FormData(form);
    const input = { username: String(fd.get("username") || ""), role: fd.get("role"), fullName: String(fd.get("fullName") || "") || null, agencyId: fd.get("agencyId") || null };
    const done = await submitForm(form, CREATE, { input, ck: clientKey });
    if (!done) return; // retried with the same key (a lost answer makes one member)
    clientKey = newClientKey();
    form.reset();
    replace(once, onceBox(t("ppl.code", { user: done.member.username }), done.activationCode,
      h("p", { class: "muted", text: t("ppl.codeUntil", { at: fmtDateTime(done.activationExpiresAt) }) })));
    reload(true);
  });
  return form;
}

function unitsPanel() {
  let clientKey = newClientKey();
  const list = h("div", {});
  const inactive = h("input", { type: "checkbox", name: "inactive" });
  const form = h("form", { class: "row unit-form", novalidate: true },
    labelled("ops.name", h("input", { name: "name" })),
    labelled("ppl.unitKind", selectOf("kind", UNIT_KINDS)),
    h("button", { type: "submit", class: "primary", text: t("ppl.unitNew") }),
    h("p", { class: "form-error", role: "alert" }));
  const load = async () => {
    try {
      const units = (await gql(UNITS, { inactive: inactive.checked })).units.edges.map((e) => e.node);
      replace(list, table(["ops.name", "ppl.unitKind", "ops.status", "ppl.unitMembers", "ops.actions"], units.map((u) => {
        const act = h("form", { class: "row", novalidate: true });
        const status = selectOf("status", UNIT_STATUS, (s) => t(`ppl.unit.${s}`), u.status, { "aria-label": t("ops.status") });
        status.addEventListener("change", async () => { if (await submitForm(act, UNIT_STATUS_M, { id: u.id, s: status.value })) toast(t("ppl.done")); });
        replace(act, u.isActive ? [status,
          h("button", { type: "button", text: t("ppl.unitEdit"), onclick: () => editMembers(u) }),
          h("button", { type: "button", class: "danger", text: t("ppl.unitRetire"), onclick: async () => {
            if (await submitForm(act, UNIT_RETIRE, { id: u.id })) load();
          } })] : null, h("p", { class: "form-error", role: "alert" }));
        return [u.name, u.kind, u.isActive ? t(`ppl.unit.${u.status}`) : t("ppl.status.DEACTIVATED"), u.members.map((m) => m.fullName || m.username).join(", "), act];
      }), { class: "units-table" }));
    } catch (e) {
      replace(list, failed(e));
    }
  };
  const editor = h("div", {});
  /** Pick a unit's members among the command's officers, operators and admins. */
  const editMembers = async (unit) => {
    let staff = [];
    try { staff = (await gql(STAFF)).officers.edges.map((e) => e.node); } catch (err) { replace(editor, failed(err)); return; }
    const current = new Set(unit.members.map((m) => m.id));
    const pick = h("form", { class: "card unit-members", novalidate: true },
      h("h3", { text: `${t("ppl.unitMembers")}: ${unit.name}` }),
      h("fieldset", { class: "plain staff-pick", dataset: { field: "userIds" } }, staff.map((p) => h("label", { class: "inline" },
        h("input", { type: "checkbox", name: "user", value: p.id, checked: current.has(p.id) }),
        `${p.fullName || p.username} (${p.username})`))),
      h("p", { class: "form-error", role: "alert" }),
      h("div", { class: "row" }, h("button", { type: "submit", class: "primary", text: t("app.save") }),
        h("button", { type: "button", text: t("app.cancel"), onclick: () => editor.replaceChildren() })));
    pick.addEventListener("submit", async (e) => {
      e.preventDefault();
      const users = new FormData(pick).getAll("user").map(String);
      if (await submitForm(pick, UNIT_MEMBERS, { id: unit.id, users })) { editor.replaceChildren(); toast(t("ppl.done")); load(); }
    });
    replace(editor, pick);
  };
  form.addEventListener("input", () => { clientKey = newClientKey(); }); // other input, another create
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const fd = new FormData(form);
    const done = await submitForm(form, UNIT_CREATE, { n: String(fd.get("name") || ""), k: fd.get("kind"), ck: clientKey });
    if (done) { clientKey = newClientKey(); form.reset(); load(); }
  });
  inactive.addEventListener("change", load);
  const box = h("div", { class: "card units" }, h("div", { class: "row ops-head" }, h("h3", { text: t("ppl.units") }), h("span", { class: "spacer" }),
    h("label", { class: "inline" }, inactive, t("ppl.unitInactive"))), form, list, editor);
  return { box, load };
}

/** Render the people and units page into body. */
export async function renderPeople(body) {
  const once = h("div", { class: "once-slot" });
  let agencies = [];
  try { agencies = (await gql(AGENCIES)).agencies || []; } catch { /* liaisons then get no agency choice */ }
  const members = membersPanel(once, agencies);
  const units = unitsPanel();
  body.append(once,
    h("div", { class: "admin-split" }, h("div", { class: "card" }, h("h3", { text: t("ppl.members") }), members.box), createPanel(once, agencies, members.load)),
    units.box);
  await Promise.all([members.load(true), units.load()]);
}
