// The operator console (/t/{slug}/console/): operators, officers, agency liaisons and
// tenant admins, each seeing the views its role allows. Every view is a client of the
// tenant GraphQL endpoint; the API checks every permission again.

import { boot, has } from "../common/shell.js";
import { extend } from "../common/i18n.js";
import { queueView } from "./queue.js";
import { mapView } from "./mapview.js";
import { reportView } from "./report.js";
import { bulletinsView } from "./bulletins.js";
import { moderationView } from "./moderation.js";
import { electionView } from "./election.js";
import { adminView } from "./admin.js";
import { failedNotificationsView } from "./notifications.js";
import { privacyView } from "./privacy.js";
import { isLiaisonOnly, watchSos } from "./reportkit.js";

extend({
  id: { "console.title": "Konsol Operator" },
  en: { "console.title": "Operator console" },
});

const STAFF = ["operator", "officer", "tenant_admin", "agency_liaison"];

boot({
  title: "console.title",
  allowed: (me) => has(me, ...STAFF),
  views: [queueView, mapView, reportView, bulletinsView, moderationView, electionView, failedNotificationsView, privacyView, adminView],
  // The SOS alarm listens from sign-in, whichever view opens first (a reload onto
  // #/bulletins too). Liaisons have no live feed.
  start: (ctx) => { if (!isLiaisonOnly(ctx.me)) watchSos(ctx); },
});
