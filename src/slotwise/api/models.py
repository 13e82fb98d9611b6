"""What the API keeps of its own: API keys and idempotency records.

Webhook endpoints belong to delivery (``notifications.models.WebhookEndpoint``); the names
are re-exported here for the code that still imports them from the API.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from slotwise.core.models import Business
from slotwise.notifications.models import WEBHOOK_EVENTS, WebhookEndpoint

__all__ = ["WEBHOOK_EVENTS", "ApiKey", "IdempotencyRecord", "WebhookEndpoint"]


class ApiKey(models.Model):
    """A business's key for the JSON API. Only a SHA-256 hash of the secret is stored.

    The key looks like ``sw_<prefix>_<secret>``; ``prefix`` is shown in lists so a key can be
    recognised without revealing it.
    """

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "id"]
        verbose_name = _("API key")

    def __str__(self) -> str:
        return f"{self.name} (sw_{self.prefix}_…)"

    @property
    def active(self) -> bool:
        return self.revoked_at is None


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
        "bookings.Booking", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["business", "key"], name="idempotency_unique_key")
        ]
