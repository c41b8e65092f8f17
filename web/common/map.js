// Maps with the vendored Leaflet (window.L, loaded by each page's <script> tag). Tiles come
// from JOGO_MAP_TILES_URL (config.tiles); without it the map still shows every layer on a
// plain background, for networks with no tile server.

import { config } from "./api.js";

/** Indonesia, roughly; views fit their data afterwards. */
export const INDONESIA = [[-11.2, 94.7], [6.3, 141.1]];

/** makeMap(element, {bounds}) -> a Leaflet map with the configured base layer, if any. */
export function makeMap(element, { bounds = INDONESIA } = {}) {
  const L = window.L;
  const map = L.map(element, { preferCanvas: true, zoomSnap: 0.5 });
  if (config.tiles) {
    L.tileLayer(config.tiles, { maxZoom: 19, attribution: config.tilesAttribution || "" }).addTo(map);
  } else {
    element.classList.add("no-tiles");
  }
  map.fitBounds(bounds);
  return map;
}

/** Fit the map to a layer's bounds when it has any; else leave it. */
export function fitTo(map, layer, maxZoom = 15) {
  const bounds = layer.getBounds && layer.getBounds();
  if (bounds && bounds.isValid()) map.fitBounds(bounds.pad(0.1), { maxZoom });
}

/** A coloured circle marker (canvas: thousands stay smooth). */
export function dot(lat, lon, color, radius = 7) {
  return window.L.circleMarker([lat, lon], { radius, color: "#222", weight: 1, fillColor: color, fillOpacity: 0.85 });
}
