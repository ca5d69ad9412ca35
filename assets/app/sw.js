// The athletes' app's service worker: the shell, and the athlete's last plans and lists, for when
// the connection drops. The server writes in the current files' URLs, so a new version of the
// binary is a new worker that replaces the old shell.
const PRECACHE = {{precache}};
const SHELL = `sn-shell-${hash(JSON.stringify(PRECACHE))}`;
// The athlete's own answers, kept for offline reading. The page opens this cache at sign-in and
// deletes it when the session ends; answers are kept only while it exists, so one still on its way
// at sign-out does not bring it back.
const DATA = "sn-data";
// What is kept of the API: the athlete's plans, lists, targets, profile and log, and the
// vocabularies and catalogue they refer to.
const KEPT = /^\/api\/v1\/(profile|health-profile|nutrition\/targets|meal-plans|shopping-lists|recommendations|progress|vocabularies|dishes\/[^/]+$)/;

function hash(text) {
  let h = 5381;
  for (let i = 0; i < text.length; i += 1) h = (h * 33 + text.charCodeAt(i)) >>> 0;
  return h.toString(36);
}

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(SHELL).then((cache) => cache.addAll(["/", ...PRECACHE])).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys()
    .then((names) => Promise.all(names.filter((n) => n.startsWith("sn-shell-") && n !== SHELL).map((n) => caches.delete(n))))
    // The page is fetched while this worker starts, not after.
    .then(() => self.registration.navigationPreload?.enable())
    .then(() => self.clients.claim()));
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && url.pathname === "/") {
    event.respondWith(networkFirst(request, SHELL, "/", event.preloadResponse));
  } else if (url.pathname.startsWith("/app/assets/")) {
    event.respondWith(cacheFirst(request));
  } else if (KEPT.test(url.pathname)) {
    event.respondWith(fromTheApp(event.clientId).then((app) => (app ? networkFirst(request, DATA) : fetch(request))));
  }
});

// Whether the page asking is the app: the dashboard (/admin) lies within this worker's scope too,
// and its answers are not the athlete's to keep.
async function fromTheApp(clientId) {
  const client = clientId ? await self.clients.get(clientId) : null;
  return client !== null && client !== undefined && new URL(client.url).pathname === "/";
}

// Hashed files never change: from the cache, else from the network into it.
async function cacheFirst(request) {
  const cached = await caches.match(request);
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok) (await caches.open(SHELL)).put(request, response.clone());
  return response;
}

// The network's answer (the navigation preload's, when there is one), kept; without a network, the
// last one kept, else a problem saying so.
async function networkFirst(request, cacheName, key = request, preloaded = undefined) {
  try {
    const response = (await preloaded) ?? await fetch(request);
    if (response.ok && (cacheName !== DATA || await caches.has(DATA))) (await caches.open(cacheName)).put(key, response.clone());
    return response;
  } catch (error) {
    const cached = await caches.match(key, { cacheName, ignoreVary: true });
    if (cached) {
      const headers = new Headers(cached.headers);
      headers.set("x-offline", "1");
      return new Response(cached.body, { status: cached.status, headers });
    }
    return new Response(JSON.stringify({ title: "Offline", status: 503, detail: "offline" }), {
      status: 503, headers: { "content-type": "application/problem+json", "x-offline": "1" },
    });
  }
}
