// Maps with the vendored Leaflet (window.L, loaded by each page's <script> tag). Tiles come
// from JOGO_MAP_TILES_URL (config.tiles); without it the map still shows every layer on a
// plain background, for networks with no tile server.

import { config } from "./api.js";

/** Indonesia, roughly; views fit their data afterwards. */
export const INDONESIA = [[-11.2, 94.7], [6.3, 141.1]];

/** makeMap(element, {bounds}) -> a Leaflet map with the configured base layer, if any. */
export function makeMap(element, { bounds = INDONESIA } = {}) {
  const L = window.L;
  // No zoom, fade or marker animations: a view that is left (and its map removed) while
  // an animation runs made Leaflet read a removed pane ("_leaflet_pos" of undefined), and
  // on a machine without a GPU every animated frame repaints the map.
  const map = L.map(element, {
    preferCanvas: true,
    zoomSnap: 0.5,
    zoomAnimation: false,
    fadeAnimation: false,
    markerZoomAnimation: false,
  });
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

// Leaflet 1.9's canvas renderer can run a redraw it scheduled after its canvas was
// destroyed (a view left while its map settles), which throws "Cannot read properties of
// undefined (reading 'clearRect')" a frame later. A destroyed canvas has nothing to draw.
if (window.L && window.L.Canvas) {
  const redraw = window.L.Canvas.prototype._redraw;
  window.L.Canvas.include({
    _redraw() {
      if (this._ctx) redraw.call(this);
      else this._redrawRequest = null;
    },
  });
}

/** Remove a map for good (a view is left): its paths first, while their canvas renderer
 * still exists (removing a path asks the renderer to redraw), then the map. */
export function removeMap(map) {
  if (!map) return;
  const L = window.L;
  const paths = [];
  map.eachLayer((layer) => { if (!(layer instanceof L.Renderer)) paths.push(layer); });
  for (const layer of paths) map.removeLayer(layer);
  map.remove();
}
