"""Calendar: a day (one column per provider, on a time grid) or a week (providers × days)."""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

from django.http import HttpResponse
from django.shortcuts import render

from slotwise.backoffice.access import BusinessRequest, staff_required
from slotwise.bookings import selectors
from slotwise.catalog.models import Provider, WorkingHours
from slotwise.core import web
from slotwise.core.clock import utcnow

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
    return render(request, "backoffice/calendar.html", context)


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
