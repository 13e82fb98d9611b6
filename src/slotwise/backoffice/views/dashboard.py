"""The day at a glance: today's and upcoming bookings, customers' own changes, failed emails."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from slotwise.backoffice.access import BusinessRequest, staff_required
from slotwise.bookings import selectors, waitlist_selectors
from slotwise.bookings.actor import Actor
from slotwise.bookings.models import Booking
from slotwise.calendars import services as calendars
from slotwise.core import errors
from slotwise.core.clock import utcnow
from slotwise.notifications import selectors as outbox_selectors
from slotwise.notifications.models import Message
from slotwise.notifications.resend import message_resend

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
    stale_calendars = calendars.stale_connections(business)
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
            "stale_calendars": stale_calendars,
            "now": now,
            "waitlist_rebooked": waitlist_selectors.waitlist_rebooked_count(
                business=business, now=now
            ),
        },
    )


@require_POST
@staff_required
def notification_resend(request: BusinessRequest, pk: int) -> HttpResponse:
    """Queue a failed notification again (a new outbox row); back to where it was pressed."""
    found = Message.objects.filter(business=request.business, pk=pk).values("booking__reference")
    if not found:
        raise Http404(_("Notification not found."))
    booking_ref = found[0]["booking__reference"]
    # Only two places offer the button: the booking's page and the dashboard.
    if request.POST.get("back") == "booking" and booking_ref:
        back = reverse("backoffice:booking_detail", args=[booking_ref]) + "#notifications"
    else:
        back = reverse("backoffice:dashboard")
    try:
        copy = message_resend(
            business=request.business, message_id=pk, actor=Actor.staff(request.user), now=utcnow()
        )
    except errors.DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Queued again to %(recipient)s; it goes out within a minute.")
            % {"recipient": copy.recipient_name or copy.recipient},
        )
    return redirect(back)
