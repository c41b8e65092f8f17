// Drawing a bulletin's area on a Leaflet map, with plain Leaflet (no plugin):
// - polygon: click each vertex; double-click, or finish(), closes it (at least 3 points);
// - circle: click the centre; a second click sets the radius (or type it in metres).
// The drawn shapes are not interactive, so every click reaches the map itself.

const STYLE = { color: "#b3261e", weight: 2, fillColor: "#b3261e", fillOpacity: 0.15, interactive: false };

/** Two points closer than this many pixels are one (the two clicks of a double-click). */
const SAME_PX = 4;

export class AreaDrawer {
  /** map: a Leaflet map; onChange(): called after every change of the drawing. */
  constructor(map, onChange = () => {}) {
    this.L = window.L;
    this.map = map;
    this.onChange = onChange;
    this.layer = this.L.layerGroup().addTo(map);
    this.mode = null; // "polygon" | "circle" | null
    this.points = []; // polygon vertices (L.LatLng), open while drawing
    this.closed = false;
    this.centre = null;
    this.radius = null;
    this.onClick = (event) => this.click(event.latlng);
    this.onDblClick = (event) => { if (this.mode === "polygon") { this.L.DomEvent.stop(event); this.finish(); } };
    map.on("click", this.onClick);
    map.on("dblclick", this.onDblClick);
  }

  /** Start drawing a new shape of this kind ("polygon" or "circle"); the old one goes. */
  start(mode) {
    this.clear(false);
    this.mode = mode;
    this.map.doubleClickZoom.disable();
    this.map.getContainer().classList.add("drawing");
    this.onChange();
  }

  click(latlng) {
    if (this.mode === "polygon" && !this.closed) {
      const last = this.points[this.points.length - 1];
      if (last && this.map.latLngToContainerPoint(last).distanceTo(this.map.latLngToContainerPoint(latlng)) < SAME_PX) return;
      this.points.push(latlng);
    } else if (this.mode === "circle") {
      if (!this.centre || this.radius) {
        this.centre = latlng;
        this.radius = null;
      } else {
        this.radius = Math.round(this.map.distance(this.centre, latlng));
        this.stop();
      }
    } else {
      return;
    }
    this.redraw();
  }

  /** Close the polygon being drawn; false when it has fewer than 3 points. */
  finish() {
    if (this.mode !== "polygon" || this.points.length < 3) return false;
    this.closed = true;
    this.stop();
    this.redraw();
    return true;
  }

  /** Set the circle's radius in metres (the centre must be set). */
  setRadius(metres) {
    if (!this.centre || !(metres > 0)) return;
    this.radius = metres;
    this.stop();
    this.redraw();
  }

  stop() {
    this.map.doubleClickZoom.enable();
    this.map.getContainer().classList.remove("drawing");
  }

  /** Forget the drawing. */
  clear(notify = true) {
    this.stop();
    this.mode = null;
    this.points = [];
    this.closed = false;
    this.centre = null;
    this.radius = null;
    this.layer.clearLayers();
    if (notify) this.onChange();
  }

  redraw() {
    const L = this.L;
    this.layer.clearLayers();
    if (this.points.length) {
      if (this.closed) L.polygon(this.points, STYLE).addTo(this.layer);
      else L.polyline(this.points, { ...STYLE, dashArray: "4 4" }).addTo(this.layer);
      for (const p of this.points) L.circleMarker(p, { radius: 4, color: "#b3261e", weight: 2, fillColor: "#fff", fillOpacity: 1, interactive: false }).addTo(this.layer);
    }
    if (this.centre) {
      L.circleMarker(this.centre, { radius: 4, color: "#b3261e", weight: 2, fillColor: "#fff", fillOpacity: 1, interactive: false }).addTo(this.layer);
      if (this.radius) L.circle(this.centre, { ...STYLE, radius: this.radius }).addTo(this.layer);
    }
    this.onChange();
  }

  /** The area as the API takes it: {polygon: [{latitude, longitude}] | null, circle | null}. */
  value() {
    const round = (x) => Math.round(x * 1e6) / 1e6;
    return {
      polygon: this.closed ? this.points.map((p) => ({ latitude: round(p.lat), longitude: round(p.lng) })) : null,
      circle: this.centre && this.radius ? { latitude: round(this.centre.lat), longitude: round(this.centre.lng), radiusM: this.radius } : null,
    };
  }

  /** Whether a polygon is being drawn and not yet closed. */
  get open() { return this.mode === "polygon" && !this.closed && this.points.length > 0; }

  /** Show a stored area (a bulletin's: polygon [[lat, lon]…], circle {latitude, longitude, radiusM}). */
  load(area) {
    this.clear(false);
    const L = this.L;
    if (area.polygon && area.polygon.length) {
      const ring = area.polygon.map(([lat, lon]) => L.latLng(lat, lon));
      if (ring.length > 1 && ring[0].equals(ring[ring.length - 1])) ring.pop(); // CAP closes the ring
      this.mode = "polygon";
      this.points = ring;
      this.closed = true;
    }
    if (area.circle) {
      this.centre = L.latLng(area.circle.latitude, area.circle.longitude);
      this.radius = area.circle.radiusM;
      if (!this.mode) this.mode = "circle";
    }
    this.redraw();
    const group = L.featureGroup(this.layer.getLayers());
    if (group.getLayers().length) this.map.fitBounds(group.getBounds().pad(0.3), { maxZoom: 15 });
  }

  /** Stop listening to the map. */
  destroy() {
    this.map.off("click", this.onClick);
    this.map.off("dblclick", this.onDblClick);
    this.layer.remove();
  }
}
