"""Bookings, their history, payments, access tokens and the booking pages that create them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from slotwise.bookings.self_service import SelfServicePolicy
from slotwise.catalog.models import Customer, Provider, Service
from slotwise.core.i18n import validate_language
from slotwise.core.models import Business, slug_validator

#: Choices offered for "latest change time before the appointment" (minutes).
CHANGE_DEADLINE_CHOICES = [
    (0, _("Until the appointment starts")),
    (60, _("1 hour before")),
    (120, _("2 hours before")),
    (360, _("6 hours before")),
    (720, _("12 hours before")),
    (1440, _("24 hours before")),
    (2880, _("48 hours before")),
    (10080, _("7 days before")),
]


class SelfServicePolicyMixin:
    """The four self-service fields of a page or a booking, read as one value.

    A booking page's fields are its settings; a booking's are the snapshot it was made under.
    Everything that reads a policy reads ``.policy``, never the four fields one by one.
    """

    allow_cancel: bool
    allow_reschedule: bool
    change_deadline_minutes: int
    max_reschedules: int | None

    @property
    def policy(self) -> SelfServicePolicy:
        return SelfServicePolicy(
            allow_cancel=self.allow_cancel,
            allow_reschedule=self.allow_reschedule,
            change_deadline_minutes=self.change_deadline_minutes,
            max_reschedules=self.max_reschedules,
        )


class BookingPage(SelfServicePolicyMixin, models.Model):
    """A public page where customers book; its self-service settings apply to new bookings."""

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="booking_pages")
    slug = models.SlugField(max_length=50, validators=[slug_validator])
    title = models.CharField(max_length=200)
    intro = models.TextField(blank=True)
    #: Per-language title and intro: ``{"de": {"title": …, "intro": …}}``.
    translations = models.JSONField(default=dict, blank=True)
    services = models.ManyToManyField(Service, related_name="booking_pages")
    providers = models.ManyToManyField(Provider, related_name="booking_pages")
    any_provider = models.BooleanField(
        default=True, help_text=_("Customers may pick “any available provider”.")
    )
    min_notice_minutes = models.PositiveIntegerField(default=120)
    max_days_ahead = models.PositiveIntegerField(
        default=60, validators=[MinValueValidator(1), MaxValueValidator(730)]
    )
    slot_step_minutes = models.PositiveIntegerField(
        default=30, validators=[MinValueValidator(5), MaxValueValidator(240)]
    )
    # Self-service: off unless explicitly enabled. Copied onto each booking when it is made.
    allow_cancel = models.BooleanField(default=False)
    allow_reschedule = models.BooleanField(default=False)
    change_deadline_minutes = models.PositiveIntegerField(default=1440)
    max_reschedules = models.PositiveIntegerField(
        null=True, blank=True, help_text=_("Empty: no limit.")
    )
    active = models.BooleanField(default=True)
    #: Customers may join a waitlist here when no time suits them (docs/waitlist.md).
    waitlist = models.BooleanField(default=False)

    class Meta:
        ordering = ["title"]
        constraints = [
            models.UniqueConstraint(fields=["business", "slug"], name="booking_page_unique_slug"),
            models.CheckConstraint(
                condition=models.Q(slot_step_minutes__gte=5), name="booking_page_step_minimum"
            ),
            models.CheckConstraint(
                condition=models.Q(max_days_ahead__gte=1),
                name="booking_page_days_ahead_minimum",
            ),
        ]

    def __str__(self) -> str:
        return self.title


@dataclass(frozen=True, slots=True)
class BookingContact:
    """Who a booking is for, as the customer's pages and emails name them."""

    name: str
    email: str
    phone: str
    timezone: str


class Booking(SelfServicePolicyMixin, models.Model):
    """One appointment. Rescheduled in place: its id, reference and links never change."""

    class Source(models.TextChoices):
        CUSTOM = "custom", _("Custom (created by staff)")
        WEB = "web", _("Web (booking page)")

    class Status(models.TextChoices):
        CONFIRMED = "confirmed", _("Confirmed")
        CANCELLED = "cancelled", _("Cancelled")
        COMPLETED = "completed", _("Completed")
        NO_SHOW = "no_show", _("No-show")

    #: Statuses that hold the provider's time (the no-double-booking guarantee covers these).
    ACTIVE_STATUSES = (Status.CONFIRMED, Status.COMPLETED, Status.NO_SHOW)

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="bookings")
    reference = models.CharField(max_length=12, unique=True)
    source = models.CharField(max_length=10, choices=Source.choices)
    booking_page = models.ForeignKey(
        BookingPage, null=True, blank=True, on_delete=models.SET_NULL, related_name="bookings"
    )
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="bookings")
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="bookings")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="bookings")
    # What the booker typed (a web booking) or the customer record when the booking was made
    # (staff): a web booking never changes the stored customer, so its own details live here.
    contact_name = models.CharField(max_length=200, blank=True)
    contact_phone = models.CharField(max_length=40, blank=True)
    contact_timezone = models.CharField(max_length=64, blank=True)
    #: The language every message about this booking is written in for the customer ("" =
    #: the customer's, else the business's default); copied from the customer when booked.
    language = models.CharField(max_length=10, blank=True, validators=[validate_language])
    start = models.DateTimeField()
    end = models.DateTimeField()
    # The time the provider is held, buffers included; the overlap guarantee is on this range.
    blocked_start = models.DateTimeField()
    blocked_end = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.CONFIRMED)

    # Self-service policy snapshot: fixed when the booking is made, never edited afterwards.
    allow_cancel = models.BooleanField(default=False)
    allow_reschedule = models.BooleanField(default=False)
    change_deadline_minutes = models.PositiveIntegerField(default=1440)
    max_reschedules = models.PositiveIntegerField(null=True, blank=True)

    reschedule_count = models.PositiveIntegerField(default=0)
    #: A web booking made for "any available provider": its reschedule looks at every
    #: provider's times; otherwise the customer keeps the provider they chose.
    booked_any_provider = models.BooleanField(default=False)
    version = models.PositiveIntegerField(default=1)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.CharField(max_length=20, blank=True)
    cancellation_reason = models.TextField(blank=True)
    cloned_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="clones"
    )
    price = models.DecimalField(max_digits=10, decimal_places=2)
    currency = models.CharField(max_length=3)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["start"]
        indexes = [
            models.Index(fields=["business", "start"]),
            models.Index(fields=["provider", "blocked_start"]),
            models.Index(fields=["business", "status", "start"]),
            # Availability and the overlap check: a provider's time-holding bookings that end
            # after the window opens. Entered by the end, so only bookings from the window on
            # are read (a bounded few months) and never the years of history before it;
            # blocked_start is a key column too (not INCLUDE, which SQLite lacks) so the scan
            # needs no table rows.
            models.Index(
                fields=["provider", "blocked_end", "blocked_start"],
                condition=Q(status__in=["confirmed", "completed", "no_show"]),
                name="booking_provider_busy_idx",
            ),
            # "Any provider": each free candidate's confirmed bookings that day. Confirmed
            # bookings are the upcoming ones, so this index stays small as history grows.
            models.Index(
                fields=["provider", "start"],
                condition=Q(status="confirmed"),
                name="booking_provider_confirmed_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="booking_order"),
            models.CheckConstraint(
                condition=Q(blocked_start__lte=F("start")) & Q(blocked_end__gte=F("end")),
                name="booking_blocked_covers",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def change_deadline(self) -> datetime:
        """The last instant at which the customer may still change the booking online."""
        return self.start.astimezone(UTC) - timedelta(minutes=self.change_deadline_minutes)

    @property
    def self_service_enabled(self) -> bool:
        return self.allow_cancel or self.allow_reschedule

    @property
    def contact(self) -> BookingContact:
        """Who the customer's pages, emails and invites address.

        A web booking: what the booker typed (the address is the customer's, matched by it).
        A staff booking, or a row without its own contact: the customer record, as it is now.
        """
        customer = self.customer
        if self.source == self.Source.WEB and self.contact_name:
            return BookingContact(
                self.contact_name, customer.email, self.contact_phone, self.contact_timezone
            )
        return BookingContact(customer.name, customer.email, customer.phone, customer.timezone)

    @property
    def contact_differs(self) -> bool:
        """Whether the booker gave other details than the customer record holds (staff see both)."""
        customer, contact = self.customer, self.contact
        return (contact.name, contact.phone, contact.timezone) != (
            customer.name,
            customer.phone,
            customer.timezone,
        )


class BookingEvent(models.Model):
    """History: one row per change, with who made it and the values before and after."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Created")
        RESCHEDULED = "rescheduled", _("Rescheduled")
        CANCELLED = "cancelled", _("Cancelled")
        COMPLETED = "completed", _("Completed")
        NO_SHOW = "no_show", _("Marked as no-show")
        PAYMENT_RECORDED = "payment_recorded", _("Payment recorded")
        RATED = "rated", _("Rated")
        RATING_REPLIED = "rating_replied", _("Reply to the rating")
        RATING_HIDDEN = "rating_hidden", _("Rating comment hidden")
        RATING_SHOWN = "rating_shown", _("Rating comment shown again")
        CLOSE_UNDONE = "close_undone", _("Closing undone")
        NOTES_EDITED = "notes_edited", _("Notes edited")
        NOTIFICATION_RESENT = "notification_resent", _("Notification sent again")

    class ActorKind(models.TextChoices):
        CUSTOMER = "customer", _("Customer")
        STAFF = "staff", _("Staff")
        SYSTEM = "system", _("System")
        API = "api", _("API")

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="+")
    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    actor_kind = models.CharField(max_length=10, choices=ActorKind.choices)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=200, blank=True)
    old = models.JSONField(default=dict, blank=True)
    new = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["business", "kind", "created_at"]),
            # The dashboard's "changes by customers": the newest few, read in order instead
            # of every such change in the period being joined and sorted first.
            models.Index(
                fields=["business", "-created_at"],
                condition=Q(actor_kind="customer", kind__in=["cancelled", "rescheduled"]),
                name="event_customer_changes_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.booking_id} {self.kind}"


class Payment(models.Model):
    """A payment or refund recorded by staff. No cancel or reschedule ever changes these."""

    class Method(models.TextChoices):
        CASH = "cash", _("Cash")
        CARD = "card", _("Card")
        TRANSFER = "transfer", _("Bank transfer")
        ONLINE = "online", _("Online")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        PAID = "paid", _("Paid")
        REFUNDED = "refunded", _("Refunded")
        PENDING = "pending", _("Pending")

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="+")
    booking = models.ForeignKey(Booking, on_delete=models.PROTECT, related_name="payments")
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    currency = models.CharField(max_length=3)
    method = models.CharField(max_length=10, choices=Method.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PAID)
    note = models.CharField(max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]


class BookingToken(models.Model):
    """A customer link's secret, stored only as a SHA-256 hash.

    Each email gets its own token, so a link keeps working after later emails are sent.
    """

    class Purpose(models.TextChoices):
        MANAGE = "manage", _("Manage booking")
        RATE = "rate", _("Rate booking")

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="tokens")
    purpose = models.CharField(max_length=10, choices=Purpose.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.purpose} token for {self.booking_id}"


class Rating(models.Model):
    """The customer's 1–5 rating of a completed booking, given once.

    Every rating counts in every figure shown; staff may hide only the comment's text (for a
    content reason, recorded with who and why) and reply once, editing the reply later.
    """

    class HideReason(models.TextChoices):
        ABUSE = "abuse", _("Abusive or offensive language")
        PERSONAL_DATA = "personal_data", _("Personal data (names, phone numbers, addresses…)")
        SPAM = "spam", _("Advertising or spam")

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="+")
    booking = models.OneToOneField(Booking, on_delete=models.CASCADE, related_name="rating")
    stars = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField()

    # The comment's text hidden from the public pages (never deleted; its stars still count).
    comment_hidden_at = models.DateTimeField(null=True, blank=True)
    comment_hidden_reason = models.CharField(max_length=20, choices=HideReason.choices, blank=True)
    comment_hidden_note = models.CharField(max_length=300, blank=True)
    comment_hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    #: Who hid it, as a name: kept when the account is deleted, and for API keys.
    comment_hidden_by_label = models.CharField(max_length=200, blank=True)

    # The business's public reply: one per rating, editable.
    reply = models.TextField(blank=True)
    replied_at = models.DateTimeField(null=True, blank=True)
    reply_edited_at = models.DateTimeField(null=True, blank=True)
    replied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    replied_by_label = models.CharField(max_length=200, blank=True)

    class Meta:
        indexes = [
            # The public reviews, newest first, and the staff list.
            models.Index(fields=["business", "-created_at"], name="rating_business_latest_idx")
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(stars__gte=1) & Q(stars__lte=5), name="rating_stars_range"
            )
        ]

    def __str__(self) -> str:
        return f"{self.stars} stars for {self.booking_id}"

    @property
    def comment_hidden(self) -> bool:
        return self.comment_hidden_at is not None

    @property
    def has_reply(self) -> bool:
        return self.replied_at is not None


class IdempotencyRecord(models.Model):
    """An ``Idempotency-Key`` used to create a booking: a retry returns the same booking.

    The row is written before the booking (claiming the key) and completed with the booking's id
    afterwards; a failed attempt deletes its claim so the client may retry.
    """

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    #: SHA-256 of the request body: the same key with another body is refused.
    request_hash = models.CharField(max_length=64)
    booking = models.ForeignKey(
        Booking, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        db_table = "api_idempotencyrecord"  # kept from when the model lived in the API app
        constraints = [
            models.UniqueConstraint(fields=["business", "key"], name="idempotency_unique_key")
        ]


class AvailabilityVersion(models.Model):
    """A counter per provider, bumped in the same transaction as every change to their free
    time, so a cached availability answer keyed by it can never be stale
    (``bookings/availability_cache.py``). A provider without a row is at version 0."""

    provider = models.OneToOneField(
        Provider, primary_key=True, on_delete=models.CASCADE, related_name="availability_version"
    )
    version = models.BigIntegerField(default=0)


# The waitlist's models live in their own module; imported here so Django registers them.
from slotwise.bookings.waitlist_models import (  # noqa: E402
    FreedTime,
    WaitlistEntry,
    WaitlistOffer,
    WaitlistSettings,
    WaitlistToken,
)

__all__ = [
    "AvailabilityVersion",
    "Booking",
    "BookingContact",
    "BookingEvent",
    "BookingPage",
    "BookingToken",
    "FreedTime",
    "IdempotencyRecord",
    "Payment",
    "Rating",
    "WaitlistEntry",
    "WaitlistOffer",
    "WaitlistSettings",
    "WaitlistToken",
]
