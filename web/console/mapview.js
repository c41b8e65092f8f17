// Console view "map": reports coloured by status, cameras with their health, hospitals
// with emergency beds and staleness, police posts, and the command's jurisdiction
// outline. Filters: status, category, time and area (the visible part of the map).
// Canvas markers (dot()), so a thousand reports stay smooth.

import { gql } from "../common/api.js";
import { h, replace } from "../common/dom.js";
import { errorText, extend, fmtDateTime, t } from "../common/i18n.js";
import { dot, fitTo, makeMap, removeMap } from "../common/map.js";
import { OPEN, STATUSES, STATUS_COLORS, categoryText, isLiaisonOnly, loadCategories, statusText, watchSos } from "./reportkit.js";

extend({
  id: {
    map: "Peta", "mv.reports": "Laporan", "mv.cameras": "Kamera", "mv.hospitals": "Rumah sakit",
    "mv.posts": "Pos polisi", "mv.jurisdiction": "Wilayah hukum", "mv.time": "Waktu",
    "mv.t.all": "Semua waktu", "mv.t.24h": "24 jam terakhir", "mv.t.7d": "7 hari terakhir", "mv.t.30d": "30 hari terakhir",
    "mv.area": "Hanya area yang terlihat", "mv.apply": "Terapkan", "mv.shown": "{n} laporan di peta",
    "mv.beds": "IGD: {a} dari {b} tempat tidur kosong", "mv.beds.none": "IGD: belum ada data",
    "mv.stale": "data lama (> 30 menit)", "mv.observed": "Diperbarui {at}", "mv.open": "Buka laporan",
    "mv.cam.ONLINE": "aktif", "mv.cam.OFFLINE": "mati", "mv.cam.UNKNOWN": "belum diketahui",
    "mv.nojurisdiction": "Wilayah hukum belum diatur.",
  },
  en: {
    map: "Map", "mv.reports": "Reports", "mv.cameras": "Cameras", "mv.hospitals": "Hospitals",
    "mv.posts": "Police posts", "mv.jurisdiction": "Jurisdiction", "mv.time": "Time",
    "mv.t.all": "Any time", "mv.t.24h": "Last 24 hours", "mv.t.7d": "Last 7 days", "mv.t.30d": "Last 30 days",
    "mv.area": "Only the visible area", "mv.apply": "Apply", "mv.shown": "{n} reports on the map",
    "mv.beds": "ER: {a} of {b} beds free", "mv.beds.none": "ER: no reading yet",
    "mv.stale": "stale (> 30 minutes)", "mv.observed": "Updated {at}", "mv.open": "Open the report",
    "mv.cam.ONLINE": "online", "mv.cam.OFFLINE": "offline", "mv.cam.UNKNOWN": "unknown",
    "mv.nojurisdiction": "No jurisdiction set yet.",
  },
});

const REPORTS = `query($first: Int!, $after: String, $filter: ReportFilterInput) { reports(first: $first, after: $after, filter: $filter) {
  edges { node { id ticket title status urgent sos latitude longitude createdAt category { code nameId nameEn } } }
  pageInfo { hasNextPage endCursor } } }`;
const MAX_REPORTS = 2000;
const HOURS = { "24h": 24, "7d": 168, "30d": 720 };
const CAMERA_COLORS = { ONLINE: "#2e7d32", OFFLINE: "#c62828", UNKNOWN: "#9e9e9e" };

export const mapView = {
  id: "map",
  label: "map",
  show: (me) => !isLiaisonOnly(me),
  render(main, ctx) {
    watchSos(ctx);
    return mapPage(main, ctx);
  },
};

function mapPage(main, ctx) {
  const L = window.L;
  const status = h("select", { name: "status", "aria-label": t("q.status") },
    h("option", { value: "OPEN", text: t("q.open") }), h("option", { value: "", text: t("q.all") }),
    STATUSES.map((s) => h("option", { value: s, text: statusText(s) })));
  const category = h("select", { name: "category", "aria-label": t("q.category") }, h("option", { value: "", text: t("q.allcat") }));
  const time = h("select", { name: "time", "aria-label": t("mv.time") },
    ["all", "24h", "7d", "30d"].map((k) => h("option", { value: k, text: t(`mv.t.${k}`) })));
  const area = h("input", { type: "checkbox", name: "area" });
  const shown = h("span", { class: "muted", "aria-live": "polite" });
  const error = h("p", { class: "error", role: "alert" });
  const element = h("div", { class: "map map-tall", id: "console-map" });
  const item = (swatch, text) => h("span", { class: "legend-item" }, h("span", { class: `swatch ${swatch}` }), text);
  const legend = h("div", { class: "legend row" },
    STATUSES.map((s) => item(`st-${s}`, statusText(s))), h("span", { class: "sep" }),
    item("cam-ONLINE", `${t("mv.cameras")} ${t("mv.cam.ONLINE")}`), item("cam-OFFLINE", `${t("mv.cameras")} ${t("mv.cam.OFFLINE")}`),
    item("hospital", t("mv.hospitals")), item("hospital-stale", `${t("mv.hospitals")}: ${t("mv.stale")}`), item("post", t("mv.posts")));
  replace(main,
    h("form", { class: "row queue-tools map-tools" }, status, category, time,
      h("label", { class: "inline" }, area, t("mv.area")),
      h("button", { type: "submit", class: "primary", text: t("mv.apply") }), shown),
    error, element, legend);

  loadCategories().then((list) => {
    for (const c of list) category.append(h("option", { value: c.code, text: categoryText(c) }));
  }).catch(() => {});

  const map = makeMap(element);
  const layers = {
    reports: L.featureGroup().addTo(map),
    cameras: L.featureGroup().addTo(map),
    hospitals: L.featureGroup().addTo(map),
    posts: L.featureGroup().addTo(map),
    jurisdiction: L.featureGroup().addTo(map),
  };
  L.control.layers(null, {
    [t("mv.reports")]: layers.reports, [t("mv.cameras")]: layers.cameras, [t("mv.hospitals")]: layers.hospitals,
    [t("mv.posts")]: layers.posts, [t("mv.jurisdiction")]: layers.jurisdiction,
  }, { collapsed: false }).addTo(map);
  let fitted = false;
  let generation = 0;
  let removed = false; // left the view: the map is gone, answers still arriving are dropped

  async function loadReports() {
    if (removed) return;
    const mine = ++generation;
    error.textContent = "";
    const filter = {
      statuses: status.value === "OPEN" ? OPEN : status.value ? [status.value] : null,
      categoryCodes: category.value ? [category.value] : null,
      createdFrom: HOURS[time.value] ? new Date(Date.now() - HOURS[time.value] * 3600e3).toISOString() : null,
    };
    if (area.checked) {
      const b = map.getBounds();
      filter.bbox = { south: b.getSouth(), west: b.getWest(), north: b.getNorth(), east: b.getEast() };
    }
    const found = [];
    let after = null;
    try {
      do {
        const page = (await gql(REPORTS, { first: 100, after, filter })).reports;
        if (mine !== generation) return;
        found.push(...page.edges.map((e) => e.node));
        after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
      } while (after && found.length < MAX_REPORTS);
    } catch (e) {
      error.textContent = errorText(e);
      return;
    }
    layers.reports.clearLayers();
    const size = found.length > 300 ? 4 : 6; // many reports: smaller dots
    for (const r of found) {
      const marker = dot(r.latitude, r.longitude, STATUS_COLORS[r.status], r.sos || r.urgent ? size + 2 : size);
      marker.bindPopup(() => h("div", { class: "popup" },
        h("strong", { text: `${r.ticket} · ${r.title}` }), h("br"),
        h("span", { text: `${categoryText(r.category)} · ${statusText(r.status)} · ${fmtDateTime(r.createdAt)}` }), h("br"),
        h("a", { href: `#/report/${r.id}`, text: t("mv.open") })));
      layers.reports.addLayer(marker);
    }
    shown.textContent = t("mv.shown", { n: found.length });
    main.dataset.reports = String(found.length);
  }

  async function loadFacilities() {
    const tasks = [
      gql("query { cameras { id name latitude longitude status lastSeenAt } }").then((d) => {
        for (const c of d.cameras || []) {
          layers.cameras.addLayer(dot(c.latitude, c.longitude, CAMERA_COLORS[c.status] || "#9e9e9e", 5)
            .bindTooltip(h("span", { text: `${c.name} · ${t(`mv.cam.${c.status}`)}${c.lastSeenAt ? ` · ${fmtDateTime(c.lastSeenAt)}` : ""}` })));
        }
      }),
      gql("query { hospitals { id name latitude longitude erBedsAvailable erBedsTotal stale observedAt } }").then((d) => {
        for (const x of d.hospitals || []) {
          if (x.latitude === null || x.longitude === null) continue;
          const beds = x.erBedsTotal === null ? t("mv.beds.none") : t("mv.beds", { a: x.erBedsAvailable ?? "?", b: x.erBedsTotal });
          const marker = dot(x.latitude, x.longitude, x.stale ? "#90a4ae" : "#0277bd", 8);
          marker.bindTooltip(h("span", { text: `${x.name} · ${beds}${x.stale ? ` · ${t("mv.stale")}` : ""}` }));
          marker.bindPopup(() => h("div", { class: "popup" }, h("strong", { text: x.name }), h("br"), h("span", { text: beds }), h("br"),
            h("span", { class: x.stale ? "error" : "muted", text: x.stale ? t("mv.stale") : t("mv.observed", { at: fmtDateTime(x.observedAt) }) })));
          layers.hospitals.addLayer(marker);
        }
      }),
      gql("query { policePosts { id name latitude longitude phone } }").then((d) => {
        for (const p of d.policePosts || []) {
          layers.posts.addLayer(dot(p.latitude, p.longitude, "#1a237e", 6).bindTooltip(h("span", { text: `${p.name}${p.phone ? ` · ${p.phone}` : ""}` })));
        }
      }),
      gql("query { jurisdiction { geojson } }").then((d) => {
        const geojson = d.jurisdiction && d.jurisdiction.geojson;
        if (!geojson) { element.title = t("mv.nojurisdiction"); return; }
        L.geoJSON(JSON.parse(geojson), { style: { color: "#0b3d91", weight: 2, fill: false, dashArray: "6 4" }, interactive: false }).addTo(layers.jurisdiction);
        main.dataset.jurisdiction = "shown";
      }),
    ];
    const results = await Promise.allSettled(tasks);
    const failed = results.find((x) => x.status === "rejected");
    if (failed && failed.reason && failed.reason.code !== "FORBIDDEN") error.textContent = errorText(failed.reason);
  }

  main.querySelector("form").addEventListener("submit", (e) => { e.preventDefault(); loadReports(); });
  for (const control of [status, category, time, area]) control.addEventListener("change", loadReports);
  // The first view holds everything: the outline, the facilities and the reports.
  loadFacilities().then(loadReports).then(() => {
    if (!fitted && !removed) { fitted = true; fitTo(map, L.featureGroup(Object.values(layers)), 14); }
  });
  return () => { removed = true; generation++; removeMap(map); };
}
