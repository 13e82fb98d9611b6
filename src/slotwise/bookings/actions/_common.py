"""Pieces every booking action shares: the write transaction, locking, history, slot checks."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Exists
from django.utils.translation import gettext as _

from slotwise.bookings import availability_queries as loaders
from slotwise.bookings.actor import Actor
from slotwise.bookings.events import BookingChanged, Previous
from slotwise.bookings.models import Booking, BookingEvent, BookingPage
from slotwise.catalog.models import Provider, Service
from slotwise.core import errors, events
from slotwise.scheduling import availability

#: Name of the PostgreSQL exclusion constraint that makes double booking impossible.
OVERLAP_CONSTRAINT = "booking_no_overlap"
_REFERENCE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read over the phone


@contextmanager
def write_transaction() -> Iterator[None]:
    """The one durable transaction of a use case; the database's overlap guard becomes a
    DomainError.

    Each public action opens it around its ``*_in_transaction`` twin; a use case that makes
    several changes at once (e.g. a customer, an idempotency key and a booking) opens it
    itself and calls the twins inside.

    On SQLite the connection uses IMMEDIATE transactions, so the write lock is held from BEGIN
    and the overlap check cannot race. On PostgreSQL the exclusion constraint is the guarantee.
    """
    try:
        with transaction.atomic(durable=True):
            yield
    except IntegrityError as exc:
        if OVERLAP_CONSTRAINT in str(exc):
            raise errors.SlotUnavailable() from exc
        raise


def require_transaction() -> None:
    """An ``*_in_transaction`` action joins its caller's transaction; it never opens one."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("call the action inside write_transaction() (or its public entry)")


def require_aware(value: datetime, field: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise errors.InvalidInput(_("Times must include a time zone offset."), field=field)
    # Arithmetic on a datetime in a DST zone is wall-clock arithmetic; in UTC it is exact.
    return value.astimezone(UTC)


def lock_booking(booking_id: int, *, business_id: int | None = None) -> Booking:
    """Fetch a booking for update; the re-check of every rule happens on this fresh row."""
    qs = Booking.objects.select_for_update(of=("self",)).select_related(
        "service", "provider", "customer", "business", "booking_page"
    )
    if business_id is not None:
        qs = qs.filter(business_id=business_id)
    try:
        return qs.get(pk=booking_id)
    except Booking.DoesNotExist:
        raise errors.NotFound(_("Booking not found.")) from None


def lock_provider(provider_id: int) -> Provider:
    """Serialize bookings per provider so the friendly overlap check sees committed rows.

    The business comes along (its time zone and rules are read next) but only the provider row
    is locked: locking the business would serialize every booking of the business.
    """
    return (
        Provider.objects.select_for_update(of=("self",))
        .select_related("business")
        .get(pk=provider_id)
    )


def lock_providers(provider_ids: list[int]) -> None:
    """Lock several providers in id order (a fixed order cannot deadlock)."""
    list(Provider.objects.select_for_update().filter(pk__in=provider_ids).order_by("pk"))


def check_version(booking: Booking, expected_version: int | None) -> None:
    if expected_version is not None and booking.version != expected_version:
        raise errors.StaleBooking(current_version=booking.version)


def record(
    booking: Booking,
    *,
    kind: str,
    actor: Actor,
    now: datetime,
    old: dict[str, Any] | None = None,
    new: dict[str, Any] | None = None,
    previous: Previous | None = None,
    notify_customer: bool = True,
) -> BookingEvent:
    """Append a history row for ``booking`` and tell the subscribers (``BookingChanged``).

    Called once per action, inside its transaction, after the booking is saved: what the
    subscribers queue (emails, reminders, webhooks) commits with the change or not at all.
    ``previous`` is the booking before the change where a subscriber needs it (reschedule).
    """
    row = BookingEvent.objects.create(
        business_id=booking.business_id,
        booking=booking,
        kind=kind,
        actor_kind=actor.kind,
        actor_user=actor.user if actor.kind == "staff" else None,
        actor_label=actor.label[:200],
        old=old or {},
        new=new or {},
        created_at=now,
    )
    events.emit(
        BookingChanged(
            kind=kind,
            booking=booking,
            actor=actor,
            now=now,
            old=previous,
            notify_customer=notify_customer,
        )
    )
    return row


def new_reference() -> str:
    """A short human reference like ``SW-7K3Q9P`` that is not yet used (30 random bits)."""
    while True:
        ref = "SW-" + "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(6))
        if not Booking.objects.filter(reference=ref).exists():
            return ref


def blocked_range(start: datetime, service: Service) -> tuple[datetime, datetime, datetime]:
    """(end, blocked_start, blocked_end) of an appointment of ``service`` at ``start``."""
    end = start + timedelta(minutes=service.duration_minutes)
    return (
        end,
        start - timedelta(minutes=service.buffer_before_minutes),
        end + timedelta(minutes=service.buffer_after_minutes),
    )


def ensure_no_overlap(
    *,
    provider: Provider,
    blocked_start: datetime,
    blocked_end: datetime,
    exclude_booking_id: int | None = None,
) -> None:
    """Refuse a time that overlaps another active booking of the provider (buffers included)."""
    clash = Booking.objects.filter(
        provider=provider,
        status__in=Booking.ACTIVE_STATUSES,
        blocked_start__lt=blocked_end,
        blocked_end__gt=blocked_start,
    )
    if exclude_booking_id is not None:
        clash = clash.exclude(pk=exclude_booking_id)
    if clash.exists():
        raise errors.SlotUnavailable()


def ensure_bookable(
    *,
    provider: Provider,
    service: Service,
    start: datetime,
    now: datetime,
    page: BookingPage | None,
    customer_rules: bool,
    exclude_booking_id: int | None = None,
) -> None:
    """Check ``start`` against availability: page/business rules for customers, hours for staff."""
    rules = (
        loaders.rules_for(service=service, business=provider.business, page=page)
        if customer_rules
        else loaders.staff_rules_for(service=service)
    )
    (schedule,) = loaders.provider_schedules(
        providers=[provider],
        window_start=start,
        window_end=start + rules.duration,
        exclude_booking_id=exclude_booking_id,
    )
    if not availability.is_slot_free(
        provider=schedule, rules=rules, tz=provider.business.tz, start=start, now=now
    ):
        raise errors.SlotUnavailable()


def validate_service_provider(
    *, business_id: int, service: Service, provider: Provider, page: BookingPage | None = None
) -> None:
    """The service and provider belong to the business, are active, and go together."""
    if service.business_id != business_id or provider.business_id != business_id:
        raise errors.NotFound(_("Service or provider not found."))
    if not service.active:
        raise errors.InvalidInput(_("This service is not offered any more."), field="service")
    if not provider.active:
        raise errors.InvalidInput(_("This provider is not available."), field="provider")
    # The three pairings in one query (this runs on every booking and reschedule).
    pairings = {
        "offers": Exists(
            Provider.services.through.objects.filter(provider_id=provider.pk, service_id=service.pk)
        )
    }
    if page is not None:
        pairings["service_on_page"] = Exists(
            BookingPage.services.through.objects.filter(
                bookingpage_id=page.pk, service_id=service.pk
            )
        )
        pairings["provider_on_page"] = Exists(
            BookingPage.providers.through.objects.filter(
                bookingpage_id=page.pk, provider_id=provider.pk
            )
        )
    found = Provider.objects.filter(pk=provider.pk).values(**pairings).first() or {}
    if not found.get("offers"):
        raise errors.InvalidInput(_("This provider does not offer this service."), field="provider")
    if page is not None:
        if not found.get("service_on_page"):
            raise errors.InvalidInput(
                _("This service is not offered on this page."), field="service"
            )
        if not found.get("provider_on_page"):
            raise errors.InvalidInput(
                _("This provider is not offered on this page."), field="provider"
            )


def previous(booking: Booking) -> Previous:
    """The booking as it is now, for the event of a change about to be made."""
    return Previous(
        start=booking.start, end=booking.end, provider=booking.provider, status=booking.status
    )


def snapshot(booking: Booking) -> dict[str, Any]:
    """The changeable facts of a booking, for history rows."""
    return {
        "start": booking.start.isoformat(),
        "end": booking.end.isoformat(),
        "provider_id": booking.provider_id,
        "provider": booking.provider.name,
        "status": booking.status,
    }
