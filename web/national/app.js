// The national dashboard (/national/): Polda and national supervisors and the oversight
// auditor, over /national/graphql. Every figure is the API's, in the caller's Polda scope.

import { boot, has } from "../common/shell.js";
import { extend } from "../common/i18n.js";
import { h } from "../common/dom.js";

extend({
  id: { "national.title": "Dasbor Nasional" },
  en: { "national.title": "National dashboard" },
});

boot({
  title: "national.title",
  allowed: (me) => has(me, "polda_supervisor", "national_supervisor", "oversight_auditor"),
  views: [{ id: "summary", label: "national.title", render: (main) => main.append(h("p", { text: "…" })) }],
});
