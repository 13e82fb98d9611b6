"""The outbox (one row per message to send), the settings that decide who gets what, and the
webhook endpoints that receive booking events."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from slotwise.bookings.models import Booking
from slotwise.core.models import Business


class NotificationSettings(models.Model):
    """Per business, per event: tell the provider, tell the business's contact email."""

    business = models.OneToOneField(
        Business, on_delete=models.CASCADE, related_name="notification_settings"
    )
    provider_on_created = models.BooleanField(default=True)
    provider_on_rescheduled = models.BooleanField(default=True)
    provider_on_cancelled = models.BooleanField(default=True)
    business_on_created = models.BooleanField(default=False)
    business_on_rescheduled = models.BooleanField(default=True)
    business_on_cancelled = models.BooleanField(default=True)

    def wants(self, *, who: str, event: str) -> bool:
        return bool(getattr(self, f"{who}_on_{event}"))


class ReminderRule(models.Model):
    """Send the customer a reminder this long before the appointment."""

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="reminder_rules")
    minutes_before = models.PositiveIntegerField()

    class Meta:
        ordering = ["-minutes_before"]
        constraints = [
            models.UniqueConstraint(
                fields=["business", "minutes_before"], name="reminder_rule_unique"
            )
        ]


class Message(models.Model):
    """An outbox row, written in the same transaction as the change that caused it.

    The worker claims due rows, sends them and records the outcome; a claim is a lease, so a
    row held by a worker that died comes back when the lease expires.
    """

    class Channel(models.TextChoices):
        EMAIL = "email", _("Email")
        SMS = "sms", _("SMS")
        WEBHOOK = "webhook", _("Webhook")
        #: A booking written into the provider's own calendar (calendars/writes.py).
        CALENDAR = "calendar", _("Calendar")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        INFLIGHT = "inflight", _("Sending")
        AWAITING_RETRY = "awaiting_retry", _("Waiting to retry")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    class Kind(models.TextChoices):
        CONFIRMATION = "confirmation", _("Booking confirmation")
        RESCHEDULED = "rescheduled", _("Booking rescheduled")
        CANCELLED = "cancelled", _("Booking cancelled")
        REMINDER = "reminder", _("Reminder")
        RATING_REQUEST = "rating_request", _("Rating request")
        STAFF_CREATED = "staff_created", _("New booking (staff)")
        STAFF_RESCHEDULED = "staff_rescheduled", _("Booking rescheduled (staff)")
        STAFF_CANCELLED = "staff_cancelled", _("Booking cancelled (staff)")
        STAFF_REASSIGNED_AWAY = "staff_reassigned_away", _("Booking moved to another provider")
        WEBHOOK = "webhook", _("Webhook delivery")
        WAITLIST_JOINED = "waitlist_joined", _("Waitlist joined")
        WAITLIST_OFFER = "waitlist_offer", _("Waitlist offer")
        CALENDAR_WRITE = "calendar_write", _("Calendar write")

    #: Statuses the worker will still pick up.
    PENDING = (Status.QUEUED, Status.AWAITING_RETRY)

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="messages")
    booking = models.ForeignKey(
        Booking, null=True, blank=True, on_delete=models.CASCADE, related_name="messages"
    )
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.EMAIL)
    kind = models.CharField(max_length=30, choices=Kind.choices)
    recipient = models.CharField(max_length=500)
    recipient_name = models.CharField(max_length=200, blank=True)
    #: For staff messages: "provider" or "business"; for customer ones: "customer".
    audience = models.CharField(max_length=10, default="customer")
    #: The facts at the time of the change (times, provider, version) so that a message sent
    #: late still tells what happened then.
    context = models.JSONField(default=dict, blank=True)
    #: Reminders only: how long before the appointment they are due.
    reminder_minutes = models.PositiveIntegerField(null=True, blank=True)
    dedupe_key = models.CharField(max_length=200, unique=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    due_at = models.DateTimeField()
    next_attempt_at = models.DateTimeField()
    attempts = models.PositiveIntegerField(default=0)
    max_attempts = models.PositiveIntegerField(default=8)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    locked_by = models.CharField(max_length=100, blank=True)
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    #: A copy queued by staff after this row failed for good; the failed row is kept as it was.
    resend_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="resends"
    )

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"]),
            models.Index(fields=["status", "lease_expires_at"]),
            models.Index(fields=["booking", "kind"]),
            models.Index(fields=["business", "status"]),
            # The webhook lane claims its own rows without walking past queued emails.
            models.Index(fields=["channel", "status", "next_attempt_at"], name="message_lane_due"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.recipient} ({self.status})"


#: Events a webhook endpoint can subscribe to.
WEBHOOK_EVENTS = (
    "booking.created",
    "booking.rescheduled",
    "booking.cancelled",
    "booking.completed",
    "waitlist.offered",
    "waitlist.accepted",
)


class WebhookEndpoint(models.Model):
    """A URL that receives signed POSTs for the booking events it subscribed to."""

    business = models.ForeignKey(
        Business, on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    url = models.URLField(max_length=500)
    #: A list of event names from WEBHOOK_EVENTS.
    events = models.JSONField(default=list)
    secret = models.CharField(max_length=100)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField()

    class Meta:
        # The table keeps the name it had when the model lived in the API app.
        db_table = "api_webhookendpoint"
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.url
