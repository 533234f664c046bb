// Service worker (DESIGN §8). /sw.js puts `SETTINGS` (version, shell URLs…) above this source,
// so every change to the shell is a new worker.
//   Pages: network first (3 s), then the opt-in snapshot, then /offline. Never cached otherwise:
//          they carry personal data and `no-store`; htmx partials are not touched at all.
//   Static files: stale-while-revalidate in the versioned shell cache.
//   Updates wait for «Обновить» on the page; the old caches go when the new worker activates.
//   Outbox: Background Sync sends documents saved offline; push shows notices; a share opens
//   «Новый документ» with the shared files.
"use strict";
importScripts(SETTINGS.store);
const SHELL = "medkab-shell-" + SETTINGS.version;
const NETWORK_TIMEOUT_MS = 3000;
const store = self.medkabStore;

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(SHELL);
    await cache.addAll(SETTINGS.shell.map((url) => new Request(url, { cache: "reload" })));
    if (!self.registration.active) await self.skipWaiting(); // the first worker: nothing to replace
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    const keep = new Set([SHELL, store.SNAPSHOT]);
    const names = await caches.keys();
    await Promise.all(names.filter((name) => !keep.has(name)).map((name) => caches.delete(name)));
    await self.clients.claim();
  })());
});

self.addEventListener("message", (event) => {
  if (event.data && event.data.type === "skip-waiting") self.skipWaiting();
});

function withTimeout(promise, ms) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("timeout")), ms);
    promise.then((value) => { clearTimeout(timer); resolve(value); },
                 (error) => { clearTimeout(timer); reject(error); });
  });
}

// «ЧЧ:ММ» (with the date when not today) in the person's own time zone, like the page itself.
function savedAt(ms, zone) {
  const format = (moment, options) => {
    try { return moment.toLocaleString("ru-RU", Object.assign({ timeZone: zone }, options)); }
    catch (error) { return moment.toLocaleString("ru-RU", options); }
  };
  const day = { day: "2-digit", month: "2-digit" };
  const time = format(new Date(ms), { hour: "2-digit", minute: "2-digit" });
  if (format(new Date(ms), day) === format(new Date(), day)) return time;
  return format(new Date(ms), day) + " " + time;
}

// The kept page, read-only: a banner with the time it was saved; forms are hidden by CSS.
async function fromSnapshot(response) {
  const saved = Number(response.headers.get("X-Medkab-Saved")) || Date.now();
  const zone = (/zone=([\w/+-]+)/.exec(response.headers.get("X-Medkab-Snapshot") || "") || [])[1];
  const banner = '<p class="snapshot-banner" role="status">Нет сети. Данные на ' + savedAt(saved, zone) +
    " — только просмотр.</p>";
  const html = (await response.text())
    .replace('<div id="app"', '<div id="app" data-snapshot')
    .replace(/(<main id="main"[^>]*>)/, "$1" + banner);
  return new Response(html, { status: 200, headers: { "Content-Type": "text/html; charset=utf-8" } });
}

async function page(event) {
  const request = event.request;
  try {
    const response = await withTimeout(fetch(request), NETWORK_TIMEOUT_MS);
    if (response.headers.has("X-Medkab-Snapshot")) {
      event.waitUntil(store.keep(request.url, response.clone()).catch(() => undefined));
    }
    return response;
  } catch (error) {
    const kept = await store.kept(request.url).catch(() => null);
    if (kept) return fromSnapshot(kept);
    const offline = await caches.match(SETTINGS.offline);
    // A new Response, not the cached one: its URL would become the address of a boosted
    // navigation (htmx follows the response's URL), and a reload would stay on /offline.
    if (offline) return new Response(await offline.blob(), { status: 200, headers: offline.headers });
    return new Response("Нет соединения", { status: 503, headers: { "Content-Type": "text/plain; charset=utf-8" } });
  }
}

async function staleWhileRevalidate(event) {
  const cache = await caches.open(SHELL);
  const cached = await cache.match(event.request);
  const network = fetch(event.request).then((response) => {
    const cacheable = response.ok && !/no-store/.test(response.headers.get("Cache-Control") || "");
    if (cacheable) cache.put(event.request, response.clone());
    return response;
  });
  if (cached) {
    event.waitUntil(network.catch(() => undefined));
    return cached;
  }
  return network;
}

// Android's share sheet posts the files here; they wait on the device for «Новый документ».
async function shared(event) {
  try {
    const form = await event.request.formData();
    const files = form.getAll("files").filter((file) => file instanceof File && file.size > 0).slice(0, 20);
    await store.set("shared", files);
  } catch (error) {
    await store.remove("shared").catch(() => undefined);
  }
  return Response.redirect(SETTINGS.capture + "?shared=1", 303);
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.method === "POST" && url.pathname === SETTINGS.share) {
    event.respondWith(shared(event));
    return;
  }
  if (request.method !== "GET") return;
  const htmx = request.headers.get("HX-Request") === "true";
  const boosted = request.headers.get("HX-Boosted") === "true";
  if (htmx && !boosted) return;  // htmx partials go straight to the network, never cached
  if (request.mode === "navigate" || boosted) {  // boosted links are page loads too
    event.respondWith(page(event));
  } else if (url.pathname.startsWith("/static/")) {
    event.respondWith(staleWhileRevalidate(event));
  }
});

// Background Sync: the browser wakes us when the network is back. A failed network makes the
// promise reject, so the browser tries again later.
self.addEventListener("sync", (event) => {
  if (event.tag !== "outbox") return;
  event.waitUntil(store.flush().then((result) => {
    if (result.network) throw new Error("offline");
  }));
});

// Push: {title, body, url, tag}, nothing a lock screen should not show (the server decides).
self.addEventListener("push", (event) => {
  let data = {};
  try { data = event.data ? event.data.json() : {}; } catch (error) { data = {}; }
  const title = data.title || "Кабинет медработника";
  event.waitUntil(self.registration.showNotification(title, {
    body: data.body || "",
    tag: data.tag || undefined,
    renotify: Boolean(data.tag), // a newer notice under the same tag still alerts
    lang: "ru",
    icon: SETTINGS.icon,
    badge: SETTINGS.icon,
    data: { url: data.url || "/notifications" },
  }));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const target = new URL((event.notification.data && event.notification.data.url) || "/", self.location.origin);
  if (target.origin !== self.location.origin) return;
  event.waitUntil((async () => {
    const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
    const open = windows.find((client) => new URL(client.url).origin === self.location.origin);
    if (open) {
      const moved = await open.navigate(target.href).catch(() => null);
      return (moved || open).focus().catch(() => undefined);
    }
    return self.clients.openWindow(target.href);
  })());
});
