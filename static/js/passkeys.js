// Passkeys (WebAuthn) ceremonies, recovery-code helpers. Loaded on every page; acts on data-* hooks.
"use strict";
(function () {
  const MESSAGES = {
    NotAllowedError: "Подтверждение отменено или время истекло. Попробуйте ещё раз.",
    InvalidStateError: "Ключ доступа для этой учётной записи уже есть на этом устройстве.",
    SecurityError: "Ключи доступа работают только на защищённом адресе сайта (https или localhost).",
    NotSupportedError: "Это устройство не поддерживает нужный тип ключа доступа.",
    ConstraintError: "Устройство не может проверить отпечаток, лицо или PIN-код.",
    UnknownError: "Устройство не смогло выполнить запрос. Попробуйте ещё раз.",
  };
  const supported = () => !!(window.PublicKeyCredential && navigator.credentials);
  let pending = null; // AbortController of a conditional (autofill) request

  function b64urlToBuffer(value) {
    const padded = value.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(value.length / 4) * 4, "=");
    const binary = atob(padded);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes.buffer;
  }
  function bufferToB64url(buffer) {
    const bytes = new Uint8Array(buffer);
    let binary = "";
    for (let i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]);
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function creationOptions(json) {
    if (PublicKeyCredential.parseCreationOptionsFromJSON) return PublicKeyCredential.parseCreationOptionsFromJSON(json);
    const o = Object.assign({}, json, { challenge: b64urlToBuffer(json.challenge) });
    o.user = Object.assign({}, json.user, { id: b64urlToBuffer(json.user.id) });
    o.excludeCredentials = (json.excludeCredentials || []).map((c) => Object.assign({}, c, { id: b64urlToBuffer(c.id) }));
    return o;
  }
  function requestOptions(json) {
    if (PublicKeyCredential.parseRequestOptionsFromJSON) return PublicKeyCredential.parseRequestOptionsFromJSON(json);
    const o = Object.assign({}, json, { challenge: b64urlToBuffer(json.challenge) });
    o.allowCredentials = (json.allowCredentials || []).map((c) => Object.assign({}, c, { id: b64urlToBuffer(c.id) }));
    return o;
  }
  function credentialJSON(cred) {
    if (typeof cred.toJSON === "function") return cred.toJSON();
    const r = cred.response;
    const out = { id: cred.id, rawId: bufferToB64url(cred.rawId), type: cred.type,
      clientExtensionResults: cred.getClientExtensionResults ? cred.getClientExtensionResults() : {},
      authenticatorAttachment: cred.authenticatorAttachment || undefined, response: { clientDataJSON: bufferToB64url(r.clientDataJSON) } };
    if (r.attestationObject) {
      out.response.attestationObject = bufferToB64url(r.attestationObject);
      out.response.transports = r.getTransports ? r.getTransports() : [];
    } else {
      out.response.authenticatorData = bufferToB64url(r.authenticatorData);
      out.response.signature = bufferToB64url(r.signature);
      out.response.userHandle = r.userHandle ? bufferToB64url(r.userHandle) : null;
    }
    return out;
  }
  async function postJSON(url, body) {
    const response = await fetch(url, {
      method: "POST", credentials: "same-origin", body: body === undefined ? "{}" : JSON.stringify(body),
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": window.medkab.csrfToken() },
    });
    let data = {};
    try { data = await response.json(); } catch (e) { data = { error: "Сервер ответил неожиданно. Обновите страницу." }; }
    if (response.status === 401 && data.redirect) { window.location.assign(data.redirect); throw new Error("redirect"); }
    return { ok: response.ok, data: data };
  }
  function show(scope, message) {
    const box = scope.querySelector("[data-passkey-error]") || document.querySelector("[data-passkey-error]");
    if (box) { box.textContent = message; box.hidden = !message; }
  }
  function explain(error) {
    return MESSAGES[error && error.name] || (error && error.message) || MESSAGES.UnknownError;
  }

  async function signIn(optionsUrl, verifyUrl, mediation, scope) {
    // The controller exists before the first await, so a swap or a button press during the
    // options fetch still cancels this request.
    const controller = mediation ? (pending = new AbortController()) : null;
    const options = await postJSON(optionsUrl);
    if (!options.ok) throw new Error(options.data.error);
    if (controller && controller.signal.aborted) throw new DOMException("aborted", "AbortError");
    const request = { publicKey: requestOptions(options.data) };
    if (controller) { request.mediation = mediation; request.signal = controller.signal; }
    const credential = await navigator.credentials.get(request);
    if (controller && pending === controller) pending = null;
    const result = await postJSON(verifyUrl, credentialJSON(credential));
    if (!result.ok && result.data.unknownCredential && PublicKeyCredential.signalUnknownCredential) {
      PublicKeyCredential.signalUnknownCredential({ rpId: options.data.rpId, credentialId: result.data.unknownCredential }).catch(() => {});
    }
    if (!result.ok) throw new Error(result.data.error);
    window.location.assign(result.data.redirect);
  }

  async function register(button) {
    const scope = button.closest("section, div") || document;
    abortConditional();
    show(scope, "");
    const options = await postJSON(button.dataset.options);
    if (!options.ok) throw new Error(options.data.error);
    const credential = await navigator.credentials.create({ publicKey: creationOptions(options.data) });
    const result = await postJSON(button.dataset.register, credentialJSON(credential));
    if (!result.ok) throw new Error(result.data.error);
    window.location.assign(result.data.redirect);
  }

  function abortConditional() {
    if (pending) { pending.abort(); pending = null; }
  }

  async function startAutofill() {
    const input = document.querySelector("input[autocomplete~='webauthn']");
    const form = input && input.closest("[data-passkey-login-scope]");
    if (!form || !supported() || pending) return;
    if (!PublicKeyCredential.isConditionalMediationAvailable || !(await PublicKeyCredential.isConditionalMediationAvailable())) return;
    // Autofill is an offer, not an action: its failures stay quiet; the button reports them.
    signIn(form.dataset.options, form.dataset.verify, "conditional", form).catch(() => { pending = null; });
  }

  async function signalAccepted() {
    const hook = document.querySelector("[data-signal-passkeys]");
    if (!hook || !supported() || !PublicKeyCredential.signalAllAcceptedCredentials) return;
    const response = await fetch(hook.dataset.signalPasskeys, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!response.ok) return;
    const data = await response.json();
    PublicKeyCredential.signalAllAcceptedCredentials({ rpId: data.rpId, userId: data.userId, allAcceptedCredentialIds: data.allAcceptedCredentialIds }).catch(() => {});
    if (PublicKeyCredential.signalCurrentUserDetails) {
      PublicKeyCredential.signalCurrentUserDetails({ rpId: data.rpId, userId: data.userId, name: data.name, displayName: data.displayName }).catch(() => {});
    }
  }

  function codesText() {
    const items = Array.from(document.querySelectorAll("[data-recovery-codes] code")).map((c) => c.textContent);
    return "Кабинет медработника — коды восстановления\n" + location.host + "\n\n" + items.join("\n") + "\n\nКаждый код действует один раз.\n";
  }

  document.addEventListener("click", function (event) {
    const target = event.target.closest("[data-passkey-register], [data-passkey-login], [data-passkey-verify], [data-copy-codes], [data-download-codes], [data-print]");
    if (!target) return;
    event.preventDefault();
    if (target.matches("[data-copy-codes]")) {
      navigator.clipboard.writeText(codesText()).then(() => {
        document.querySelector("[data-copy-status]").textContent = "Коды скопированы.";
      });
      return;
    }
    if (target.matches("[data-download-codes]")) {
      const link = document.createElement("a");
      link.href = URL.createObjectURL(new Blob([codesText()], { type: "text/plain;charset=utf-8" }));
      link.download = "medkab-recovery-codes.txt";
      document.body.appendChild(link); link.click(); link.remove();
      return;
    }
    if (target.matches("[data-print]")) { window.print(); return; }
    const scope = target.closest("[data-passkey-login-scope], section, div") || document;
    if (!supported()) { show(scope, "Этот браузер не поддерживает ключи доступа. Войдите другим способом."); return; }
    target.disabled = true;
    let action;
    if (target.matches("[data-passkey-register]")) action = register(target);
    else if (target.matches("[data-passkey-login]")) {
      abortConditional();
      const form = target.closest("[data-passkey-login-scope]");
      action = signIn(form.dataset.options, form.dataset.verify, undefined, form);
    } else {
      abortConditional();
      action = signIn(target.dataset.options, target.dataset.verify, undefined, scope);
    }
    action.catch((error) => { if (error.message !== "redirect") show(scope, explain(error)); })
      .finally(() => { target.disabled = false; });
  });

  function init() {
    if (!supported()) document.querySelectorAll("[data-passkey-unsupported]").forEach((el) => { el.hidden = false; });
    startAutofill();
    signalAccepted().catch(() => {});
  }
  document.addEventListener("DOMContentLoaded", init);
  document.addEventListener("htmx:beforeSwap", abortConditional);
  document.addEventListener("htmx:afterSettle", init);
})();
