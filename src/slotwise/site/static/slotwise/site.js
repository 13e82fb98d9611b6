/* Slotwise customer pages: small enhancements only; every page works without this file. */
(function () {
  "use strict";

  // Show times in the browser's own zone, unless the reader already chose one (?tz=) or
  // we know the customer's zone. The server ignores a zone it does not know.
  var body = document.body;
  if (body.dataset.tzGuess === "1") {
    var zone = "";
    try {
      zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
    } catch (e) {
      zone = "";
    }
    var url = new URL(window.location.href);
    if (zone && zone !== body.dataset.tz && !url.searchParams.has("tz")) {
      url.searchParams.set("tz", zone);
      window.location.replace(url.toString());
    }
  }

  // After htmx swaps the calendar or the times, move focus to the heading of what changed,
  // so keyboard and screen reader users continue from there.
  document.addEventListener("htmx:afterSettle", function () {
    var target = document.querySelector("#picker [data-focus]");
    if (target) {
      target.focus();
    }
  });
})();
