// Registers the service worker and offers the CSRF token to the other scripts; everything else
// works without JavaScript.
"use strict";
window.medkab = window.medkab || {};
// The token lives on #app inside <body>, which boosted navigations replace (the head is kept);
// a form on the page holds a copy for when the attribute is missing.
window.medkab.csrfToken = function (form) {
  try { return JSON.parse(document.getElementById("app").getAttribute("hx-headers"))["X-CSRFToken"]; }
  catch (e) { return ((form || document).querySelector("[name=csrf_token]") || {}).value || ""; }
};
if ("serviceWorker" in navigator && window.isSecureContext) {
  window.addEventListener("load", function () {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () {});
  });
}
// After a boosted navigation, move focus to the page content for screen readers.
document.addEventListener("htmx:afterSettle", function (event) {
  if (event.detail.boosted) {
    var main = document.getElementById("main");
    if (main) main.focus({ preventScroll: true });
  }
});
