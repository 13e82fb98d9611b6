"""Reads of the outbox for the faces: what failed, what a booking's emails and reminders did."""

from __future__ import annotations

from django.db.models import QuerySet

from slotwise.bookings.models import Booking
from slotwise.core.models import Business
from slotwise.notifications.models import Message


def failed_messages(*, business: Business, limit: int = 20) -> QuerySet[Message]:
    """Notifications that gave up (status failed) and need a person's attention.

    One already sent again is left out: its copy is on its way, or shows here if it fails too.
    """
    return (
        Message.objects.filter(
            business=business, status=Message.Status.FAILED, resends__isnull=True
        )
        .select_related("booking")
        .order_by("-created_at", "-pk")[:limit]
    )


def booking_reminders(*, booking: Booking) -> QuerySet[Message]:
    """The booking's reminder rows (scheduled, sent or cancelled), by due time."""
    return Message.objects.filter(
        business_id=booking.business_id, booking=booking, kind=Message.Kind.REMINDER
    ).order_by("due_at", "pk")


def booking_notifications(*, booking: Booking) -> QuerySet[Message]:
    """The booking's emails other than reminders (confirmation, changes, staff alerts)."""
    return (
        Message.objects.filter(business_id=booking.business_id, booking=booking)
        .exclude(kind=Message.Kind.REMINDER)
        .exclude(channel__in=(Message.Channel.WEBHOOK, Message.Channel.CALENDAR))
        .order_by("created_at", "pk")
    )
