// Console view "mapview" (to be built).
import { h } from "../common/dom.js";

export const mapView = {
  id: "mapview",
  label: "mapview",
  render(main) {
    main.append(h("p", { text: "mapview" }));
  },
};
