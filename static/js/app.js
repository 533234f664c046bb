// Registers the service worker; everything else works without JavaScript.
"use strict";
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
