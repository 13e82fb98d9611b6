/* The staff calendar's time grid (EventCalendar, vendored): click an empty time to book it,
 * drag a booking to move it after a confirmation. Without JavaScript the page shows the
 * server-drawn day and week views instead (#grid-fallback). No inline handlers: CSP. */
(function () {
  "use strict";
  var configEl = document.getElementById("grid-config");
  var app = document.getElementById("grid-app");
  if (!configEl || !app || !window.EventCalendar) return;
  var config = JSON.parse(configEl.textContent);
  var fallback = document.getElementById("grid-fallback");
  var status = document.getElementById("grid-status");
  var dialog = document.getElementById("move-dialog");
  var form = document.getElementById("move-form");
  var pending = null; // the drop waiting for the dialog's answer

  app.hidden = false;
  if (fallback) fallback.hidden = true;

  function say(text, isError) {
    status.textContent = text;
    status.classList.toggle("is-error", !!isError);
  }

  function pad(n) { return (n < 10 ? "0" : "") + n; }
  // The grid works in the business's wall-clock time (its timeZone is the business's
  // offset): a Date's UTC fields are that wall-clock time.
  function local(date) {
    return date.getUTCFullYear() + "-" + pad(date.getUTCMonth() + 1) + "-" + pad(date.getUTCDate()) +
      "T" + pad(date.getUTCHours()) + ":" + pad(date.getUTCMinutes());
  }
  // "Mon 4 Feb, 10:00": the grid's dates carry the business's wall clock in their UTC fields.
  var whenFormat = new Intl.DateTimeFormat(document.documentElement.lang || "en", {
    weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit",
    hourCycle: "h23", timeZone: "UTC"
  });
  function when(date) { return whenFormat.format(date); }
  function fmt(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_m, key) { return values[key]; });
  }
  function providerName(id) {
    for (var i = 0; i < config.resources.length; i++) {
      if (config.resources[i].id === String(id)) return config.resources[i].title;
    }
    return "";
  }

  function loadEvents(info, success, failure) {
    var params = new URLSearchParams({ start: local(info.start).slice(0, 10), end: local(info.end).slice(0, 10) });
    if (config.provider) params.set("provider", config.provider);
    fetch(config.eventsUrl + "?" + params.toString(), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (data) {
        var events = data.events;
        if (config.view === "timeGridWeek" && !config.provider) {
          // All providers in one column per day: one provider's time off is not the day's.
          events = events.filter(function (e) { return e.display !== "background" || e.extendedProps.kind === "open"; });
        }
        events.forEach(function (e) {
          if (config.view === "timeGridWeek") delete e.resourceIds;
        });
        success(events);
      })
      .catch(function (err) { say(config.text.failed, true); failure(err); });
  }

  var calendar = EventCalendar.create(document.getElementById("ec"), {
    view: config.view,
    date: config.date,
    timeZone: config.offset,
    locale: document.documentElement.lang || "en",
    headerToolbar: { start: "", center: "", end: "" },
    resources: config.resources,
    allDaySlot: false,
    firstDay: 1,
    nowIndicator: true,
    slotDuration: "00:15:00",
    slotLabelInterval: "01:00",
    slotLabelFormat: { hour: "2-digit", minute: "2-digit", hour12: false },
    eventTimeFormat: { hour: "2-digit", minute: "2-digit", hour12: false },
    dayHeaderFormat: { weekday: "short", day: "numeric", month: "short" },
    // Columns keep a readable width; on a phone the grid scrolls sideways inside itself
    // (EventCalendar keeps its time axis sticky), never the page.
    columnWidth: config.view === "timeGridWeek" ? "minmax(6.5rem, 1fr)" : "minmax(9rem, 1fr)",
    slotMinTime: config.slotMin,
    slotMaxTime: config.slotMax,
    flexibleSlotTimeLimits: true,
    height: "auto",
    editable: true,
    eventDurationEditable: false,
    eventSources: [{ events: loadEvents }],
    eventContent: function (info) {
      var kind = info.event.extendedProps.kind;
      // Time off and external busy times say what they are (working hours and buffers are
      // plain shapes, named in the legend).
      if (kind === "timeoff" || kind === "busy") {
        var label = document.createElement("span");
        label.className = "bg-label";
        label.textContent = info.event.title;
        return { domNodes: [label] };
      }
      return undefined;
    },
    eventDidMount: function (info) {
      var p = info.event.extendedProps;
      if (p.kind !== "booking") {
        info.el.setAttribute("aria-hidden", "true");
        info.el.title = info.event.title;
        return;
      }
      info.el.setAttribute("data-reference", p.reference);
      info.el.setAttribute("aria-label", p.when + " " + p.customer + ", " + p.service + " (" + p.statusLabel + ")");
    },
    eventClick: function (info) {
      var p = info.event.extendedProps;
      if (p.kind === "booking") window.location.assign(p.url);
    },
    dateClick: function (info) {
      var provider = info.resource ? info.resource.id : config.provider;
      var params = new URLSearchParams({ start: local(info.date) });
      if (provider) params.set("provider", provider);
      window.location.assign(config.wizardUrl + "?" + params.toString());
    },
    eventDrop: function (info) {
      var p = info.event.extendedProps;
      var newProvider = info.newResource ? info.newResource.id : (info.event.resourceIds[0] || "");
      pending = { info: info, provider: newProvider };
      document.getElementById("move-summary").textContent = fmt(config.text.summary, {
        who: p.customer + " (" + p.service + ")",
        old: when(info.oldEvent.start),
        new: when(info.event.start),
        provider: providerName(newProvider) || p.provider,
        zone: config.zone
      });
      form.reset();
      dialog.returnValue = "";
      dialog.showModal();
    }
  });

  // EventCalendar marks its grid up as an ARIA table whose row groups also hold the event
  // boxes (focusable buttons), which ARIA does not allow in a table (axe: critical). The
  // boxes carry their own labels and the page keeps the list view, so the grid is offered
  // as a labelled region of buttons instead of a broken table.
  var TABLE_ROLES = ["table", "rowgroup", "row", "columnheader", "rowheader", "cell", "gridcell", "listitem"];
  var flattenQueued = false;
  function flatten() {
    flattenQueued = false;
    var root = document.getElementById("ec");
    root.querySelectorAll("[role]").forEach(function (el) {
      if (TABLE_ROLES.indexOf(el.getAttribute("role")) >= 0) el.removeAttribute("role");
    });
    root.querySelectorAll("[aria-colindex], [aria-rowindex], [aria-colspan], [aria-rowspan], [aria-colcount], [aria-rowcount]").forEach(function (el) {
      ["aria-colindex", "aria-rowindex", "aria-colspan", "aria-rowspan", "aria-colcount", "aria-rowcount"].forEach(function (a) { el.removeAttribute(a); });
    });
    root.setAttribute("role", "region");
    root.setAttribute("aria-label", config.text.region);
    // On a phone the grid scrolls inside itself; its scrolling part takes keyboard focus so
    // it can be scrolled with the arrow keys even while no booking box is in view (axe:
    // scrollable-region-focusable).
    root.querySelectorAll(".ec-main").forEach(function (el) {
      if (!el.hasAttribute("tabindex")) el.setAttribute("tabindex", "0");
    });
  }
  function queueFlatten() {
    if (flattenQueued) return;
    flattenQueued = true;
    window.requestAnimationFrame(flatten);
  }
  new MutationObserver(queueFlatten).observe(document.getElementById("ec"), {
    subtree: true, childList: true, attributes: true, attributeFilter: ["role", "aria-colindex", "aria-colspan"]
  });
  queueFlatten();

  function revertPending(message) {
    if (pending) pending.info.revert();
    pending = null;
    if (message) say(message, true);
  }

  document.getElementById("move-cancel").addEventListener("click", function () {
    dialog.close("keep");
  });
  dialog.addEventListener("close", function () {
    // Escape or "keep it": nothing moved, the box goes back.
    if (dialog.returnValue !== "move") revertPending("");
  });
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    if (!pending) return;
    var drop = pending;
    var p = drop.info.event.extendedProps;
    var body = new FormData(form);
    body.set("start", local(drop.info.event.start));
    body.set("provider", drop.provider);
    body.set("version", p.version);
    dialog.returnValue = "move";
    dialog.close("move");
    fetch(config.moveUrl.replace("REF", encodeURIComponent(p.reference)), {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { Accept: "application/json" }
    })
      .then(function (r) { return r.json().then(function (data) { return { ok: r.ok, data: data }; }); })
      .then(function (res) {
        if (res.ok) {
          pending = null;
          say(res.data.message, false);
          calendar.refetchEvents();
        } else {
          revertPending(config.text.refused + " " + res.data.message);
        }
      })
      .catch(function () { revertPending(config.text.failed); });
  });

})();
