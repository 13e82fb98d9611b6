"""The waitlist: customers waiting for a time, the offers made to them, and freed time.

Imported by ``bookings/models.py`` so Django finds the models in the ``bookings`` app. The
rules that read and change them live in ``bookings/waitlist.py`` (pure matching) and
``bookings/actions/waitlist.py`` (every change); see docs/waitlist.md.
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from slotwise.catalog.models import Provider, Service
from slotwise.core.models import Business


class WaitlistSettings(models.Model):
    """A business's rule for offering freed time to its waitlist."""

    class Mode(models.TextChoices):
        ONE_AT_A_TIME = "one_at_a_time", _("One at a time, in the order they joined")
        NOTIFY_ALL = "notify_all", _("Tell everyone who matches; the first to accept wins")

    business = models.OneToOneField(
        Business, on_delete=models.CASCADE, related_name="waitlist_settings"
    )
    mode = models.CharField(max_length=20, choices=Mode.choices, default=Mode.ONE_AT_A_TIME)
    hold_minutes = models.PositiveIntegerField(
        default=60, validators=[MinValueValidator(5), MaxValueValidator(7 * 24 * 60)]
    )


class WaitlistEntry(models.Model):
    """A customer waiting for a time on a booking page, or for an earlier time of a booking."""

    class Status(models.TextChoices):
        WAITING = "waiting", _("Waiting")
        BOOKED = "booked", _("Booked")
        LEFT = "left", _("Left the waitlist")

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="+")
    reference = models.CharField(max_length=12, unique=True)
    page = models.ForeignKey(
        "bookings.BookingPage", on_delete=models.CASCADE, related_name="waitlist_entries"
    )
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="+")
    #: None: any provider of the page who offers the service.
    provider = models.ForeignKey(
        Provider, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    #: An "earlier time" request: the booking an accepted offer reschedules.
    booking = models.ForeignKey(
        "bookings.Booking",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="waitlist_entries",
    )
    name = models.CharField(max_length=200)
    email = models.EmailField(max_length=254)
    phone = models.CharField(max_length=40, blank=True)
    timezone = models.CharField(max_length=64, blank=True)
    #: The language the customer read the page in: every waitlist email is written in it.
    language = models.CharField(max_length=10, blank=True)
    #: A list of windows: {"first_day", "last_day", "from", "until"} (local dates and times of
    #: day in the business's zone; "from"/"until" may be null). See ``waitlist.Window``.
    windows = models.JSONField(default=list)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.WAITING)
    created_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["business", "status", "created_at"])]

    def __str__(self) -> str:
        return self.reference


class WaitlistOffer(models.Model):
    """One freed time offered to one entry; usable once, until ``expires_at``."""

    class Status(models.TextChoices):
        OPEN = "open", _("Offered")
        ACCEPTED = "accepted", _("Accepted")
        EXPIRED = "expired", _("Expired")
        TAKEN = "taken", _("Taken by someone else")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="+")
    entry = models.ForeignKey(WaitlistEntry, on_delete=models.CASCADE, related_name="offers")
    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="+")
    start = models.DateTimeField()
    end = models.DateTimeField()
    mode = models.CharField(max_length=20, choices=WaitlistSettings.Mode.choices)
    #: "auto" (the worker) or "staff" (offered by hand).
    offered_by = models.CharField(max_length=10, default="auto")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    booking = models.ForeignKey(
        "bookings.Booking", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["business", "start"]),
            models.Index(
                fields=["expires_at"], condition=Q(status="open"), name="waitlist_offer_open_idx"
            ),
        ]


class WaitlistToken(models.Model):
    """A waitlist link's secret, stored only as a SHA-256 hash (like ``BookingToken``).

    ``entry`` links (leave the waitlist) name no offer; ``offer`` links name one.
    """

    class Purpose(models.TextChoices):
        ENTRY = "entry", _("Waitlist entry")
        OFFER = "offer", _("Waitlist offer")

    entry = models.ForeignKey(WaitlistEntry, on_delete=models.CASCADE, related_name="tokens")
    offer = models.ForeignKey(
        WaitlistOffer, null=True, blank=True, on_delete=models.CASCADE, related_name="tokens"
    )
    purpose = models.CharField(max_length=10, choices=Purpose.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()


class FreedTime(models.Model):
    """Time that became free (a cancel, a reschedule away, deleted time off, longer hours).

    Written in the same transaction as the change that freed it, so it survives a crash; the
    worker matches it against the waitlist (``actions.waitlist_process_freed``) and marks it
    done in the transaction that makes the offers, so no freed time is offered twice.
    """

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="+")
    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="+")
    start = models.DateTimeField()
    end = models.DateTimeField()
    reason = models.CharField(max_length=20)
    created_at = models.DateTimeField()
    processed_at = models.DateTimeField(null=True, blank=True)
    #: Freed by a booking cancelled or moved away (the dashboard's "re-booked" figure).
    booking = models.ForeignKey(
        "bookings.Booking", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=Q(processed_at__isnull=True),
                name="freed_time_pending_idx",
            )
        ]
