// Platform administration (/platform/): the commands and their status, the onboarding
// wizard, and each command's go-live page, over /platform/graphql only. For platform
// admins; anyone else sees the no-access page.

import { boot, has } from "../common/shell.js";
import "./strings.js";
import { onboardView } from "./onboard.js";
import { tenantView, tenantsView } from "./tenants.js";

boot({
  title: "platform.title",
  allowed: (me) => has(me, "platform_admin"),
  views: [tenantsView, onboardView, tenantView],
});
