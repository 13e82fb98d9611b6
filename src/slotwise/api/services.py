"""Writes only the API has: keys, webhook endpoints and idempotency records.

Every function is keyword-only, scoped to one business, validates with the model's own rules
(``full_clean``) and raises a DomainError (nothing changed) when the input is not acceptable.
Catalog and settings writes are the domain's, shared with the backoffice:
``catalog/services.py``, ``bookings/pages.py`` and ``notifications/settings.py``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction

from slotwise.api.errors import IdempotencyConflict, IdempotencyInProgress
from slotwise.api.models import ApiKey, IdempotencyRecord
from slotwise.bookings.models import Booking
from slotwise.core import errors, outbound
from slotwise.core.models import Business
from slotwise.core.records import record_apply, record_get, record_save
from slotwise.notifications.models import WEBHOOK_EVENTS, WebhookEndpoint

_KEY_PREFIX = "sw"
#: A claimed Idempotency-Key whose request never finished is released after this long.
IDEMPOTENCY_CLAIM_TIMEOUT = timedelta(minutes=5)
#: A key is only written back as "used" this often, so reads do not each cost a write.
_LAST_USED_RESOLUTION = timedelta(minutes=1)


# --- API keys -----------------------------------------------------------------------------


def _hash_key(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def api_key_create(*, business: Business, name: str, now: datetime) -> tuple[ApiKey, str]:
    """Create a key for ``business``; returns the row and the key itself (shown only once)."""
    name = name.strip()
    if not name or len(name) > 100:
        raise errors.InvalidInput("A key needs a name of at most 100 characters.", field="name")
    prefix = secrets.token_hex(4)
    raw = f"{_KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey.objects.create(
        business=business, name=name, prefix=prefix, key_hash=_hash_key(raw), created_at=now
    )
    return key, raw


def api_key_revoke(*, business: Business, key_id: int, now: datetime) -> ApiKey:
    """Revoke a key of ``business``; requests with it fail from now on. Revoking twice is fine."""
    key = ApiKey.objects.filter(business=business, pk=key_id).first()
    if key is None:
        raise errors.NotFound("API key not found.")
    if key.revoked_at is None:
        key.revoked_at = now
        key.save(update_fields=["revoked_at"])
    return key


def api_key_authenticate(*, raw: str, now: datetime) -> ApiKey | None:
    """The active key matching ``raw`` (with its business loaded), or None."""
    raw = raw.strip()
    if not raw.startswith(f"{_KEY_PREFIX}_") or len(raw) > 200 or not raw.isascii():
        return None
    digest = _hash_key(raw)
    key = (
        ApiKey.objects.select_related("business")
        .filter(key_hash=digest, revoked_at__isnull=True)
        .first()
    )
    if key is None or not hmac.compare_digest(key.key_hash, digest):
        return None
    if key.last_used_at is None or now - key.last_used_at > _LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key


# --- a shim for older callers -----------------------------------------------------------------


# --- webhooks ---------------------------------------------------------------------------------


def _webhook_events(events: Iterable[str]) -> list[str]:
    chosen = list(dict.fromkeys(events))
    unknown = [e for e in chosen if e not in WEBHOOK_EVENTS]
    if unknown or not chosen:
        raise errors.InvalidInput(
            "Choose one or more of: " + ", ".join(WEBHOOK_EVENTS) + ".", field="events"
        )
    return chosen


#: Endpoints a business may register; each one is a request per booking event.
MAX_WEBHOOK_ENDPOINTS = 10
#: A signing secret shorter than this is guessable; none given gets a generated one.
MIN_WEBHOOK_SECRET = 24


def webhook_endpoint_create(
    *,
    business: Business,
    url: str,
    events: Iterable[str],
    now: datetime,
    secret: str = "",
    active: bool = True,
) -> WebhookEndpoint:
    """Register a URL for the given events; the secret signs every delivery.

    The URL must reach the public internet (see core/outbound.py); a business has at most
    ``MAX_WEBHOOK_ENDPOINTS``; a secret given must have at least ``MIN_WEBHOOK_SECRET``
    characters, and one is generated when none is given.
    """
    secret = secret.strip()
    if secret and len(secret) < MIN_WEBHOOK_SECRET:
        raise errors.InvalidInput(
            f"The secret must have at least {MIN_WEBHOOK_SECRET} characters; leave it empty "
            "to have one generated.",
            field="secret",
        )
    endpoint = WebhookEndpoint(
        business=business,
        url=url.strip(),
        events=_webhook_events(events),
        secret=secret or "whsec_" + secrets.token_urlsafe(32),
        active=active,
        created_at=now,
    )
    _check_url(endpoint.url)
    with transaction.atomic():
        # The business row's lock makes "count, then insert" one step for concurrent creates.
        list(Business.objects.select_for_update().filter(pk=business.pk).values_list("pk"))
        if WebhookEndpoint.objects.filter(business=business).count() >= MAX_WEBHOOK_ENDPOINTS:
            raise errors.InvalidInput(
                f"A business can have at most {MAX_WEBHOOK_ENDPOINTS} webhook endpoints; "
                "delete one first.",
                field="url",
            )
        return record_save(endpoint)


def webhook_endpoint_update(
    *, business: Business, endpoint_id: int, changes: Mapping[str, Any]
) -> WebhookEndpoint:
    """Change an endpoint's URL, events or active flag (the URL is checked as on create)."""
    endpoint = record_get(WebhookEndpoint, business=business, pk=endpoint_id, label="Webhook")
    changes = dict(changes)
    if "events" in changes:
        changes["events"] = _webhook_events(changes["events"] or [])
    record_apply(endpoint, changes)
    _check_url(endpoint.url)
    return record_save(endpoint)


def webhook_endpoint_delete(*, business: Business, endpoint_id: int) -> None:
    record_get(WebhookEndpoint, business=business, pk=endpoint_id, label="Webhook").delete()


def _check_url(url: str) -> None:
    """Refuse a URL Slotwise must not post to: not http(s), or aimed at an internal address."""
    outbound.check_url(url)


# --- idempotency ------------------------------------------------------------------------------


def idempotency_claim(
    *, business: Business, key: str, request_hash: str, now: datetime
) -> tuple[IdempotencyRecord, Booking | None]:
    """Claim ``key`` for a new request, or find the booking an earlier request made with it.

    Returns the record and, for a replay, the booking already created. The claim is committed
    on its own, so a concurrent request with the same key sees it and is told to retry.
    """
    key = key.strip()
    if not key or len(key) > 200 or not key.isprintable():
        raise errors.InvalidInput(
            "The Idempotency-Key must be 1 to 200 printable characters.", field="Idempotency-Key"
        )
    try:
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(
                business=business, key=key, request_hash=request_hash, created_at=now
            )
        return record, None
    except IntegrityError:
        pass
    record = IdempotencyRecord.objects.select_related("booking").get(business=business, key=key)
    if record.request_hash != request_hash:
        raise IdempotencyConflict()
    if record.booking is None:
        if now - record.created_at < IDEMPOTENCY_CLAIM_TIMEOUT:
            raise IdempotencyInProgress()
        # The request that claimed the key died without finishing: let this one take over.
        IdempotencyRecord.objects.filter(pk=record.pk, booking__isnull=True).update(created_at=now)
        return record, None
    return record, record.booking


def idempotency_complete(*, record: IdempotencyRecord, booking: Booking) -> None:
    IdempotencyRecord.objects.filter(pk=record.pk).update(booking=booking)


def idempotency_release(*, record: IdempotencyRecord) -> None:
    """Forget a claim whose request failed (the failure changed nothing), so a retry may run."""
    IdempotencyRecord.objects.filter(pk=record.pk, booking__isnull=True).delete()
