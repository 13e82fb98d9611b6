"""Reads of the outbox for the faces: what failed, what a booking's emails and reminders did."""

from __future__ import annotations

from django.db.models import QuerySet

from slotwise.bookings.models import Booking
from slotwise.core.models import Business
from slotwise.notifications.models import Message


def failed_messages(*, business: Business, limit: int = 20) -> QuerySet[Message]:
    """Notifications that gave up (status failed) and need a person's attention."""
    return (
        Message.objects.filter(business=business, status=Message.Status.FAILED)
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
        .exclude(channel=Message.Channel.WEBHOOK)
        .order_by("created_at", "pk")
    )
