// «Часовой пояс»: when the device's zone is not the one in the select, offer it; the button
// picks it (adding it to the list when the browser names a zone the list lacks). Without
// JavaScript the select alone does the job.
"use strict";
(function () {
  function deviceZone() {
    try { return Intl.DateTimeFormat().resolvedOptions().timeZone || ""; }
    catch (e) { return ""; }
  }

  function bind(form) {
    if (form.dataset.bound) return;
    form.dataset.bound = "1";
    const offer = document.getElementById("zone-offer");
    const select = form.querySelector("select");
    const zone = deviceZone();
    if (!offer || !select || !zone) return;
    const ask = offer.querySelector("[data-zone-ask]");
    const done = offer.querySelector("[data-zone-done]");
    const pick = offer.querySelector("[data-zone-pick]");
    const pickRow = offer.querySelector("[data-zone-pick-row]");

    function option() {
      return Array.from(select.options).find((o) => o.value === zone);
    }
    function askAgain() {
      const known = option();
      offer.querySelector("[data-zone-name]").textContent = known ? known.textContent : zone;
      ask.hidden = pickRow.hidden = false;
      done.hidden = true;
      offer.hidden = select.value === zone;
    }

    pick.addEventListener("click", () => {
      if (!option()) {
        const added = new Option(zone, zone);
        (select.querySelector("optgroup:last-of-type") || select).append(added);
      }
      select.value = zone;
      ask.hidden = pickRow.hidden = true;
      done.hidden = false;
      select.focus(); // the button is gone: keep focus on what it changed
    });
    select.addEventListener("change", askAgain);
    askAgain();
  }

  function init() {
    document.querySelectorAll("form[data-time-zone]").forEach(bind);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
  if (!window.medkabTimeZoneBound) {
    window.medkabTimeZoneBound = true;
    document.addEventListener("htmx:afterSettle", init);
  }
})();
