"""The day at a glance: today's and upcoming bookings, customers' own changes, failed emails."""

from __future__ import annotations

from datetime import timedelta

from django.http import HttpResponse
from django.shortcuts import render

from slotwise.backoffice.access import BusinessRequest, staff_required
from slotwise.bookings import selectors
from slotwise.bookings.models import Booking
from slotwise.core.clock import utcnow
from slotwise.notifications import selectors as outbox_selectors

UPCOMING_DAYS = 7
CHANGES_DAYS = 14


@staff_required
def dashboard(request: BusinessRequest) -> HttpResponse:
    business = request.business
    now = utcnow()
    today = now.astimezone(business.tz).date()
    day_start, day_end = selectors.local_day_bounds(business=business, day=today)
    _, upcoming_end = selectors.local_day_bounds(
        business=business, day=today + timedelta(days=UPCOMING_DAYS)
    )
    todays = selectors.booking_list(business=business, start_from=day_start, start_to=day_end)
    upcoming = selectors.booking_list(
        business=business,
        status=Booking.Status.CONFIRMED,
        start_from=day_end,
        start_to=upcoming_end,
    )[:15]
    since = now - timedelta(days=CHANGES_DAYS)
    changes = selectors.customer_changes(business=business, since=since)
    failed = outbox_selectors.failed_messages(business=business)
    return render(
        request,
        "backoffice/dashboard.html",
        {
            "today": today,
            "todays": list(todays),
            "upcoming": list(upcoming),
            "upcoming_days": UPCOMING_DAYS,
            "changes": list(changes),
            "changes_days": CHANGES_DAYS,
            "failed": list(failed),
            "now": now,
        },
    )
