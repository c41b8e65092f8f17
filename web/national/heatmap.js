// Peta panas: `heatmap`, reports per 0.01° cell (about 1 km; the API never gives a point),
// drawn as shaded cells on the map with a legend. The API does not narrow it by status.

import { gql } from "../common/api.js";
import { h } from "../common/dom.js";
import { extend, t } from "../common/i18n.js";
import { fitTo, makeMap, removeMap } from "../common/map.js";
import { Q_HEATMAP, apiFilter, fmtInt } from "./data.js";
import { mountView } from "./view.js";

extend({
  id: {
    "hm.title": "Peta panas",
    "hm.note": "Jumlah laporan per sel ±1 km (0,01°), bukan titik laporan. Status tidak menyaring peta ini.",
    "hm.cells": "{cells} sel, {n} laporan", "hm.cell": "{n} laporan di sel ini", "hm.legend": "Laporan per sel",
    "hm.none": "Tidak ada laporan berlokasi pada periode ini.",
  },
  en: {
    "hm.title": "Heat map",
    "hm.note": "Reports per ~1 km cell (0.01°), never a report's own point. Status does not narrow this map.",
    "hm.cells": "{cells} cells, {n} reports", "hm.cell": "{n} reports in this cell", "hm.legend": "Reports per cell",
    "hm.none": "No located reports in this period.",
  },
});

const COLORS = ["#fee5d9", "#fcae91", "#fb6a4a", "#de2d26", "#a50f15"];
const HALF = 0.005;

/** The shade of a count among cells whose busiest holds max (five steps, square-root scale). */
function shade(count, max) {
  const i = Math.min(COLORS.length - 1, Math.floor(Math.sqrt(count / max) * COLORS.length - 1e-9));
  return COLORS[Math.max(0, i)];
}

/** The heat map view. */
export function renderHeatmap(main, ctx) {
  let map = null;
  const cleanup = mountView(main, ctx, {
    title: "hm.title",
    status: false,
    load: async () => {
      const { heatmap: cells } = await gql(Q_HEATMAP, { f: apiFilter({ status: "" }) });
      if (map) { removeMap(map); map = null; }
      const total = cells.reduce((s, c) => s + c.count, 0);
      const max = Math.max(1, ...cells.map((c) => c.count));
      const element = h("div", { class: "map heatmap", id: "heatmap" });
      // Low to high: the shades from 1 report to the busiest cell's count.
      const legend = h("div", { class: "legend row" }, h("span", { class: "muted", text: t("hm.legend") }),
        h("span", { text: fmtInt(1) }), COLORS.map((_, i) => h("span", { class: `swatch s${i}` })), h("span", { text: fmtInt(max) }));
      // The map needs its element in the page to size itself: draw it on the next frame.
      requestAnimationFrame(() => {
        if (!element.isConnected) return;
        map = makeMap(element);
        const layer = window.L.featureGroup();
        for (const c of cells) {
          window.L.rectangle([[c.latitude - HALF, c.longitude - HALF], [c.latitude + HALF, c.longitude + HALF]], {
            color: shade(c.count, max), weight: 1, fillColor: shade(c.count, max), fillOpacity: 0.75,
          }).bindTooltip(h("span", { text: t("hm.cell", { n: fmtInt(c.count) }) })).addTo(layer);
        }
        layer.addTo(map);
        fitTo(map, layer, 13);
      });
      return [
        h("p", { class: "muted", text: t("hm.note") }),
        h("p", { dataset: { heatTotal: String(total), heatCells: String(cells.length) }, text: cells.length ? t("hm.cells", { cells: fmtInt(cells.length), n: fmtInt(total) }) : t("hm.none") }),
        element,
        legend,
      ];
    },
  });
  return cleanup.then((off) => () => { off(); removeMap(map); });
}
