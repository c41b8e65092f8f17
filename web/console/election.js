// Console view "election" (the election module): the election-day board for operators and
// tenant admins (every TPS on the map coloured by its state, the TPS with incidents, live),
// and the deployment plan for police staff (officers see the plan only: the API keeps the
// board for operators).

import { gql } from "../common/api.js";
import { h, replace, toast } from "../common/dom.js";
import { extend, fmtDateTime, t } from "../common/i18n.js";
import { dot, makeMap, removeMap } from "../common/map.js";
import { has } from "../common/shell.js";
import { failed, lacksModule, submitForm, table } from "./ops.js";
import { liveClient } from "./reportkit.js";

extend({
  id: {
    election: "Pemilu",
    "el.board": "Papan hari pemungutan suara",
    "el.stations": "TPS",
    "el.state.NORMAL": "Normal",
    "el.state.INCIDENT": "Ada insiden",
    "el.state.ESCALATED": "Gawat",
    "el.incidents": "TPS dengan insiden",
    "el.code": "Kode TPS",
    "el.district": "Kecamatan",
    "el.vulnerability": "Kerawanan",
    "el.open": "Insiden terbuka",
    "el.urgent": "Mendesak",
    "el.total": "Semua insiden",
    "el.last": "Insiden terakhir",
    "el.allDistricts": "Semua kecamatan",
    "el.noCoords": "{n} TPS tanpa koordinat tidak tampil di peta.",
    "el.list": "Daftar semua TPS ({n})",
    "el.plan": "Rencana pengerahan personel",
    "el.plan.stations": "TPS",
    "el.plan.voters": "Pemilih",
    "el.plan.groups": "Pos (kelompok TPS)",
    "el.plan.officers": "Personel Polri",
    "el.plan.linmas": "Linmas",
    "el.plan.assigned": "Sudah ditunjuk",
    "el.plan.short": "Kurang",
    "el.plan.total": "Jumlah",
    "el.plan.rules": "Aturan per tingkat kerawanan",
    "el.plan.rule": "{level}: ≤ {tps} TPS per pos, {off} personel per pos, {linmas} Linmas per TPS",
    "el.none": "Belum ada TPS. Impor daftar TPS terlebih dahulu.",
    "el.rule.tps": "TPS per pos (maks.)",
    "el.rule.officers": "Personel per pos",
    "el.rule.linmas": "Linmas per TPS",
  },
  en: {
    election: "Election",
    "el.board": "Election-day board",
    "el.stations": "Polling stations",
    "el.state.NORMAL": "Normal",
    "el.state.INCIDENT": "Incident",
    "el.state.ESCALATED": "Escalated",
    "el.incidents": "Polling stations with incidents",
    "el.code": "TPS code",
    "el.district": "District",
    "el.vulnerability": "Vulnerability",
    "el.open": "Open incidents",
    "el.urgent": "Urgent",
    "el.total": "All incidents",
    "el.last": "Last incident",
    "el.allDistricts": "All districts",
    "el.noCoords": "{n} polling stations without coordinates are not on the map.",
    "el.list": "All polling stations ({n})",
    "el.plan": "Deployment plan",
    "el.plan.stations": "TPS",
    "el.plan.voters": "Voters",
    "el.plan.groups": "Posts (TPS groups)",
    "el.plan.officers": "Police officers",
    "el.plan.linmas": "Linmas",
    "el.plan.assigned": "Named",
    "el.plan.short": "Short",
    "el.plan.total": "Total",
    "el.plan.rules": "Rules by vulnerability",
    "el.plan.rule": "{level}: ≤ {tps} TPS per post, {off} officers per post, {linmas} Linmas per TPS",
    "el.none": "No polling stations yet. Import the TPS list first.",
    "el.rule.tps": "TPS per post (max.)",
    "el.rule.officers": "Officers per post",
    "el.rule.linmas": "Linmas per TPS",
  },
});

const STATION = "code districtCode vulnerability latitude longitude state openIncidents urgentOpenIncidents incidents lastIncidentAt";
const BOARD = `query Board { electionBoard { ${STATION} } }`;
const LIVE = `subscription Board { electionBoard { ${STATION} } }`;
const LINE = "vulnerability stations voters groups officers linmas assignedOfficers officersShort";
const PLAN = `query Plan { deploymentPlan { total { ${LINE} } byVulnerability { ${LINE} }
  districts { districtCode districtName total { ${LINE} } } rules { vulnerability maxTpsPerGroup officersPerGroup linmasPerTps } } }`;
const SET_RULE = `mutation Rule($v: Vulnerability!, $tps: Int!, $off: Int!, $linmas: Int!) {
  setDeploymentRule(vulnerability: $v, maxTpsPerGroup: $tps, officersPerGroup: $off, linmasPerTps: $linmas) { rules { vulnerability } errors { code field message } } }`;
const COLOURS = { NORMAL: "#1e7b34", INCIDENT: "#e08a00", ESCALATED: "#d50000" };
const RANK = { ESCALATED: 0, INCIDENT: 1, NORMAL: 2 };
const level = (v) => v.replace(/_/g, " ");

function boardPanel(main, ctx) {
  const stations = new Map();
  const kpis = h("div", { class: "kpis" });
  const mapEl = h("div", { class: "map el-map" });
  const note = h("p", { class: "muted" });
  const incidents = h("div", { class: "el-incidents" });
  const list = h("details", { class: "el-all" });
  const district = h("select", { name: "district", "aria-label": t("el.district") });
  const legend = h("div", { class: "row legend" }, Object.keys(COLOURS).map((s) => h("span", { class: "legend-item" }, h("span", { class: `swatch swatch-${s.toLowerCase()}` }), t(`el.state.${s}`))));
  main.append(h("section", { class: "card el-board" },
    h("div", { class: "row ops-head" }, h("h2", { text: t("el.board") }), h("span", { class: "spacer" }), district),
    kpis,
    h("div", { class: "grid2" }, h("div", {}, mapEl, legend, note), h("div", {}, h("h3", { text: t("el.incidents") }), incidents)),
    list));
  const map = makeMap(mapEl);
  const layer = window.L.featureGroup().addTo(map);
  let fitted = false;

  const draw = () => {
    const chosen = district.value;
    const shown = [...stations.values()].filter((s) => !chosen || s.districtCode === chosen);
    const count = (state) => shown.filter((s) => s.state === state).length;
    replace(kpis,
      h("div", { class: "kpi", dataset: { kpi: "stations" } }, h("div", { class: "value", text: shown.length }), h("div", { class: "label", text: t("el.stations") })),
      Object.keys(COLOURS).map((s) => h("div", { class: `kpi kpi-${s.toLowerCase()}`, dataset: { kpi: s } }, h("div", { class: "value", text: count(s) }), h("div", { class: "label", text: t(`el.state.${s}`) }))));
    layer.clearLayers();
    let missing = 0;
    // Normal first, escalated last: the TPS in trouble are drawn on top.
    for (const s of [...shown].sort((a, b) => RANK[b.state] - RANK[a.state])) {
      if (s.latitude === null || s.longitude === null) { missing += 1; continue; }
      const marker = dot(s.latitude, s.longitude, COLOURS[s.state], s.state === "NORMAL" ? 6 : 9);
      marker.bindTooltip(h("span", { text: `${s.code} · ${t(`el.state.${s.state}`)} · ${s.openIncidents}` }));
      layer.addLayer(marker);
    }
    note.textContent = missing ? t("el.noCoords", { n: missing }) : "";
    if (!fitted && layer.getLayers().length) { map.fitBounds(layer.getBounds().pad(0.1), { maxZoom: 15 }); fitted = true; }
    const withIncidents = shown.filter((s) => s.incidents > 0)
      .sort((a, b) => RANK[a.state] - RANK[b.state] || b.urgentOpenIncidents - a.urgentOpenIncidents || String(b.lastIncidentAt).localeCompare(String(a.lastIncidentAt)));
    const state = (s) => h("span", { class: `badge state-${s.state.toLowerCase()}`, text: t(`el.state.${s.state}`) });
    const row = (s) => [s.code, state(s), s.districtCode, level(s.vulnerability), String(s.openIncidents), String(s.urgentOpenIncidents), String(s.incidents), fmtDateTime(s.lastIncidentAt)];
    const heads = ["el.code", "ops.status", "el.district", "el.vulnerability", "el.open", "el.urgent", "el.total", "el.last"];
    replace(incidents, table(["el.code", "ops.status", "el.open", "el.urgent", "el.last"],
      withIncidents.map((s) => [s.code, state(s), String(s.openIncidents), String(s.urgentOpenIncidents), fmtDateTime(s.lastIncidentAt)]), { class: "el-incidents-table" }));
    replace(list, h("summary", { text: t("el.list", { n: shown.length }) }),
      shown.length ? table(heads, shown.slice(0, 1000).map(row), { class: "el-stations-table" }) : h("p", { class: "muted", text: t("el.none") }));
  };
  district.addEventListener("change", draw);

  const load = async () => {
    const board = (await gql(BOARD)).electionBoard || [];
    for (const s of board) stations.set(s.code, s);
    const districts = [...new Set(board.map((s) => s.districtCode))].sort();
    replace(district, h("option", { value: "", text: t("el.allDistricts") }), districts.map((d) => h("option", { value: d, text: d })));
    draw();
  };
  // The page's one socket (shared with the queue and the SOS alarm): leaving the board
  // ends its subscription, not the socket.
  const stop = liveClient(ctx).subscribe(LIVE, {}, {
    next: (payload) => {
      const s = payload.data && payload.data.electionBoard;
      if (s) { stations.set(s.code, s); draw(); }
    },
    resumed: () => { load().catch(() => {}); },
  });
  return { load, cleanup: () => { stop(); removeMap(map); } };
}

/** The rules as forms (operators and tenant admins: election:plan), one a level, each
 * with its typed errors next to its own fields. */
function rulesForm(rules, reload) {
  const input = (name, value, min) => h("input", { name, type: "number", min, value, class: "narrow" });
  return h("div", { class: "el-rules" }, rules.map((r) => {
    const form = h("form", { class: "row el-rule", novalidate: true, dataset: { level: r.vulnerability } },
      h("strong", { class: "level", text: level(r.vulnerability) }),
      h("label", { class: "inline" }, t("el.rule.tps"), input("maxTpsPerGroup", r.maxTpsPerGroup, 1)),
      h("label", { class: "inline" }, t("el.rule.officers"), input("officersPerGroup", r.officersPerGroup, 0)),
      h("label", { class: "inline" }, t("el.rule.linmas"), input("linmasPerTps", r.linmasPerTps, 0)),
      h("button", { type: "submit", text: t("app.save") }),
      h("p", { class: "form-error", role: "alert" }));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const fd = new FormData(form);
      const value = (name) => Number(fd.get(name));
      const done = await submitForm(form, SET_RULE, { v: r.vulnerability, tps: value("maxTpsPerGroup"), off: value("officersPerGroup"), linmas: value("linmasPerTps") });
      if (done) { toast(t("app.saved")); reload(); }
    });
    return form;
  }));
}

async function planPanel(main, canPlan) {
  const box = h("section", { class: "card el-plan" });
  main.append(box);
  const reload = () => { box.remove(); planPanel(main, canPlan); };
  box.append(h("h2", { text: t("el.plan") }));
  try {
    const plan = (await gql(PLAN)).deploymentPlan;
    const nums = (l) => [l.stations, l.voters, l.groups, l.officers, l.linmas, l.assignedOfficers, l.officersShort].map(String);
    const heads = ["el.district", "el.plan.stations", "el.plan.voters", "el.plan.groups", "el.plan.officers", "el.plan.linmas", "el.plan.assigned", "el.plan.short"];
    const rows = plan.districts.map((d) => [d.districtName ? `${d.districtName} (${d.districtCode})` : d.districtCode, ...nums(d.total)]);
    rows.push([h("strong", { text: t("el.plan.total") }), ...nums(plan.total)]);
    box.append(table(heads, rows, { class: "el-plan-table" }),
      h("h3", { text: t("el.plan.rules") }),
      canPlan ? rulesForm(plan.rules, reload)
        : h("ul", {}, plan.rules.map((r) => h("li", { text: t("el.plan.rule", { level: level(r.vulnerability), tps: r.maxTpsPerGroup, off: r.officersPerGroup, linmas: r.linmasPerTps }) }))));
  } catch (e) {
    box.append(failed(e));
  }
}

export const electionView = {
  id: "election",
  label: "election",
  show: (me) => has(me, "officer", "operator", "tenant_admin"),
  async render(main, ctx) {
    if (await lacksModule(main, "election")) return null;
    let cleanup = null;
    if (has(ctx.me, "operator", "tenant_admin")) {
      const board = boardPanel(main, ctx);
      cleanup = board.cleanup;
      try { await board.load(); } catch (e) { main.append(failed(e)); }
    }
    await planPanel(main, has(ctx.me, "operator", "tenant_admin"));
    return cleanup;
  },
};
