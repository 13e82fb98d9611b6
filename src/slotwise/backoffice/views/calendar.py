"""Calendar: a day (one column per provider, on a time grid) or a week (providers × days)."""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

from django import forms
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from slotwise.backoffice.access import BusinessRequest, staff_required
from slotwise.backoffice.forms import GridMoveForm, local_datetime
from slotwise.backoffice.views.bookings import get_booking
from slotwise.bookings import actions, selectors
from slotwise.bookings import availability_queries as loaders
from slotwise.bookings.actor import Actor
from slotwise.bookings.models import Booking
from slotwise.catalog.models import Provider, TimeOff, WorkingHours
from slotwise.core import errors, web
from slotwise.core.clock import utcnow
from slotwise.notifications.render import zone_label

#: The day grid has one row per quarter hour.
ROW_MINUTES = 15
DEFAULT_FIRST_HOUR, DEFAULT_LAST_HOUR = 8, 18


def _minutes(local: datetime, day: date) -> int:
    """Minutes since local midnight of ``day`` (clipped to the day)."""
    if local.date() < day:
        return 0
    if local.date() > day:
        return 24 * 60
    return local.hour * 60 + local.minute


@staff_required
def calendar(request: BusinessRequest) -> HttpResponse:
    business = request.business
    tz = business.tz
    today = utcnow().astimezone(tz).date()
    view = "week" if request.GET.get("view") == "week" else "day"
    day = web.parse_day(request.GET.get("date")) or today
    providers = list(Provider.objects.filter(business=business, active=True).order_by("name"))
    context: dict[str, Any] = {"view": view, "day": day, "today": today, "providers": providers}
    if view == "day":
        context.update(_day_context(business, day, providers))
        context["prev"], context["next"] = day - timedelta(days=1), day + timedelta(days=1)
    else:
        week_start = day - timedelta(days=day.weekday())
        context.update(_week_context(business, week_start, providers))
        context["prev"], context["next"] = (
            week_start - timedelta(days=7),
            week_start + timedelta(days=7),
        )
    if request.GET.get("list") != "1":
        context.update(_grid_context(request, view, day, providers))
    return render(request, "backoffice/calendar.html", context)


def _grid_context(
    request: BusinessRequest, view: str, day: date, providers: list[Provider]
) -> dict[str, Any]:
    """What calendar.js needs to draw the time grid (read as JSON from the page)."""
    business = request.business
    raw = request.GET.get("provider") or ""
    chosen = next((p.pk for p in providers if str(p.pk) == raw), None)
    first = day if view == "day" else day - timedelta(days=day.weekday())
    hours = WorkingHours.objects.filter(provider__in=providers)
    starts = [h.start.hour for h in hours] or [DEFAULT_FIRST_HOUR]
    ends = [h.end.hour + (1 if h.end.minute else 0) for h in hours] or [DEFAULT_LAST_HOUR]
    now_local = utcnow().astimezone(business.tz)
    last = first + timedelta(days=0 if view == "day" else 6)
    if first <= now_local.date() <= last:
        # Today is on the grid: its hours reach the "now" line, late at night too.
        starts.append(now_local.hour)
        ends.append(now_local.hour + 1)
    return {
        "grid_provider": chosen,
        "grid_config": {
            "view": "resourceTimeGridDay" if view == "day" else "timeGridWeek",
            "date": first.isoformat(),
            "offset": _offset(business, now_local),
            "provider": chosen,
            "resources": [
                {"id": str(p.pk), "title": p.name}
                for p in providers
                if chosen is None or p.pk == chosen
            ],
            "slotMin": f"{max(0, min(starts) - 1):02d}:00",
            "slotMax": f"{min(24, max(ends) + 1):02d}:00",
            "zone": zone_label(now_local),
            "eventsUrl": reverse("backoffice:calendar_events"),
            "moveUrl": reverse("backoffice:calendar_move", args=["REF"]),
            "wizardUrl": reverse("backoffice:wizard_start"),
            "text": {
                "moved": _("The booking was moved to the new time."),
                "region": _("Time grid: bookings by time"),
                "refused": _("Not moved:"),
                "failed": _("The calendar could not be loaded. Use the list below."),
                "summary": _("%(who)s: from %(old)s to %(new)s with %(provider)s (%(zone)s)."),
                "book": _("Book %(time)s with %(provider)s"),
            },
        },
    }


def _day_context(business: Any, day: date, providers: list[Provider]) -> dict[str, Any]:
    tz = business.tz
    start, end = selectors.local_day_bounds(business=business, day=day)
    bookings = list(selectors.calendar_bookings(business=business, start=start, end=end))
    hours = list(
        WorkingHours.objects.filter(provider__in=providers, weekday=day.weekday()).order_by("start")
    )
    first = min(
        [DEFAULT_FIRST_HOUR]
        + [h.start.hour for h in hours]
        + [b.start.astimezone(tz).hour for b in bookings]
    )
    last_minute = max(
        [DEFAULT_LAST_HOUR * 60]
        + [h.end.hour * 60 + h.end.minute for h in hours]
        + [_minutes(b.end.astimezone(tz), day) for b in bookings]
    )
    last = min(24, math.ceil(last_minute / 60))
    rows = (last - first) * 60 // ROW_MINUTES

    def place(from_min: int, to_min: int) -> dict[str, int]:
        top = max(0, (from_min - first * 60) // ROW_MINUTES)
        bottom = min(rows, math.ceil((to_min - first * 60) / ROW_MINUTES))
        return {"row": top + 1, "span": max(1, bottom - top)}

    columns = []
    for provider in providers:
        shifts = [
            place(h.start.hour * 60 + h.start.minute, h.end.hour * 60 + h.end.minute)
            for h in hours
            if h.provider_id == provider.pk
        ]
        items = [
            {
                "booking": b,
                **place(_minutes(b.start.astimezone(tz), day), _minutes(b.end.astimezone(tz), day)),
            }
            for b in bookings
            if b.provider_id == provider.pk
        ]
        columns.append({"provider": provider, "shifts": shifts, "items": items})
    labels = [
        {"label": f"{h:02d}:00", "row": (h - first) * 60 // ROW_MINUTES + 1}
        for h in range(first, last)
    ]
    return {"columns": columns, "labels": labels, "rows": rows, "booking_count": len(bookings)}


def _week_context(business: Any, week_start: date, providers: list[Provider]) -> dict[str, Any]:
    days = [week_start + timedelta(days=i) for i in range(7)]
    start, _ = selectors.local_day_bounds(business=business, day=days[0])
    _, end = selectors.local_day_bounds(business=business, day=days[-1])
    cells: dict[tuple[int, date], list[Any]] = defaultdict(list)
    bookings = list(selectors.calendar_bookings(business=business, start=start, end=end))
    for b in bookings:
        cells[(b.provider_id, b.start.astimezone(business.tz).date())].append(b)
    grid = [
        {"provider": p, "cells": [{"day": d, "bookings": cells.get((p.pk, d), [])} for d in days]}
        for p in providers
    ]
    return {"days": days, "grid": grid, "week_start": week_start, "booking_count": len(bookings)}


# --- the time grid (EventCalendar): its data and its drag-to-move ---------------------------

#: The widest window the grid asks for at once (a week view, plus slack for the zone).
MAX_GRID_DAYS = 9


def _floating(value: datetime, tz: Any) -> str:
    """The business's wall-clock time without an offset: the grid shows it as is."""
    return value.astimezone(tz).replace(tzinfo=None).isoformat(timespec="minutes")


def _offset(business: Any, now: datetime) -> str:
    """The business's UTC offset at ``now`` ("+02:00"): the grid's zone.

    Everything on the grid is wall-clock time without an offset, drawn as is; the offset
    places only "now" (its line, and which day is today). So it is the offset in force now,
    not on the first day shown: in a week with a clock change, the line stays at the
    business's time after the change too."""
    minutes = int((now.astimezone(business.tz).utcoffset() or timedelta()).total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def grid_data(
    *, business: Any, first_day: date, last_day: date, provider_ids: list[int] | None, now: datetime
) -> dict[str, Any]:
    """What the grid draws between two local days (inclusive), for ``business`` only.

    Bookings (not cancelled) are events, by status; background shapes show working hours
    (everything else is closed), a booking's buffers, time off and external calendars' busy
    times. Every row is read through the business: another business's never appears.
    """
    tz = business.tz
    providers = Provider.objects.filter(business=business, active=True).order_by("name")
    if provider_ids is not None:
        providers = providers.filter(pk__in=provider_ids)
    providers_list = list(providers)
    ids = [p.pk for p in providers_list]
    start, _unused = selectors.local_day_bounds(business=business, day=first_day)
    _unused2, end = selectors.local_day_bounds(business=business, day=last_day)
    events: list[dict[str, Any]] = []
    bookings = selectors.calendar_bookings(
        business=business, start=start, end=end, provider_ids=ids
    )
    for b in bookings:
        movable = b.status == Booking.Status.CONFIRMED and b.start > now
        events.append(
            {
                "id": b.reference,
                "resourceIds": [str(b.provider_id)],
                "start": _floating(b.start, tz),
                "end": _floating(b.end, tz),
                "title": f"{b.customer.name} · {b.service.name}",
                "classNames": ["bk", f"bk-{b.status}"],
                "editable": movable,
                "extendedProps": {
                    "kind": "booking",
                    "reference": b.reference,
                    "url": reverse("backoffice:booking_detail", args=[b.reference]),
                    "version": b.version,
                    "status": b.status,
                    "statusLabel": str(b.get_status_display()),
                    "customer": b.customer.name,
                    "service": b.service.name,
                    "provider": b.provider.name,
                    "when": f"{_floating(b.start, tz)[11:]}–{_floating(b.end, tz)[11:]}",
                },
            }
        )
        for lo, hi in ((b.blocked_start, b.start), (b.end, b.blocked_end)):
            if hi > lo:
                events.append(_background(b.provider_id, lo, hi, tz, "buffer", _("Buffer")))
    # Working hours, day by day in local time (a provider may have several ranges a day).
    hours: dict[int, list[WorkingHours]] = defaultdict(list)
    for wh in WorkingHours.objects.filter(provider_id__in=ids):
        hours[wh.weekday].append(wh)
    day = first_day
    while day <= last_day:
        for wh in hours[day.weekday()]:
            lo_dt = datetime.combine(day, wh.start, tzinfo=tz)
            hi_dt = datetime.combine(day, wh.end, tzinfo=tz)
            events.append(_background(wh.provider_id, lo_dt, hi_dt, tz, "open", _("Working hours")))
        day += timedelta(days=1)
    for off in TimeOff.objects.filter(provider_id__in=ids, start__lt=end, end__gt=start):
        label = _("Time off") + (f": {off.reason}" if off.reason else "")
        events.append(_background(off.provider_id, off.start, off.end, tz, "timeoff", label))
    for busy in loaders.extra_busy(ids, start, end) if ids else []:
        events.append(
            _background(busy.provider_id, busy.start, busy.end, tz, "busy", _("Busy (calendar)"))
        )
    return {
        "zone": zone_label(now.astimezone(tz)),
        "offset": _offset(business, now),
        "now": _floating(now, tz),
        "resources": [{"id": str(p.pk), "title": p.name} for p in providers_list],
        "events": events,
    }


def _background(
    provider_id: int, lo: datetime, hi: datetime, tz: Any, kind: str, label: str
) -> dict[str, Any]:
    return {
        "resourceIds": [str(provider_id)],
        "start": _floating(lo, tz),
        "end": _floating(hi, tz),
        "display": "background",
        "title": label,
        "classNames": [f"bg-{kind}"],
        "extendedProps": {"kind": kind, "provider": provider_id},
    }


@staff_required
def calendar_events(request: BusinessRequest) -> JsonResponse:
    """The grid's data for ``start``..``end`` (local days, ISO) and optional ``provider``."""
    first = web.parse_day((request.GET.get("start") or "")[:10])
    last = web.parse_day((request.GET.get("end") or "")[:10])
    if first is None or last is None or last < first:
        return JsonResponse(
            {"code": "invalid_input", "message": _("Give a start and an end day.")}, status=400
        )
    last = min(last, first + timedelta(days=MAX_GRID_DAYS))
    provider_ids = None
    raw = request.GET.get("provider") or ""
    if raw.isdigit():
        provider_ids = [int(raw)]
    data = grid_data(
        business=request.business,
        first_day=first,
        last_day=last,
        provider_ids=provider_ids,
        now=utcnow(),
    )
    return JsonResponse(data)


@staff_required
@require_POST
def calendar_move(request: BusinessRequest, reference: str) -> JsonResponse:
    """Move a booking dragged on the grid, through the reschedule action (its rules, history,
    email when ``notify`` is yes); a refusal comes back with the action's message."""
    booking = get_booking(request, reference)
    business = request.business
    form = GridMoveForm(request.POST)
    if not form.is_valid():
        return JsonResponse(
            {"code": "invalid_input", "message": _("The move could not be read. Try again.")},
            status=400,
        )
    data = form.cleaned_data
    provider = booking.provider
    if data["provider"] and data["provider"] != booking.provider_id:
        found = Provider.objects.filter(business=business, pk=data["provider"]).first()
        if found is None:
            return JsonResponse(
                {"code": "not_found", "message": _("That provider was not found.")}, status=404
            )
        provider = found
    try:
        start = local_datetime(data["start"].date(), data["start"].time(), business.tz)
    except forms.ValidationError as exc:
        return JsonResponse({"code": "nonexistent", "message": exc.messages[0]}, status=409)
    try:
        actions.booking_reschedule(
            booking_id=booking.pk,
            business_id=business.pk,
            actor=Actor.staff(request.user),
            new_start=start,
            now=utcnow(),
            new_provider=provider if provider.pk != booking.provider_id else None,
            notify_customer=data["notify"] == "yes",
            override_availability=bool(data["override"]),
            expected_version=data["version"],
        )
    except errors.DomainError as exc:
        return JsonResponse({"code": exc.code, "message": exc.message}, status=409)
    return JsonResponse({"ok": True, "message": _("The booking was moved to the new time.")})
