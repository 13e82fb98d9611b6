"""What Slotwise puts into calendars: the providers' secret feeds, the events written into a
provider's write calendar, and the conflicts found when someone changed one of those events.

Loaded by ``calendars/models.py`` (Django finds an app's models there).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from slotwise.bookings.models import Booking
from slotwise.catalog.models import Provider
from slotwise.core.models import Business


class ProviderFeed(models.Model):
    """A secret address (``/feeds/<token>.ics``) showing a provider's bookings, read-only.

    Only the SHA-256 of the token is kept: the address is shown once, when it is made. At most
    one live feed per provider; a new one revokes the old.
    """

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="+")
    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="feeds")
    token_hash = models.CharField(max_length=64, unique=True)
    include_customer_contact = models.BooleanField(default=False)
    created_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider"], condition=Q(revoked_at=None), name="feed_one_live_per_provider"
            )
        ]

    def __str__(self) -> str:
        return f"feed of {self.provider_id}"


class BookingCalendarEvent(models.Model):
    """A booking's event as Slotwise last wrote it into a provider's write calendar."""

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="+")
    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="calendar_events")
    remote_calendar = models.ForeignKey(
        "calendars.RemoteCalendar", on_delete=models.CASCADE, related_name="written_events"
    )
    href = models.CharField(max_length=1000)
    etag = models.CharField(max_length=500, blank=True)
    sequence = models.PositiveIntegerField(default=0)
    #: The times last written (what a change found in the calendar is compared with).
    start = models.DateTimeField()
    end = models.DateTimeField()
    written_at = models.DateTimeField()

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["booking", "remote_calendar"], name="written_event_one_per_calendar"
            )
        ]

    def __str__(self) -> str:
        return self.href


class CalendarConflict(models.Model):
    """Someone moved or deleted a booking's event in the provider's calendar.

    Slotwise never follows such a change by itself: staff see both times and either write
    Slotwise's time back into the calendar or dismiss the conflict (the booking keeps its time
    either way). At most one open conflict per booking.
    """

    class Resolution(models.TextChoices):
        OPEN = "", _("Open")
        WRITTEN_BACK = "written_back", _("Slotwise's time written back")
        DISMISSED = "dismissed", _("Dismissed")

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="+")
    booking = models.ForeignKey(
        Booking, on_delete=models.CASCADE, related_name="calendar_conflicts"
    )
    remote_calendar = models.ForeignKey(
        "calendars.RemoteCalendar",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    slotwise_start = models.DateTimeField()
    slotwise_end = models.DateTimeField()
    #: The event's times in the calendar; both empty when it was deleted there.
    calendar_start = models.DateTimeField(null=True, blank=True)
    calendar_end = models.DateTimeField(null=True, blank=True)
    calendar_etag = models.CharField(max_length=500, blank=True)
    detected_at = models.DateTimeField()
    resolution = models.CharField(
        max_length=20, choices=Resolution.choices, default=Resolution.OPEN, blank=True
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-detected_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["booking"],
                condition=Q(resolved_at=None),
                name="conflict_one_open_per_booking",
            )
        ]
        indexes = [models.Index(fields=["business", "resolved_at"], name="conflict_business_open")]

    def __str__(self) -> str:
        return f"conflict of booking {self.booking_id}"

    @property
    def deleted(self) -> bool:
        return self.calendar_start is None
