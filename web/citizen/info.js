// Informasi: the bulletins in force (bulletins, most severe first), each with its area
// on one map (a polygon or a circle; region codes named in text).

import { gql } from "../common/api.js";
import { h, replace } from "../common/dom.js";
import { errorText, fmtDateTime, lang, t } from "../common/i18n.js";
import { fitTo, makeMap, removeMap } from "../common/map.js";
import { heading } from "./kit.js";

const BULLETINS = `query Bulletins { bulletins { id category categoryName categoryNameEn severity urgency
  headline description instruction headlineEn descriptionEn instructionEn validFrom validUntil
  area { description polygon circle { latitude longitude radiusM } regionCodes } } }`;

const COLORS = { EXTREME: "#b3261e", SEVERE: "#e65100", MODERATE: "#f9a825", MINOR: "#1e7b34", UNKNOWN: "#5d6b7a" };

function shape(b) {
  const L = window.L;
  const color = COLORS[b.severity] || COLORS.UNKNOWN;
  if (b.area.polygon && b.area.polygon.length) return L.polygon(b.area.polygon.map(([lat, lon]) => [lat, lon]), { color, weight: 2, fillOpacity: 0.2 });
  if (b.area.circle) return L.circle([b.area.circle.latitude, b.area.circle.longitude], { radius: b.area.circle.radiusM, color, weight: 2, fillOpacity: 0.2 });
  return null;
}

export const infoView = {
  id: "info",
  label: "nav.info",
  icon: "⚠",
  module: "bulletins",
  async render(main) {
    const mapBox = h("div", { class: "map map-info", id: "info-map" });
    const list = h("div", { class: "bulletins" }, h("p", { class: "loading", text: t("app.loading") }));
    replace(main, ...heading("info.heading", "info.lead"), mapBox, list);
    let map = null;
    if (window.L) map = makeMap(mapBox);
    try {
      const bulletins = (await gql(BULLETINS)).bulletins || [];
      const group = window.L ? window.L.featureGroup() : null;
      replace(list, bulletins.length ? bulletins.map((b) => {
        const en = lang() === "en";
        const layer = group ? shape(b) : null;
        const card = h("article", { class: ["card", "bulletin", `sev-${b.severity}`], dataset: { id: b.id } },
          h("div", { class: "row spread" }, h("span", { class: "badge", text: en ? b.categoryNameEn : b.categoryName }), h("span", { class: `badge sev sev-${b.severity}`, text: t(`sev.${b.severity}`) })),
          h("h2", { text: (en && b.headlineEn) || b.headline }),
          h("p", { text: (en && b.descriptionEn) || b.description }),
          b.instruction ? h("p", { class: "instruction", text: (en && b.instructionEn) || b.instruction }) : null,
          h("p", { class: "muted small", text: `${b.area.description} · ${t("info.until", { time: fmtDateTime(b.validUntil) })}` }),
          layer ? h("button", { type: "button", class: "link", text: t("info.onmap"), onclick: () => { fitTo(map, layer); mapBox.scrollIntoView({ block: "nearest" }); } }) : null);
        if (layer) { layer.bindTooltip(h("span", { text: (en && b.headlineEn) || b.headline })); group.addLayer(layer); }
        return card;
      }) : h("p", { class: "muted", text: t("info.none") }));
      if (map && group) { group.addTo(map); fitTo(map, group, 13); }
    } catch (error) {
      replace(list, h("p", { class: "error", role: "alert", text: errorText(error) }));
    }
    return () => removeMap(map);
  },
};
