// The citizen app's service worker, served at /t/{slug}/sw.js (its scope is the app). The
// server fills CONFIG: {version, scope, shell: [URLs]}. It keeps the app shell (the page,
// the manifest, our modules, the vendored Leaflet) in a cache named by version, so the
// app opens with no signal; a new version fills a new cache and deletes the old ones.
// It never touches GraphQL, /auth or anything but GET requests for the shell: a report
// waiting for a signal lives in the page's IndexedDB, and an SOS is never queued.

const CONFIG = {"__config__": true};
const PREFIX = `jogo-citizen:${CONFIG.scope}:`;
const CACHE = `${PREFIX}${CONFIG.version}`;
const SHELL = new Set((CONFIG.shell || []).map((url) => new URL(url, self.location.origin).href));

self.addEventListener("install", (event) => {
  // cache: "reload": straight from the server, not an older copy in the HTTP cache.
  event.waitUntil(
    caches.open(CACHE)
      .then((cache) => cache.addAll([...SHELL].map((url) => new Request(url, { cache: "reload", credentials: "same-origin" }))))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(names.filter((n) => n.startsWith(PREFIX) && n !== CACHE).map((n) => caches.delete(n))))
      .then(() => self.clients.claim()),
  );
});

function isPage(request, url) {
  return request.mode === "navigate" && url.pathname === CONFIG.scope;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return; // GraphQL POSTs, sign-in: always the network
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/auth/") || url.pathname.endsWith("/graphql")) return;
  if (isPage(request, url)) {
    // The page carries fresh configuration: the network first, the cached copy without signal.
    event.respondWith(
      fetch(request).then((response) => {
        if (response.ok) {
          const copy = response.clone();
          caches.open(CACHE).then((cache) => cache.put(CONFIG.scope, copy));
        }
        return response;
      }).catch(() => caches.match(CONFIG.scope, { cacheName: CACHE }).then((hit) => hit || Response.error())),
    );
    return;
  }
  const key = url.origin + url.pathname;
  if (!SHELL.has(key)) return;
  // Shell files change only with a new version (and a new cache): the cache first.
  event.respondWith(
    caches.match(key, { cacheName: CACHE }).then((hit) => hit || fetch(request)),
  );
});

// Web Push: the server's payload is JSON {title, body, url} or plain text.
self.addEventListener("push", (event) => {
  let data = {};
  try { data = event.data ? event.data.json() : {}; } catch { data = { body: event.data ? event.data.text() : "" }; }
  const title = data.title || "Jogo Presisi";
  event.waitUntil(self.registration.showNotification(title, {
    body: data.body || data.text || "",
    icon: "/web/citizen/icon-192.png",
    badge: "/web/citizen/icon-192.png",
    data: { url: data.url || `${CONFIG.scope}#/lacak` },
  }));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const target = new URL(event.notification.data?.url || CONFIG.scope, self.location.origin).href;
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((windows) => {
      const open = windows.find((w) => w.url.startsWith(new URL(CONFIG.scope, self.location.origin).href));
      if (open) return open.focus().then((w) => (w && w.navigate ? w.navigate(target) : w));
      return self.clients.openWindow(target);
    }),
  );
});
