// Console view "queue" (to be built).
import { h } from "../common/dom.js";

export const queueView = {
  id: "queue",
  label: "queue",
  render(main) {
    main.append(h("p", { text: "queue" }));
  },
};
