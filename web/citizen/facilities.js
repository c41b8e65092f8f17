// Fasilitas: police posts and hospitals near the phone (nearby, within RADIUS_M), on a
// map and in a list with phone numbers; without a position, every active one
// (policePosts, hospitals).

import { gql } from "../common/api.js";
import { h, replace } from "../common/dom.js";
import { errorText, t } from "../common/i18n.js";
import { dot, fitTo, makeMap, removeMap } from "../common/map.js";
import { facilityCard, heading, position } from "./kit.js";

const RADIUS_M = 10000;
const FIELDS = "kind id name latitude longitude phone address distanceM";
const NEARBY = `query Near($lat: Float!, $lon: Float!, $r: Float!) {
  nearby(latitude: $lat, longitude: $lon, radiusM: $r, kinds: [POLICE_POST, HOSPITAL]) { ${FIELDS} } }`;
const ALL = `query All { policePosts { ${FIELDS} } hospitals { id name address latitude longitude erBedsAvailable erBedsTotal stale } }`;
const COLORS = { POLICE_POST: "#0b3d91", HOSPITAL: "#d50000" };

export const facilitiesView = {
  id: "fasilitas",
  label: "nav.fasilitas",
  icon: "✚",
  module: "facilities",
  async render(main) {
    const mapBox = h("div", { class: "map map-info", id: "facilities-map" });
    const list = h("div", { class: "facilities" }, h("p", { class: "loading", text: t("lapor.place.finding") }));
    replace(main, ...heading("fas.heading", "fas.lead"), mapBox, list);
    const map = window.L ? makeMap(mapBox) : null;
    const group = window.L ? window.L.featureGroup() : null;
    try {
      const pos = await position();
      let rows;
      if (pos) {
        rows = (await gql(NEARBY, { lat: pos.lat, lon: pos.lon, r: RADIUS_M })).nearby;
        if (group) group.addLayer(window.L.circleMarker([pos.lat, pos.lon], { radius: 6, color: "#fff", weight: 2, fillColor: "#1565c0", fillOpacity: 1 }).bindTooltip(h("span", { text: t("fas.you") })));
      } else {
        const data = await gql(ALL);
        rows = [...data.policePosts, ...data.hospitals.filter((x) => x.latitude !== null).map((x) => ({ ...x, kind: "HOSPITAL" }))];
      }
      for (const f of rows) if (group) group.addLayer(dot(f.latitude, f.longitude, COLORS[String(f.kind).toUpperCase()] || "#555").bindTooltip(h("span", { text: f.name })));
      replace(list,
        pos ? null : h("p", { class: "muted small", text: t("fas.nopos") }),
        rows.length ? rows.map((f) => facilityCard(f, f.erBedsTotal ? h("div", { class: "muted small", text: t("fas.beds", { n: f.erBedsAvailable ?? "?", total: f.erBedsTotal }) }) : null))
          : h("p", { class: "muted", text: t("fas.none", { km: RADIUS_M / 1000 }) }));
      if (map && group) { group.addTo(map); fitTo(map, group, 15); }
    } catch (error) {
      replace(list, h("p", { class: "error", role: "alert", text: errorText(error) }));
    }
    return () => removeMap(map);
  },
};
