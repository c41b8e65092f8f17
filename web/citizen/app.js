// The command's public web app for citizens (/t/{slug}/): report, track, bulletins,
// sharing, the panic button, facilities, and sign-in by phone. Open to everyone; a
// signed-in citizen (the refresh cookie, restored on every visit) also gets "my reports",
// replies, the panic button and notification settings. Installable, and it opens and
// keeps reports with no signal (sw.js, outbox.js).

import { config, gql, session } from "../common/api.js";
import { $, h, replace, toast } from "../common/dom.js";
import { errorText, lang, onLangChange, setLang, t } from "../common/i18n.js";
import "./strings.js";
import { hasModule, online } from "./kit.js";
import { flush } from "./outbox.js";
import { reportView } from "./report.js";
import { trackView } from "./track.js";
import { infoView } from "./info.js";
import { shareView } from "./share.js";
import { panicView } from "./panic.js";
import { facilitiesView } from "./facilities.js";
import { accountView } from "./account.js";

const VIEWS = [reportView, trackView, infoView, shareView, panicView, facilitiesView, accountView]
  .filter((v) => !v.module || hasModule(v.module));

const ctx = {
  config,
  me: null, // {kind, name, roles} when signed in
  get signedIn() { return Boolean(session.token && this.me && this.me.kind === "user"); },
  navigate: (hash) => { location.hash = hash; },
  refresh: () => route(),
};

let cleanup = null;
const header = h("header", { class: "topbar citizen-top" });
const nav = h("nav", { class: "citizen-nav", "aria-label": "menu" });
const main = h("main", { id: "main", class: "content citizen-main" });
const net = h("span", { id: "net-status", class: "net", role: "status" });

function drawChrome() {
  replace(
    header,
    h("img", { src: "/web/citizen/icon-192.png", alt: "", class: "logo", width: 28, height: 28 }),
    h("div", { class: "brand-box" }, h("strong", { class: "brand", text: t("citizen.title") }), h("span", { class: "tenant", text: config.name || "" })),
    h("span", { class: "spacer" }),
    net,
    h("button", { type: "button", class: "link lang", text: lang() === "id" ? "EN" : "ID", "aria-label": t("app.lang"), onclick: () => setLang(lang() === "id" ? "en" : "id") }),
  );
  replace(nav, VIEWS.map((v) => h("a", {
    href: `#/${v.id}`, dataset: { view: v.id }, class: v.id === "darurat" ? "sos-tab" : null,
  }, h("span", { class: "nav-icon", "aria-hidden": "true", text: v.icon }), h("span", { text: t(v.id === "akun" && ctx.signedIn ? "nav.account" : v.label) }))));
  drawNet();
}

function drawNet() {
  const on = online();
  net.className = `net ${on ? "on" : "off"}`;
  net.textContent = on ? "" : t("net.offline");
}

function route() {
  if (cleanup) { try { cleanup(); } catch { /* a view's own cleanup */ } cleanup = null; }
  const [id, ...rest] = location.hash.replace(/^#\/?/, "").split("/");
  const view = VIEWS.find((v) => v.id === id) || VIEWS[0];
  for (const link of nav.querySelectorAll("a")) {
    const active = link.dataset.view === view.id;
    link.classList.toggle("active", active);
    if (active) link.setAttribute("aria-current", "page"); else link.removeAttribute("aria-current");
  }
  replace(main);
  main.dataset.view = view.id;
  delete main.dataset.loaded;
  const param = rest.map(decodeURIComponent).join("/") || null;
  Promise.resolve(view.render(main, ctx, param))
    .then((fn) => { cleanup = typeof fn === "function" ? fn : null; main.dataset.loaded = "1"; })
    .catch((e) => { replace(main, h("p", { class: "error", role: "alert", text: errorText(e) })); main.dataset.loaded = "1"; });
}

/** Who is signed in (the refresh cookie): sets ctx.me; offline, nobody for now. */
async function whoAmI() {
  ctx.me = null;
  try {
    if (!(await session.restore())) return;
    ctx.me = (await gql("query Me { me { kind name roles } }")).me;
  } catch { ctx.me = null; }
}

async function sendWaiting() {
  if (!online()) return;
  await flush(config.scope, config.endpoint);
}

async function registerWorker() {
  if (!("serviceWorker" in navigator) || !config.scope) return;
  try {
    await navigator.serviceWorker.register(`${config.scope}sw.js`, { scope: config.scope });
  } catch { /* no worker (private mode, http on another host): the app still works online */ }
}

async function start() {
  document.documentElement.lang = lang();
  const root = $("#app");
  replace(root, h("p", { class: "loading", text: t("app.loading") }));
  await whoAmI();
  drawChrome();
  replace(root, header, nav, main, h("footer", { class: "citizen-foot" }, t("foot.emergency"), " ", h("a", { href: "tel:110", text: "110" }), " · ", h("a", { href: "tel:112", text: "112" })));
  window.addEventListener("hashchange", route);
  onLangChange(() => { drawChrome(); route(); });
  session.on(async (event) => {
    if (event === "signed-in") {
      if (!ctx.me) ctx.me = (await gql("query Me { me { kind name roles } }").catch(() => ({ me: null }))).me;
      drawChrome();
      sendWaiting();
    }
    if (event === "signed-out") { ctx.me = null; drawChrome(); route(); }
  });
  window.addEventListener("online", async () => {
    drawNet();
    toast(t("net.back"));
    if (!ctx.me) { await whoAmI(); drawChrome(); }
    sendWaiting();
  });
  window.addEventListener("offline", drawNet);
  route();
  registerWorker();
  // Retry on app open, then every 30 s while something waits (an "online" event does not
  // come when the signal is merely weak).
  sendWaiting();
  setInterval(sendWaiting, 30000);
}

start();
