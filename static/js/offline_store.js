// What the device keeps for the person (DESIGN §8), shared by the pages and the service worker
// (which loads this file with importScripts): one IndexedDB database «medkab» with
//   outbox — documents saved without a network, each with its idempotency key, sent once later;
//   state  — small values: the snapshot opt-in, the CSRF token for sending, files shared to the app;
// and the Cache Storage cache of the opt-in offline snapshot. `clear` removes all of it.
"use strict";
(function (scope) {
  const NAME = "medkab";
  const SNAPSHOT = "medkab-snapshot";
  const HEADER = "X-Medkab-Snapshot";
  const LOCK = "medkab-outbox";
  let opening = null;

  function open() {
    if (!opening) {
      opening = new Promise((resolve, reject) => {
        const request = indexedDB.open(NAME, 1);
        request.onupgradeneeded = () => {
          request.result.createObjectStore("outbox", { keyPath: "key" });
          request.result.createObjectStore("state");
        };
        request.onsuccess = () => {
          const db = request.result;
          db.onversionchange = () => { db.close(); opening = null; }; // let a clear delete it
          resolve(db);
        };
        request.onerror = () => { opening = null; reject(request.error); };
      });
    }
    return opening;
  }
  // Runs `work(store)` in one transaction; resolves with what it returned once committed.
  async function run(name, mode, work) {
    const db = await open();
    return new Promise((resolve, reject) => {
      const tx = db.transaction(name, mode);
      let result;
      const answer = work(tx.objectStore(name));
      if (answer && "onsuccess" in answer) answer.onsuccess = () => { result = answer.result; };
      else result = answer;
      tx.oncomplete = () => resolve(result);
      tx.onerror = tx.onabort = () => reject(tx.error);
    });
  }
  const get = (key) => run("state", "readonly", (s) => s.get(key));
  const set = (key, value) => run("state", "readwrite", (s) => s.put(value, key));
  const remove = (key) => run("state", "readwrite", (s) => s.delete(key));

  const channel = "BroadcastChannel" in scope ? new BroadcastChannel("medkab") : null;
  function changed() {
    if (channel) channel.postMessage({ type: "outbox" });
    if (scope.document) scope.dispatchEvent(new CustomEvent("medkab:outbox"));
  }

  const outbox = {
    async add(entry) {
      await run("outbox", "readwrite", (s) => s.put(entry));
      changed();
    },
    async list(user) {
      const all = await run("outbox", "readonly", (s) => s.getAll());
      return all.filter((e) => user === undefined || e.user === user).sort((a, b) => a.created - b.created);
    },
    async remove(key) {
      await run("outbox", "readwrite", (s) => s.delete(key));
      changed();
    },
  };

  // One document to the server. "sent" | "failed" (refused: kept with its reason) | "later".
  async function sendOne(entry, token) {
    const body = new FormData();
    entry.fields.forEach(([name, value]) => body.append(name, value));
    entry.pages.forEach((page) => body.append("pages", page.blob, page.name));
    let response;
    try {
      response = await fetch(entry.action, {
        method: "POST",
        body: body,
        credentials: "same-origin",
        redirect: "manual", // signed out: the sign-in redirect means «later», not «sent»
        headers: { "Idempotency-Key": entry.key, "X-CSRFToken": token, Accept: "application/json" },
      });
    } catch (error) {
      return { outcome: "later", network: true };
    }
    if (response.ok) return { outcome: "sent" };
    // 400: the token is stale (a signed-in page brings a new one); 409: the first try is still
    // being stored; 5xx and redirects: try again later.
    if (response.type === "opaqueredirect" || [400, 401, 403, 409, 429].includes(response.status) || response.status >= 500) {
      return { outcome: "later" };
    }
    let error = "";
    try { error = (await response.json()).error || ""; } catch (e) { error = ""; }
    return { outcome: "failed", error: error || "Сервер не принял документ." };
  }

  // Sends every waiting document of the person whose token we hold, oldest first, one at a time;
  // a lock keeps the pages and the service worker from sending the same one twice at once (the
  // idempotency key would make a second copy harmless anyway).
  async function flush() {
    const work = async () => {
      const csrf = await get("csrf");
      const result = { sent: 0, failed: 0, left: 0, network: false };
      if (!csrf) return result;
      const entries = (await outbox.list(csrf.user)).filter((e) => !e.error);
      for (let i = 0; i < entries.length; i++) {
        const answer = await sendOne(entries[i], csrf.token);
        if (answer.outcome === "sent") {
          await outbox.remove(entries[i].key);
          result.sent++;
        } else if (answer.outcome === "failed") {
          entries[i].error = answer.error;
          await outbox.add(entries[i]);
          result.failed++;
        } else {
          result.left = entries.length - i;
          result.network = !!answer.network;
          break;
        }
      }
      return result;
    };
    if (scope.navigator && scope.navigator.locks) return scope.navigator.locks.request(LOCK, work);
    return work();
  }

  // The snapshot: keeps a page the server marked as keepable, with the moment it was saved.
  function snapshotMark(response) {
    const value = response.headers.get(HEADER) || "";
    const match = /until=(\d+); user=(\d+)/.exec(value);
    return match ? { until: Number(match[1]), user: match[2] } : null;
  }
  async function keep(url, response) {
    const mark = snapshotMark(response);
    const setting = await get("snapshot");
    if (!mark || !setting || !setting.on || setting.user !== mark.user) return false;
    const headers = new Headers(response.headers);
    headers.set("X-Medkab-Saved", String(Date.now()));
    const copy = new Response(await response.blob(), { status: 200, headers: headers });
    await (await caches.open(SNAPSHOT)).put(url, copy);
    if (setting.until !== mark.until) await set("snapshot", Object.assign({}, setting, { until: mark.until }));
    return true;
  }
  // The kept copy of a page, or null (no opt-in, nothing kept, or the session's time is over).
  async function kept(url) {
    const setting = await get("snapshot");
    if (!setting || !setting.on) return null;
    if (!setting.until || setting.until < Date.now()) {
      await caches.delete(SNAPSHOT);
      return null;
    }
    const cache = await caches.open(SNAPSHOT);
    return (await cache.match(url)) || null;
  }

  // Everything personal off the device. A session that merely ended keeps the outbox (the
  // person's unsent photos) and the opt-in; signing out removes it all.
  async function clear(everything) {
    await caches.delete(SNAPSHOT);
    if (everything) {
      if (opening) (await open()).close();
      opening = null;
      await new Promise((resolve) => {
        const request = indexedDB.deleteDatabase(NAME);
        request.onsuccess = request.onerror = request.onblocked = () => resolve();
      });
      changed();
    } else {
      await remove("shared");
    }
  }

  scope.medkabStore = { get, set, remove, outbox, flush, keep, kept, clear, SNAPSHOT };
})(self);
