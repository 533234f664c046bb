// Service worker: precaches the app shell, serves /offline when the network is gone.
// Pages are never cached (they carry personal data and `Cache-Control: no-store`).
"use strict";
const VERSION = "medkab-shell-v3";
const SHELL = [
  "/offline",
  "/static/css/app.css",
  "/static/js/app.js",
  "/static/js/passkeys.js",
  "/static/js/capture.js",
  "/static/vendor/htmx-2.0.11.min.js",
  "/static/icons/icon.svg",
  "/static/icons/icon-192.png",
  "/manifest.webmanifest",
];
const NETWORK_TIMEOUT_MS = 3000;

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(VERSION).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((key) => key !== VERSION).map((key) => caches.delete(key))))
      .then(() => self.clients.claim())
  );
});

function withTimeout(promise, ms) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("timeout")), ms);
    promise.then((value) => { clearTimeout(timer); resolve(value); },
                 (error) => { clearTimeout(timer); reject(error); });
  });
}

async function page(request) {
  try {
    return await withTimeout(fetch(request), NETWORK_TIMEOUT_MS);
  } catch (error) {
    const offline = await caches.match("/offline");
    return offline || new Response("Нет соединения", { status: 503, headers: { "Content-Type": "text/plain; charset=utf-8" } });
  }
}

async function staleWhileRevalidate(event) {
  const cache = await caches.open(VERSION);
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

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  const htmx = request.headers.get("HX-Request") === "true";
  const boosted = request.headers.get("HX-Boosted") === "true";
  if (htmx && !boosted) return;  // htmx partials go straight to the network, never cached
  if (request.mode === "navigate" || boosted) {  // boosted links are page loads too
    event.respondWith(page(request));
  } else if (url.pathname.startsWith("/static/")) {
    event.respondWith(staleWhileRevalidate(event));
  }
});
