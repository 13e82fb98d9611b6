"""Calendar connections of a provider, the calendars behind them, and the busy times read.

Only busy *intervals* are stored, never the events themselves (no titles, no attendees): what
Slotwise needs to keep a slot free, and nothing private that could leak to a customer.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from slotwise.catalog.models import Provider
from slotwise.core.models import Business


class CalendarConnection(models.Model):
    """One account (CalDAV) or one address (ICS) a provider connected."""

    class Kind(models.TextChoices):
        CALDAV = "caldav", _("CalDAV account")
        ICS = "ics", _("ICS address")

    class Status(models.TextChoices):
        # ok: the last sync succeeded; stale: the last sync failed, the busy times of the
        # last good one are still used; error: never synced successfully.
        OK = "ok", _("Up to date")
        STALE = "stale", _("Out of date")
        ERROR = "error", _("Not working")

    business = models.ForeignKey(
        Business, on_delete=models.CASCADE, related_name="calendar_connections"
    )
    provider = models.ForeignKey(
        Provider, on_delete=models.CASCADE, related_name="calendar_connections"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    url = models.URLField(max_length=1000)
    username = models.CharField(max_length=200, blank=True)
    # Fernet token (calendars/crypto.py); never shown again once saved.
    password_encrypted = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OK)
    last_error = models.TextField(blank=True)
    last_synced_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    next_sync_at = models.DateTimeField(null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    # The worker's lease: a connection being synced is not taken by a second worker until the
    # lease runs out (a worker that died gives it back that way).
    locked_by = models.CharField(max_length=200, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    # ICS addresses: the validators of the last full answer (conditional GET).
    http_etag = models.CharField(max_length=500, blank=True)
    http_last_modified = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["next_sync_at"], name="calconn_next_sync_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.url}"

    @property
    def has_write_target(self) -> bool:
        """Whether one of its calendars receives the bookings (uses prefetched calendars)."""
        return any(c.is_write_target for c in self.calendars.all())


class RemoteCalendar(models.Model):
    """One calendar (a CalDAV collection, or the single calendar of an ICS address)."""

    connection = models.ForeignKey(
        CalendarConnection, on_delete=models.CASCADE, related_name="calendars"
    )
    # Denormalised from the connection so the one-write-target rule is a database constraint.
    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="+")
    url = models.URLField(max_length=1000)
    name = models.CharField(max_length=300, blank=True)
    is_busy_source = models.BooleanField(default=True)
    is_write_target = models.BooleanField(default=False)
    sync_token = models.TextField(blank=True)
    ctag = models.CharField(max_length=500, blank=True)
    # Busy times are computed for a rolling window; a full re-read at least daily moves the
    # window on (an incremental sync only recomputes the events that changed).
    last_full_sync_at = models.DateTimeField(null=True, blank=True)
    # A calendar that has disappeared on the server is kept (its busy times are not) until
    # the connection is removed, so a choice made by staff survives a transient listing error.
    present = models.BooleanField(default=True)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["connection", "url"], name="remotecal_unique_url"),
            models.UniqueConstraint(
                fields=["provider"],
                condition=Q(is_write_target=True),
                name="remotecal_one_write_target",
            ),
        ]

    def __str__(self) -> str:
        return self.name or self.url


class BusyInterval(models.Model):
    """A time the provider is busy according to one of their calendars (UTC)."""

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="+")
    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="busy_intervals")
    remote_calendar = models.ForeignKey(
        RemoteCalendar, on_delete=models.CASCADE, related_name="busy_intervals"
    )
    start = models.DateTimeField()
    end = models.DateTimeField()
    # Which event (and occurrence) it came from: a changed or deleted event replaces its rows.
    href = models.CharField(max_length=1000, blank=True)
    uid = models.CharField(max_length=500, blank=True)
    recurrence_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["start", "pk"]
        indexes = [
            models.Index(fields=["provider", "start", "end"], name="busy_provider_window_idx"),
            models.Index(fields=["remote_calendar", "href"], name="busy_calendar_href_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="busy_interval_order"),
        ]


# Feeds, written events and conflicts live in their own module; imported here so Django finds them.
from slotwise.calendars.models_out import (  # noqa: E402
    BookingCalendarEvent as BookingCalendarEvent,
)
from slotwise.calendars.models_out import CalendarConflict as CalendarConflict  # noqa: E402
from slotwise.calendars.models_out import ProviderFeed as ProviderFeed  # noqa: E402
