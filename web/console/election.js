// Console view "election" (to be built).
import { h } from "../common/dom.js";

export const electionView = {
  id: "election",
  label: "election",
  render(main) {
    main.append(h("p", { text: "election" }));
  },
};
