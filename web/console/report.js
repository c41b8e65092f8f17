// Console view "report" (to be built).
import { h } from "../common/dom.js";

export const reportView = {
  id: "report",
  label: "report",
  render(main) {
    main.append(h("p", { text: "report" }));
  },
};
