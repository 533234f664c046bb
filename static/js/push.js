// «Уведомления на этом устройстве»: permission is asked only inside the button's click handler;
// then the browser's push subscription is made (or reused) and sent to the server, and the page
// reloads to list the device. Without JavaScript or push support the section says so; the
// device list and «Отключить» are plain forms.
"use strict";
(function () {
  const SAY = {
    insecure: "Уведомления работают только по защищённому соединению (https).",
    unsupported: "Этот браузер не умеет получать push-уведомления. На iPhone сначала добавьте "
      + "кабинет на экран «Домой» и откройте его оттуда.",
    denied: "Уведомления запрещены в настройках браузера. Разрешите их для этого сайта "
      + "и нажмите кнопку ещё раз.",
    dismissed: "Уведомления не разрешены. Нажмите кнопку ещё раз и выберите «Разрешить».",
    working: "Подключаем уведомления…",
    noWorker: "Не удалось подключить уведомления: приложение ещё загружается. Обновите "
      + "страницу и попробуйте снова.",
    service: "Не удалось подключить уведомления: сервис push недоступен. Попробуйте позже.",
    server: "Не удалось подключить уведомления: сервер не сохранил подписку. Обновите страницу "
      + "и попробуйте снова.",
    done: "Уведомления включены.",
  };

  function supported() {
    return "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
  }

  function keyBytes(base64url) {
    const base64 = base64url.replace(/-/g, "+").replace(/_/g, "/");
    const raw = atob(base64 + "=".repeat((4 - (base64.length % 4)) % 4));
    return Uint8Array.from(raw, (c) => c.charCodeAt(0));
  }

  function sameKey(buffer, key) {
    if (!buffer) return false;
    const bytes = new Uint8Array(buffer);
    return bytes.length === key.length && bytes.every((b, i) => b === key[i]);
  }

  function within(promise, ms) {
    return Promise.race([promise, new Promise((resolve) => setTimeout(() => resolve(null), ms))]);
  }

  async function subscription(registration, key) {
    const manager = registration.pushManager;
    const existing = await manager.getSubscription();
    if (existing && sameKey(existing.options && existing.options.applicationServerKey, key)) {
      return existing;
    }
    if (existing) await existing.unsubscribe(); // made for another server key: useless here
    return manager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
  }

  function bind(section) {
    if (section.dataset.bound) return;
    section.dataset.bound = "1";
    const button = section.querySelector("[data-push-enable]");
    const status = section.querySelector("[data-push-status]");

    function say(text, kind) {
      status.textContent = text;
      status.hidden = !text;
      status.className = "push-status " + (kind === "error" ? "alert alert-error"
        : kind === "ok" ? "flash flash-success" : "flash flash-info");
    }

    async function enable() {
      const permission = await Notification.requestPermission();
      if (permission !== "granted") {
        say(permission === "denied" ? SAY.denied : SAY.dismissed, "error");
        return;
      }
      say(SAY.working);
      const registration = await within(navigator.serviceWorker.ready, 10000);
      if (!registration) {
        say(SAY.noWorker, "error");
        return;
      }
      let made;
      try {
        made = await within(subscription(registration, keyBytes(section.dataset.pushKey)), 20000);
      } catch (error) {
        made = null; // AbortError / NotAllowedError: the browser's push service said no
      }
      if (!made) {
        say(SAY.service, "error");
        return;
      }
      const response = await fetch(section.dataset.pushSubscribe, {
        method: "POST",
        credentials: "same-origin",
        headers: {
          "Content-Type": "application/json",
          Accept: "application/json",
          "X-CSRFToken": window.medkab ? window.medkab.csrfToken() : "",
        },
        body: JSON.stringify(made.toJSON()),
      });
      let answer = {};
      try { answer = await response.json(); } catch (error) { answer = {}; }
      if (!response.ok || !answer.id) {
        say(answer.error ? "Не удалось подключить уведомления. " + answer.error : SAY.server, "error");
        return;
      }
      say(SAY.done, "ok");
      window.location.reload(); // the list shows the device, with the server's message
    }

    if (!window.isSecureContext) return say(SAY.insecure, "error");
    if (!supported()) return say(SAY.unsupported, "error");
    button.hidden = false;
    if (Notification.permission === "denied") say(SAY.denied, "error"); // told, never asked
    button.addEventListener("click", () => {
      button.disabled = true;
      enable()
        .catch(() => say(SAY.server, "error"))
        .finally(() => { button.disabled = false; });
    });
  }

  function init() {
    document.querySelectorAll("section[data-push-key]").forEach(bind);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
  if (!window.medkabPushBound) {
    window.medkabPushBound = true;
    document.addEventListener("htmx:afterSettle", init);
  }
})();
