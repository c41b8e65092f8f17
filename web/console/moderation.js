// Console view "moderation" (to be built).
import { h } from "../common/dom.js";

export const moderationView = {
  id: "moderation",
  label: "moderation",
  render(main) {
    main.append(h("p", { text: "moderation" }));
  },
};
