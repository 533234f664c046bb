// The app around the pages: the CSRF token for the other scripts, the service worker and its
// updates, installing to the home screen, the outbox of documents saved offline and the opt-in
// offline snapshot. Every page works without this file; it only adds what needs a script.
"use strict";
window.medkab = window.medkab || {};
// The token lives on #app inside <body>, which boosted navigations replace (the head is kept);
// a form on the page holds a copy for when the attribute is missing.
window.medkab.csrfToken = function (form) {
  try { return JSON.parse(document.getElementById("app").getAttribute("hx-headers"))["X-CSRFToken"]; }
  catch (e) { return ((form || document).querySelector("[name=csrf_token]") || {}).value || ""; }
};

(function () {
  const store = window.medkabStore;
  const SNAPSHOT_REFRESH_MS = 15 * 60 * 1000;
  const worker = "serviceWorker" in navigator && window.isSecureContext;
  let unsent = 0;
  let installPrompt = null;

  // Which person the page is for: "12", "" when signed out, null on a page without a session.
  function pageUser() {
    const app = document.getElementById("app");
    return app && app.hasAttribute("data-user") ? app.getAttribute("data-user") : null;
  }
  function plural(n, one, few, many) {
    const tens = n % 100, units = n % 10;
    if (tens > 10 && tens < 20) return many;
    return units === 1 ? one : units >= 2 && units <= 4 ? few : many;
  }
  function clock(ms) {
    return new Date(ms).toLocaleTimeString("ru-RU", { hour: "2-digit", minute: "2-digit" });
  }

  // ---- Service worker and «Доступна новая версия» ----
  function offerUpdate(waiting) {
    if (document.querySelector(".update-banner")) return;
    const banner = document.createElement("div");
    banner.className = "update-banner";
    banner.setAttribute("role", "status");
    const text = document.createElement("span");
    text.textContent = "Доступна новая версия";
    const button = document.createElement("button");
    button.type = "button";
    button.className = "button primary small";
    button.textContent = "Обновить";
    button.addEventListener("click", () => {
      button.disabled = true;
      waiting.postMessage({ type: "skip-waiting" });
    });
    banner.append(text, button);
    document.body.append(banner);
  }
  function watchUpdates(registration) {
    if (registration.waiting && navigator.serviceWorker.controller) offerUpdate(registration.waiting);
    registration.addEventListener("updatefound", () => {
      const next = registration.installing;
      next.addEventListener("statechange", () => {
        if (next.state === "installed" && navigator.serviceWorker.controller) offerUpdate(next);
      });
    });
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") registration.update().catch(() => {});
    });
  }
  if (worker) {
    let reloading = false;
    navigator.serviceWorker.addEventListener("controllerchange", () => {
      // Only after «Обновить»: the very first worker takes control without a reload.
      if (reloading || !document.querySelector(".update-banner")) return;
      reloading = true;
      window.location.reload();
    });
    window.addEventListener("load", () => {
      navigator.serviceWorker.register("/sw.js", { scope: "/" }).then(watchUpdates).catch(() => {});
    });
  }

  // ---- Installing to the home screen ----
  function standalone() {
    return window.matchMedia("(display-mode: standalone)").matches || navigator.standalone === true;
  }
  function askPersistence() {
    // Installed apps keep their outbox and snapshot even when the phone runs short of space.
    if (navigator.storage && navigator.storage.persist) navigator.storage.persist().catch(() => {});
  }
  function showInstall() {
    document.querySelectorAll("[data-install]").forEach((box) => { box.hidden = !installPrompt; });
    const ios = /iphone|ipad|ipod/i.test(navigator.userAgent) && !standalone();
    document.querySelectorAll("[data-install-ios]").forEach((box) => { box.hidden = !ios; });
  }
  window.addEventListener("beforeinstallprompt", (event) => {
    event.preventDefault();
    installPrompt = event;
    showInstall();
  });
  window.addEventListener("appinstalled", () => {
    installPrompt = null;
    showInstall();
    askPersistence();
  });
  document.addEventListener("click", (event) => {
    if (!event.target.closest("[data-install-button]") || !installPrompt) return;
    const prompt = installPrompt;
    installPrompt = null;
    prompt.prompt();
    prompt.userChoice.then(showInstall, showInstall);
  });

  // ---- Outbox: documents saved without a network ----
  async function showUnsent() {
    const user = pageUser();
    const csrf = user === null ? await store.get("csrf").catch(() => null) : null;
    const owner = user || (csrf && csrf.user);
    unsent = owner ? (await store.outbox.list(owner).catch(() => [])).length : 0;
    document.querySelectorAll("[data-outbox-count]").forEach((box) => {
      box.hidden = unsent === 0;
      const text = box.querySelector("[data-outbox-text]") || box;
      text.textContent = unsent + " не отправлено — " +
        plural(unsent, "документ уйдёт", "документы уйдут", "документы уйдут") + ", когда появится интернет";
    });
  }
  async function flush() {
    if (!navigator.onLine) return;
    const result = await store.flush().catch(() => null);
    await showUnsent();
    if (result && result.sent) {
      document.dispatchEvent(new CustomEvent("medkab:sent", { detail: result }));
    }
  }
  if ("BroadcastChannel" in window) new BroadcastChannel("medkab").onmessage = () => showUnsent();
  window.addEventListener("medkab:outbox", () => showUnsent());
  window.addEventListener("online", () => {
    flush().then(() => {
      if (document.getElementById("offline-page")) window.location.reload();
    });
  });
  // «online» can come a moment before requests get through (the service worker's network may
  // still be down, or the server): an offline page shown while the browser says it is online
  // tries again by itself, waiting longer each time (1, 2, 4 … 30 s). Not /offline itself.
  const RETRIES = "medkab:offline-retries";
  if (document.getElementById("offline-page")) {
    const tries = Number(sessionStorage.getItem(RETRIES) || 0);
    if (navigator.onLine && !location.pathname.endsWith("/offline")) {
      sessionStorage.setItem(RETRIES, String(tries + 1));
      setTimeout(() => window.location.reload(), Math.min(30, 2 ** tries) * 1000);
    }
  } else {
    sessionStorage.removeItem(RETRIES);
  }
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") flush();
  });
  // Signing out removes everything personal from the device; unsent documents go too, so ask.
  document.addEventListener("submit", (event) => {
    if (!event.target.matches("[data-logout]")) return;
    const question = unsent + " " + plural(unsent, "документ не отправлен", "документа не отправлены", "документов не отправлены") +
      " и будут удалены с этого устройства. Всё равно выйти?";
    if (unsent > 0 && !window.confirm(question)) {
      event.preventDefault();
      event.stopImmediatePropagation();
      return;
    }
    store.clear(true).catch(() => {});
  }, true);

  // ---- The opt-in offline snapshot ----
  async function fillSnapshot(user) {
    const answer = await fetch("/pwa/snapshot-pages", { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!answer.ok) throw new Error("pages");
    const urls = (await answer.json()).pages;
    let kept = 0;
    for (const url of urls) {
      const response = await fetch(url, { credentials: "same-origin" });
      if (response.ok && (await store.keep(new URL(url, window.location.href).href, response))) kept++;
    }
    const setting = await store.get("snapshot");
    if (setting && setting.on && setting.user === user) {
      await store.set("snapshot", Object.assign({}, setting, { filled: Date.now(), pages: kept }));
    }
    return kept;
  }
  async function showSnapshot(toggle, status) {
    const setting = await store.get("snapshot").catch(() => null);
    const on = !!(setting && setting.on && setting.user === pageUser());
    toggle.checked = on;
    status.hidden = !on;
    if (on && setting.filled) {
      status.textContent = "Сохранено страниц: " + setting.pages + ", данные на " + clock(setting.filled) + ".";
    } else if (on) {
      status.textContent = "Сохраняем страницы…";
    }
  }
  function bindSnapshot() {
    const toggle = document.querySelector("[data-snapshot-toggle]");
    if (!toggle || toggle.dataset.bound) return;
    toggle.dataset.bound = "1";
    const status = document.querySelector("[data-snapshot-status]");
    if (!worker || !("indexedDB" in window) || !("caches" in window)) {
      status.hidden = false;
      status.textContent = "Этот браузер не умеет хранить данные для работы без сети.";
      return;
    }
    toggle.disabled = false;
    showSnapshot(toggle, status);
    toggle.addEventListener("change", async () => {
      const user = pageUser();
      toggle.disabled = true;
      try {
        if (toggle.checked) {
          await store.set("snapshot", { on: true, user: user, until: 0 });
          await showSnapshot(toggle, status);
          await fillSnapshot(user);
        } else {
          await store.remove("snapshot");
          await caches.delete(store.SNAPSHOT);
        }
      } catch (error) {
        status.hidden = false;
        status.textContent = "Не удалось сохранить страницы. Проверьте связь и включите ещё раз.";
      }
      toggle.disabled = false;
      await showSnapshot(toggle, status);
    });
  }
  async function refreshSnapshot(user) {
    const setting = await store.get("snapshot");
    if (!setting || !setting.on || setting.user !== user || !navigator.onLine) return;
    if (setting.filled && Date.now() - setting.filled < SNAPSHOT_REFRESH_MS) return;
    await fillSnapshot(user);
  }

  // ---- Every page start (and every boosted navigation) ----
  async function start() {
    const user = pageUser();
    if (!store) return;
    if (user === "") {
      // Signed out: the snapshot is gone; signing out on purpose takes the outbox too.
      await store.clear(/[?&]signed_out=1/.test(window.location.search)).catch(() => {});
    } else if (user) {
      await store.set("csrf", { user: user, token: window.medkab.csrfToken() }).catch(() => {});
      bindSnapshot();
      if (standalone()) askPersistence();
      await flush();
      setTimeout(() => refreshSnapshot(user).catch(() => {}), 2000);
    } else {
      await flush();
    }
    showInstall();
    await showUnsent();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
  document.addEventListener("htmx:afterSettle", (event) => {
    // After a boosted navigation, move focus to the page content for screen readers.
    if (event.detail.boosted) {
      const main = document.getElementById("main");
      if (main) main.focus({ preventScroll: true });
      start();
    }
  });
})();
