// Platform administration (/platform/): onboarding, go-live checklists, tenants and
// their status, over /platform/graphql.

import { boot, has } from "../common/shell.js";
import { extend } from "../common/i18n.js";
import { h } from "../common/dom.js";

extend({
  id: { "platform.title": "Administrasi Platform" },
  en: { "platform.title": "Platform administration" },
});

boot({
  title: "platform.title",
  allowed: (me) => has(me, "platform_admin"),
  views: [{ id: "tenants", label: "platform.title", render: (main) => main.append(h("p", { text: "…" })) }],
});
