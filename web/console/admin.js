// Console view "admin" (to be built).
import { h } from "../common/dom.js";

export const adminView = {
  id: "admin",
  label: "admin",
  render(main) {
    main.append(h("p", { text: "admin" }));
  },
};
