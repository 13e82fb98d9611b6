"""Writes behind the API: keys, webhook endpoints, idempotency, and catalog/settings records.

Every function is keyword-only, scoped to one business, validates with the model's own rules
(``full_clean``) and raises a DomainError (nothing changed) when the input is not acceptable.
The catalog and settings writers are plain record edits with no booking rule in them; the
backoffice may call them too.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, time, timedelta
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction

from slotwise.api.errors import IdempotencyConflict, IdempotencyInProgress
from slotwise.api.models import WEBHOOK_EVENTS, ApiKey, IdempotencyRecord, WebhookEndpoint
from slotwise.bookings.models import Booking, BookingPage
from slotwise.catalog.models import Customer, Provider, Service, TimeOff, WorkingHours
from slotwise.core import errors
from slotwise.core.models import Business
from slotwise.notifications.models import NotificationSettings, ReminderRule

M = TypeVar("M", bound=models.Model)

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


# --- shared helpers -------------------------------------------------------------------------


def _clean_and_save[M: models.Model](instance: M, *, exclude: Iterable[str] = ()) -> M:
    """Run the model's validation (fields and constraints) and save; errors become 422."""
    try:
        instance.full_clean(exclude=list(exclude))
    except ValidationError as exc:
        fields = {
            field: " ".join(str(m) for m in messages)
            for field, messages in exc.message_dict.items()
        }
        message = " ".join(fields.values()) or "Some of the information given is not valid."
        raise errors.InvalidInput(message, **fields) from None
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError:
        # A concurrent request saved the same unique value between the check and the insert.
        raise errors.InvalidInput("This conflicts with an existing record.") from None
    return instance


def _apply(instance: models.Model, changes: Mapping[str, Any]) -> None:
    for field, value in changes.items():
        setattr(instance, field, value.strip() if isinstance(value, str) else value)


def _owned[M: models.Model](
    model: type[M], *, business: Business, ids: Iterable[int], label: str
) -> list[M]:
    """Rows of ``model`` with these ids in ``business``; an unknown or foreign id is a 404."""
    wanted = set(ids)
    rows = list(model._default_manager.filter(business=business, pk__in=wanted))
    if len(rows) != len(wanted):
        raise errors.NotFound(f"{label} not found.", field=f"{label.lower()}_ids")
    return rows


def get_owned[M: models.Model](model: type[M], *, business: Business, pk: int, label: str) -> M:
    """One row of ``model`` in ``business``; another business's id is simply not found."""
    row = model._default_manager.filter(business=business, pk=pk).first()
    if row is None:
        raise errors.NotFound(f"{label} not found.")
    return row


# --- services ---------------------------------------------------------------------------------


def service_save(
    *, business: Business, changes: Mapping[str, Any], service: Service | None = None
) -> Service:
    """Create a service (``service`` None) or change the given fields of one."""
    if service is None:
        service = Service(business=business, currency=business.currency)
    elif service.business_id != business.pk:
        raise errors.NotFound("Service not found.")
    changes = dict(changes)
    if changes.get("currency"):
        changes["currency"] = changes["currency"].upper()
    _apply(service, changes)
    with transaction.atomic():
        return _clean_and_save(service)


# --- providers --------------------------------------------------------------------------------


def provider_save(
    *,
    business: Business,
    changes: Mapping[str, Any],
    provider: Provider | None = None,
    working_hours: list[tuple[int, time, time]] | None = None,
    service_ids: list[int] | None = None,
) -> Provider:
    """Create or change a provider; ``working_hours`` and ``service_ids`` replace when given."""
    if provider is None:
        provider = Provider(business=business)
    elif provider.business_id != business.pk:
        raise errors.NotFound("Provider not found.")
    _apply(provider, changes)
    services = (
        None
        if service_ids is None
        else _owned(Service, business=business, ids=service_ids, label="Service")
    )
    hours = None if working_hours is None else _working_hours(working_hours)
    with transaction.atomic():
        _clean_and_save(provider)
        if services is not None:
            provider.services.set(services)
        if hours is not None:
            WorkingHours.objects.filter(provider=provider).delete()
            WorkingHours.objects.bulk_create(
                WorkingHours(provider=provider, weekday=d, start=s, end=e) for d, s, e in hours
            )
    return provider


def _working_hours(rows: list[tuple[int, time, time]]) -> list[tuple[int, time, time]]:
    seen = set()
    for weekday, start, end in rows:
        if not 0 <= weekday <= 6:
            raise errors.InvalidInput("weekday must be 0 (Monday) to 6 (Sunday).", field="weekday")
        if end <= start:
            raise errors.InvalidInput(
                "Working hours must end after they start (no crossing midnight).",
                field="working_hours",
            )
        seen.add((weekday, start, end))
    return sorted(seen)


def time_off_create(
    *, provider: Provider, start: datetime, end: datetime, reason: str = ""
) -> TimeOff:
    """Block ``provider`` from ``start`` to ``end`` (existing bookings stay; staff move them)."""
    if end <= start:
        raise errors.InvalidInput("Time off must end after it starts.", field="end")
    off = TimeOff(
        provider=provider, start=start.astimezone(UTC), end=end.astimezone(UTC), reason=reason
    )
    return _clean_and_save(off)


def time_off_delete(*, business: Business, provider_id: int, time_off_id: int) -> None:
    deleted, _ = TimeOff.objects.filter(
        pk=time_off_id, provider_id=provider_id, provider__business=business
    ).delete()
    if not deleted:
        raise errors.NotFound("Time off not found.")


# --- customers --------------------------------------------------------------------------------


def customer_save(
    *, business: Business, changes: Mapping[str, Any], customer: Customer | None = None
) -> Customer:
    if customer is None:
        customer = Customer(business=business)
    elif customer.business_id != business.pk:
        raise errors.NotFound("Customer not found.")
    changes = dict(changes)
    if changes.get("email"):
        changes["email"] = changes["email"].strip().lower()
    _apply(customer, changes)
    return _clean_and_save(customer)


def customer_for_details(
    *, business: Business, name: str, email: str, phone: str = ""
) -> tuple[Customer, bool]:
    """The business's customer with this email, or a new one; returns (customer, created)."""
    existing = Customer.objects.filter(business=business, email__iexact=email.strip()).first()
    if existing is not None:
        return existing, False
    return customer_save(
        business=business, changes={"name": name, "email": email, "phone": phone}
    ), True


# --- booking pages ----------------------------------------------------------------------------


def booking_page_save(
    *,
    business: Business,
    changes: Mapping[str, Any],
    page: BookingPage | None = None,
    service_ids: list[int] | None = None,
    provider_ids: list[int] | None = None,
) -> BookingPage:
    """Create or change a booking page. New self-service settings apply to new bookings only:
    each booking keeps the snapshot copied when it was made."""
    if page is None:
        page = BookingPage(business=business)
    elif page.business_id != business.pk:
        raise errors.NotFound("Booking page not found.")
    _apply(page, changes)
    services = (
        None
        if service_ids is None
        else _owned(Service, business=business, ids=service_ids, label="Service")
    )
    providers = (
        None
        if provider_ids is None
        else _owned(Provider, business=business, ids=provider_ids, label="Provider")
    )
    with transaction.atomic():
        _clean_and_save(page)
        if services is not None:
            page.services.set(services)
        if providers is not None:
            page.providers.set(providers)
    return page


# --- settings ---------------------------------------------------------------------------------


def notification_settings_get(*, business: Business) -> NotificationSettings:
    found, _ = NotificationSettings.objects.get_or_create(business=business)
    return found


def notification_settings_update(
    *, business: Business, changes: Mapping[str, bool]
) -> NotificationSettings:
    found = notification_settings_get(business=business)
    _apply(found, changes)
    return _clean_and_save(found)


def reminder_rules_replace(*, business: Business, minutes: Iterable[int]) -> list[ReminderRule]:
    """Replace the business's reminder rules; bookings made earlier keep their reminders."""
    values = sorted(set(minutes), reverse=True)
    if len(values) > 20:
        raise errors.InvalidInput("At most 20 reminder rules.", field="minutes_before")
    for value in values:
        if not 1 <= value <= 60 * 24 * 60:
            raise errors.InvalidInput(
                "A reminder is between 1 minute and 60 days before.", field="minutes_before"
            )
    with transaction.atomic():
        ReminderRule.objects.filter(business=business).delete()
        ReminderRule.objects.bulk_create(
            ReminderRule(business=business, minutes_before=v) for v in values
        )
    return list(ReminderRule.objects.filter(business=business))


# --- webhooks ---------------------------------------------------------------------------------


def _webhook_events(events: Iterable[str]) -> list[str]:
    chosen = list(dict.fromkeys(events))
    unknown = [e for e in chosen if e not in WEBHOOK_EVENTS]
    if unknown or not chosen:
        raise errors.InvalidInput(
            "Choose one or more of: " + ", ".join(WEBHOOK_EVENTS) + ".", field="events"
        )
    return chosen


def webhook_endpoint_create(
    *,
    business: Business,
    url: str,
    events: Iterable[str],
    now: datetime,
    secret: str = "",
    active: bool = True,
) -> WebhookEndpoint:
    """Register a URL for the given events; the secret signs every delivery."""
    endpoint = WebhookEndpoint(
        business=business,
        url=url.strip(),
        events=_webhook_events(events),
        secret=secret.strip() or "whsec_" + secrets.token_urlsafe(32),
        active=active,
        created_at=now,
    )
    _check_url(endpoint.url)
    return _clean_and_save(endpoint)


def webhook_endpoint_update(
    *, business: Business, endpoint_id: int, changes: Mapping[str, Any]
) -> WebhookEndpoint:
    endpoint = get_owned(WebhookEndpoint, business=business, pk=endpoint_id, label="Webhook")
    changes = dict(changes)
    if "events" in changes:
        changes["events"] = _webhook_events(changes["events"] or [])
    _apply(endpoint, changes)
    _check_url(endpoint.url)
    return _clean_and_save(endpoint)


def webhook_endpoint_delete(*, business: Business, endpoint_id: int) -> None:
    get_owned(WebhookEndpoint, business=business, pk=endpoint_id, label="Webhook").delete()


def _check_url(url: str) -> None:
    if not url.lower().startswith(("https://", "http://")):
        raise errors.InvalidInput("The URL must start with https:// or http://.", field="url")


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
