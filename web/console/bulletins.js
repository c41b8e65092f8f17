// Console view "bulletins" (to be built).
import { h } from "../common/dom.js";

export const bulletinsView = {
  id: "bulletins",
  label: "bulletins",
  render(main) {
    main.append(h("p", { text: "bulletins" }));
  },
};
