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

  // A day click fetches only that day's times (the calendar stays): mark the clicked day as
  // the chosen one, as the server does when it draws the whole calendar.
  document.addEventListener("htmx:afterSwap", function (event) {
    var clicked = event.detail && event.detail.requestConfig && event.detail.requestConfig.elt;
    if (!clicked || !clicked.classList || !clicked.classList.contains("day")) {
      return;
    }
    document.querySelectorAll("#picker a.day.selected").forEach(function (day) {
      day.classList.remove("selected");
      day.removeAttribute("aria-current");
    });
    clicked.classList.add("selected");
    clicked.setAttribute("aria-current", "date");
    // The calendar stayed: its heading must not take the focus meant for the new times.
    var month = document.getElementById("month-title");
    if (month) {
      month.removeAttribute("data-focus");
    }
  });

  // After htmx swaps the calendar or the times, move focus to the heading of what changed,
  // so keyboard and screen reader users continue from there.
  document.addEventListener("htmx:afterSettle", function () {
    var target = document.querySelector("#picker [data-focus]");
    if (target) {
      target.focus();
    }
  });
})();
