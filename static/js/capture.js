// Camera capture on form[data-capture]: shots and picked files become a list of pages the user can
// reorder, turn and delete; on save each image is redrawn on a canvas (long side ≤ 2048 px, JPEG
// q0.8 — the redraw leaves EXIF and GPS behind) and all pages go up as one document with the
// page's idempotency key. Without a network the document waits in the outbox on the phone
// (static/js/offline_store.js) under the same key and goes up once the network is back. Files
// shared to the installed app arrive here too. Without JavaScript the form posts the picked files
// as they are.
"use strict";
(function () {
  const LONG_SIDE = 2048;
  const QUALITY = 0.8;
  const THUMB_SIDE = 240;
  const TEXT = {
    pdfAlone: "PDF загружается отдельно, без фотографий.",
    onePdf: "Выберите один PDF-файл.",
    empty: "Сфотографируйте документ или выберите файл.",
    noType: "Выберите тип документа: от него зависят имя файла для ФАЦ и проверки.",
    queued: "Нет связи. Документ «{label}» сохранён на телефоне и отправится сам, когда появится интернет.",
    queueFailed: "Нет связи, и сохранить документ на телефоне не удалось. Проверьте интернет и нажмите «Сохранить» ещё раз.",
    signedOut: "Вы вышли из кабинета. Войдите в другой вкладке и нажмите «Сохранить» ещё раз.",
    400: "Страница устарела. Обновите её и добавьте страницы заново.",
    413: "Файлы слишком большие. Уберите лишние страницы или сфотографируйте документ ещё раз.",
    other: "Не удалось сохранить документ. Попробуйте ещё раз через минуту.",
    sharedMissing: "Файл, которым вы поделились, не дошёл. Выберите его здесь ещё раз.",
  };
  const TOOLS = [
    ["up", "Выше", "↑"],
    ["down", "Ниже", "↓"],
    ["rotate", "Повернуть", "↻"],
    ["delete", "Удалить страницу", "✕"],
  ];

  const nextTask = () => new Promise((resolve) => setTimeout(resolve, 0));

  function make(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }
  function sizeText(bytes) {
    if (bytes >= 1048576) return (bytes / 1048576).toFixed(1).replace(".", ",").replace(/,0$/, "") + " МБ";
    return Math.max(1, Math.round(bytes / 1024)) + " КБ";
  }
  function isImage(file) {
    return /^image\//.test(file.type) || /\.(jpe?g|png|heic|heif)$/i.test(file.name);
  }
  // An upright bitmap (EXIF orientation applied), or null when this browser cannot decode the file.
  function decode(file, options) {
    return createImageBitmap(file, Object.assign({ imageOrientation: "from-image" }, options)).catch(() => null);
  }
  // Draws the bitmap scaled to `side` on its long side (never up) and turned by `rotation` degrees.
  function draw(bitmap, side, rotation) {
    const scale = Math.min(1, side / Math.max(bitmap.width, bitmap.height));
    const w = Math.max(1, Math.round(bitmap.width * scale));
    const h = Math.max(1, Math.round(bitmap.height * scale));
    const turned = rotation % 180 !== 0;
    const canvas = document.createElement("canvas");
    canvas.width = turned ? h : w;
    canvas.height = turned ? w : h;
    const ctx = canvas.getContext("2d");
    ctx.fillStyle = "#fff"; // transparent PNG areas become white, not black
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.imageSmoothingQuality = "high";
    ctx.translate(canvas.width / 2, canvas.height / 2);
    ctx.rotate((rotation * Math.PI) / 180);
    ctx.drawImage(bitmap, -w / 2, -h / 2, w, h);
    bitmap.close();
    return canvas;
  }

  function bind(form) {
    if (form.dataset.captureBound) return;
    form.dataset.captureBound = "1";
    const pages = []; // {file, image, rotation, li, sent: {rotation, blob}}
    const list = form.querySelector(".capture-pages");
    const errorBox = form.querySelector("#capture-error");
    const progress = form.querySelector("#capture-progress");
    const bar = progress.querySelector("progress");
    const note = progress.querySelector(".capture-progress-text");
    const save = form.querySelector("#capture-save");
    const inputs = form.querySelectorAll("input[type=file]");
    const queuedNote = document.getElementById("capture-queued");
    const store = window.medkabStore;
    let busy = false;
    freshKey();
    let previews = Promise.resolve();

    // A key of our own for each document: a page kept for offline use would repeat the server's.
    function freshKey() {
      if (window.crypto && crypto.randomUUID) form.elements.idempotency_key.value = crypto.randomUUID();
    }
    function showError(message) {
      errorBox.textContent = message;
      errorBox.hidden = !message;
    }
    function report(value, text) {
      progress.hidden = false;
      bar.value = value;
      note.textContent = text;
    }
    function setBusy(on) {
      busy = on;
      save.disabled = on;
      inputs.forEach((input) => { input.disabled = on; });
      form.setAttribute("aria-busy", String(on));
      if (on) list.querySelectorAll("button").forEach((b) => { b.disabled = true; });
      else { progress.hidden = true; render(); }
    }

    function item(page) {
      const li = make("li", "capture-page");
      const thumb = make("span", "capture-thumb", page.image ? "" : (page.file.name.split(".").pop() || "файл").toUpperCase());
      const text = make("span", "capture-page-text");
      text.append(make("span", "capture-page-label"), make("span", "capture-page-meta", page.file.name + " · " + sizeText(page.file.size)));
      const tools = make("span", "capture-page-tools");
      TOOLS.forEach(([action, label, glyph]) => {
        if (!page.image && action !== "delete") return;
        const button = make("button", "button ghost capture-tool", glyph);
        button.type = "button";
        button.dataset.action = action;
        button.setAttribute("aria-label", page.image ? label : "Удалить файл");
        tools.append(button);
      });
      li.append(thumb, text, tools);
      return li;
    }
    async function thumbnail(page) {
      const bitmap = await decode(page.file, { resizeHeight: THUMB_SIDE, resizeQuality: "medium" });
      const box = page.li.querySelector(".capture-thumb");
      if (!bitmap) {
        // Not decodable here: no preview and no turning; the server reads its EXIF orientation.
        const rotate = page.li.querySelector("[data-action=rotate]");
        if (rotate) rotate.remove();
        box.textContent = (page.file.name.split(".").pop() || "фото").toUpperCase();
        return;
      }
      const img = make("img");
      img.alt = "";
      img.src = draw(bitmap, THUMB_SIDE, 0).toDataURL("image/jpeg", 0.7); // CSP allows data:, not blob:
      box.replaceChildren(img);
    }
    function render() {
      pages.forEach((page, i) => {
        page.li.dataset.rotation = String(page.rotation);
        page.li.querySelector(".capture-page-label").textContent = page.image ? "Страница " + (i + 1) : "Файл";
        page.li.querySelectorAll("button").forEach((b) => {
          b.disabled = busy || (b.dataset.action === "up" && i === 0) || (b.dataset.action === "down" && i === pages.length - 1);
        });
        if (list.children[i] !== page.li) list.insertBefore(page.li, list.children[i] || null);
      });
    }

    function add(files) {
      showError("");
      const incoming = files.map((file) => ({ file: file, image: isImage(file), rotation: 0, li: null, sent: null }));
      const all = pages.concat(incoming);
      const documents = all.filter((page) => !page.image).length;
      if (documents && all.length > 1) { showError(documents === all.length ? TEXT.onePdf : TEXT.pdfAlone); return; }
      incoming.forEach((page) => {
        page.li = item(page);
        pages.push(page);
        // One decode at a time: ten 12 MP photos at once would hold half a gigabyte.
        if (page.image) previews = previews.then(() => thumbnail(page)).catch(() => {});
      });
      render();
    }

    function act(button) {
      const page = pages.find((p) => p.li.contains(button));
      const i = pages.indexOf(page);
      const action = button.dataset.action;
      if (action === "delete") {
        pages.splice(i, 1);
        page.li.remove();
        render();
        const neighbour = pages[i] || pages[i - 1];
        (neighbour ? neighbour.li.querySelector("[data-action=delete]") : inputs[0]).focus();
        return;
      }
      if (action === "rotate") page.rotation = (page.rotation + 90) % 360;
      else {
        const j = action === "up" ? i - 1 : i + 1;
        pages[i] = pages[j];
        pages[j] = page;
      }
      render();
      // Moving a node drops its focus; keep it on the pressed arrow, or the other one at an end.
      const target = button.disabled ? page.li.querySelector(`[data-action=${action === "up" ? "down" : "up"}]`) : button;
      target.focus();
    }

    // The same bytes on every attempt, so a retry under the same key matches the first one.
    async function prepared(page) {
      if (page.sent && page.sent.rotation === page.rotation) return page.sent;
      const bitmap = page.image ? await decode(page.file) : null;
      let blob = null;
      if (bitmap) {
        const canvas = draw(bitmap, LONG_SIDE, page.rotation);
        blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", QUALITY));
        canvas.width = canvas.height = 0; // frees the pixels now, not at the next collection
      }
      // An undecodable file (HEIC in Chrome) goes as it is; the server converts and turns it.
      page.sent = { rotation: page.rotation, blob: blob || page.file, redrawn: !!blob };
      return page.sent;
    }

    function send(body) {
      return new Promise((resolve) => {
        const xhr = new XMLHttpRequest();
        let shown = -1;
        xhr.open("POST", form.getAttribute("action"));
        xhr.setRequestHeader("Idempotency-Key", form.elements.idempotency_key.value);
        xhr.setRequestHeader("X-CSRFToken", window.medkab.csrfToken(form));
        xhr.setRequestHeader("Accept", "application/json");
        xhr.upload.onprogress = (event) => {
          const percent = event.lengthComputable ? Math.round((event.loaded / event.total) * 100) : 0;
          if (percent !== shown) { shown = percent; report(percent, "Загрузка: " + percent + " %"); }
        };
        xhr.upload.onload = () => report(100, "Сохранение…");
        xhr.onload = () => {
          let json = null;
          try { json = JSON.parse(xhr.responseText); } catch (e) { json = null; }
          resolve({ status: xhr.status, json: json, url: xhr.responseURL });
        };
        xhr.onerror = xhr.ontimeout = () => resolve({ status: 0, json: null, url: "" });
        xhr.send(body);
      });
    }

    function refused(answer) {
      const json = answer.json || {};
      if (answer.status === 0) return TEXT.queueFailed; // no network and no outbox here
      if (json.error) {
        const field = json.field && form.elements.namedItem(json.field);
        if (field && field.type !== "hidden" && field.type !== "file" && field.focus) {
          field.setAttribute("aria-invalid", "true");
          field.focus();
        }
        return json.error;
      }
      if (/\/login\b/.test(answer.url)) return TEXT.signedOut;
      return TEXT[answer.status] || TEXT.other;
    }

    async function submit() {
      showError("");
      form.querySelectorAll("[aria-invalid=true]").forEach((field) => field.removeAttribute("aria-invalid"));
      if (!pages.length) { showError(TEXT.empty); return; }
      const type = form.querySelector("[name=doc_type]");
      if (type && !type.value) {
        showError(TEXT.noType);
        type.setAttribute("aria-invalid", "true");
        type.focus();
        return;
      }
      setBusy(true);
      const body = new FormData(form);
      body.delete("pages"); // the picker's own files: the list below is what the user arranged
      for (let i = 0; i < pages.length; i++) {
        if (pages[i].image) report(Math.round((i / pages.length) * 100), "Сжатие " + (i + 1) + " из " + pages.length + "…");
        await nextTask(); // paint the progress, answer taps between pages
        const sent = await prepared(pages[i]);
        body.append("pages", sent.blob, sent.redrawn ? "page-" + (i + 1) + ".jpg" : pages[i].file.name);
      }
      if (!navigator.onLine && store) { await queue(body); return; }
      report(0, "Загрузка: 0 %");
      const answer = await send(body);
      if (answer.status === 0 && store) { await queue(body); return; }
      if (answer.status >= 200 && answer.status < 300 && answer.json && answer.json.url) {
        report(100, "Сохранено");
        window.location.assign(answer.json.url);
        return;
      }
      setBusy(false);
      showError(refused(answer));
    }

    // No network: the prepared pages wait in the outbox under this page's key, so a first try
    // that did reach the server and the later send make one document, not two.
    async function queue(body) {
      const type = form.querySelector("[name=doc_type]");
      const label = type && type.selectedIndex > 0 ? type.options[type.selectedIndex].text : "Документ";
      const fields = [];
      const pagesOut = [];
      body.forEach((value, name) => {
        if (name === "pages") pagesOut.push({ blob: value, name: value.name });
        else if (typeof value === "string" && name !== "csrf_token" && name !== "idempotency_key") fields.push([name, value]);
      });
      try {
        await store.outbox.add({
          key: form.elements.idempotency_key.value,
          user: document.getElementById("app").getAttribute("data-user"),
          action: form.getAttribute("action"),
          fields: fields,
          pages: pagesOut,
          label: label,
          created: Date.now(),
        });
      } catch (error) {
        setBusy(false);
        showError(TEXT.queueFailed);
        return;
      }
      if (navigator.serviceWorker) {
        navigator.serviceWorker.ready.then((r) => r.sync && r.sync.register("outbox")).catch(() => {});
      }
      pages.splice(0, pages.length);
      list.replaceChildren();
      if (type) type.value = "";
      freshKey();
      setBusy(false);
      queuedNote.textContent = TEXT.queued.replace("{label}", label);
      queuedNote.hidden = false;
      showOutbox();
    }

    form.addEventListener("change", (event) => {
      const input = event.target;
      if (input.type !== "file" || !input.files.length || busy) return;
      add(Array.from(input.files));
      input.value = ""; // the same photo can be added again; the list is what gets sent
    });
    list.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-action]");
      if (button && !busy) act(button);
    });
    // Capture phase: runs before htmx's boosted-form handler on the same element and stops it.
    form.addEventListener("submit", (event) => {
      queuedNote.hidden = true;
      event.preventDefault();
      event.stopImmediatePropagation();
      if (!busy) submit().catch(() => { setBusy(false); showError(TEXT.other); });
    }, true);
    // Files shared to the installed app («Поделиться → Медкабинет») wait on the device.
    if (store && /[?&]shared=1/.test(window.location.search)) {
      store.get("shared").then((files) => {
        if (files && files.length) add(files);
        else showError(TEXT.sharedMissing);
        return store.remove("shared");
      }).catch(() => showError(TEXT.sharedMissing));
    }
  }

  // «Ждут отправки»: what this person saved offline, with the server's reason when it refused.
  async function showOutbox() {
    const box = document.getElementById("outbox");
    const store = window.medkabStore;
    if (!box || !store) return;
    const user = document.getElementById("app").getAttribute("data-user");
    const entries = await store.outbox.list(user).catch(() => []);
    const rows = entries.map((entry) => {
      const li = make("li");
      const text = make("span");
      const when = new Date(entry.created).toLocaleString("ru-RU", { day: "2-digit", month: "2-digit", hour: "2-digit", minute: "2-digit" });
      text.append(make("strong", "", entry.label), make("span", "meta", " · страниц: " + entry.pages.length + " · " + when));
      if (entry.error) text.append(make("p", "error", "Не принят: " + entry.error));
      const drop = make("button", "button ghost small", "Удалить");
      drop.type = "button";
      drop.addEventListener("click", () => {
        if (window.confirm("Удалить «" + entry.label + "» с телефона? Документ не будет отправлен.")) store.outbox.remove(entry.key);
      });
      li.append(text, drop);
      return li;
    });
    document.getElementById("outbox-list").replaceChildren(...rows);
    box.hidden = rows.length === 0;
  }

  function init() {
    document.querySelectorAll("form[data-capture]").forEach(bind);
    showOutbox();
  }
  window.addEventListener("medkab:outbox", showOutbox);
  if ("BroadcastChannel" in window) new BroadcastChannel("medkab").addEventListener("message", showOutbox);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
  document.addEventListener("htmx:afterSettle", init);
})();
