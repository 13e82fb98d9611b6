"""Pieces every booking action shares: the write transaction, locking, history, slot checks."""

from __future__ import annotations

import functools
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext as _

from slotwise.bookings import availability_queries as loaders
from slotwise.bookings import booking_rows
from slotwise.bookings.actor import Actor
from slotwise.bookings.events import BookingChanged, Previous
from slotwise.bookings.models import Booking, BookingEvent, BookingPage
from slotwise.catalog.models import Provider, Service
from slotwise.core import errors, events, sqlrows
from slotwise.core.models import Business
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
    found = booking_rows.locked(booking_id, business_id)
    if found is None:
        raise errors.not_found("Booking")
    return found


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


def hold_provider(provider: Provider) -> None:
    """Serialize bookings per provider, keeping the provider object the caller already holds.

    The lean twin of ``lock_provider`` for callers that read the provider (and its business)
    before the transaction: on PostgreSQL it locks the row and reads nothing back; on SQLite
    the IMMEDIATE transaction already holds the database's write lock since BEGIN (see
    ``write_transaction``), so a SELECT there would lock nothing and is left out.
    """
    if connection.vendor != "postgresql":
        return
    list(Provider.objects.select_for_update().filter(pk=provider.pk).values_list("pk", flat=True))


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
        ref = random_reference()
        if not Booking.objects.filter(reference=ref).exists():
            return ref


def random_reference() -> str:
    """A reference not yet checked: ``validate_service_provider`` checks it with its pairings
    (one statement less per web booking); the unique constraint stays the last word."""
    return "SW-" + "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(6))


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
    business: Business | None = None,
) -> None:
    """Check ``start`` against availability: page/business rules for customers, hours for staff.

    Run under the provider's lock, this is also the overlap check: the schedule holds every
    active booking of the provider around ``start`` (a day beyond, more than any buffer), and
    a slot is free only when its time and buffers overlap none of them — the very rule of
    ``ensure_no_overlap``, so a caller that ran this need not run that. ``business`` is the
    provider's, when the caller holds it (else read through the provider).
    """
    business = business or provider.business
    rules = (
        loaders.rules_for(service=service, business=business, page=page)
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
        provider=schedule, rules=rules, tz=business.tz, start=start, now=now
    ):
        raise errors.SlotUnavailable()


def validate_service_provider(
    *,
    business_id: int,
    service: Service,
    provider: Provider,
    page: BookingPage | None = None,
    free_between: tuple[datetime, datetime] | None = None,
    reference: str | None = None,
) -> bool:
    """The service and provider belong to the business, are active, and go together.

    In the same statement, where asked: nothing of the provider's blocks ``free_between``
    (the ``ensure_no_overlap`` shortcut taken before any lock; SlotUnavailable), and whether
    ``reference`` (a ``random_reference``) is still free: the return value.
    """
    if service.business_id != business_id or provider.business_id != business_id:
        raise errors.NotFound(_("Service or provider not found."))
    if not service.active:
        raise errors.InvalidInput(_("This service is not offered any more."), field="service")
    if not provider.active:
        raise errors.InvalidInput(_("This provider is not available."), field="provider")
    # The three pairings in one statement (this runs on every booking and reschedule).
    args: list[Any] = [provider.pk, service.pk]
    if page is not None:
        args += [page.pk, service.pk, page.pk, provider.pk]
    if free_between is not None:
        args += [provider.pk, *(str(s) for s in Booking.ACTIVE_STATUSES)]
        args += [sqlrows.instant(free_between[1]), sqlrows.instant(free_between[0])]
    if reference is not None:
        args.append(reference)
    sql, names = _pairings_sql(page is not None, free_between is not None, reference is not None)
    with connection.cursor() as cursor:
        cursor.execute(sql, args)
        row = cursor.fetchone()
    found = {name: bool(value) for name, value in zip(names, row, strict=True)}
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
    if found.get("clash"):
        raise errors.SlotUnavailable()
    return reference is not None and not found.get("reference_taken")


@functools.cache
def _pairings_sql(on_page: bool, clash: bool, reference: bool) -> tuple[str, tuple[str, ...]]:
    """The statement of ``validate_service_provider`` and the names of its answers, written by
    hand: it runs on every booking and reschedule, and the ORM took longer to build its four
    EXISTS than the database took to answer them."""

    def exists(table: str, where: str) -> str:
        # Table and column names come from the models; every value is a parameter.
        return f"EXISTS(SELECT 1 FROM {table} WHERE {where})"  # noqa: S608

    def linked(model: Any, name: str) -> str:
        table, own, other = sqlrows.link(model, name)
        return exists(table, f"{own} = %s AND {other} = %s")

    parts: list[tuple[str, str]] = [("offers", linked(Provider, "services"))]
    if on_page:
        parts.append(("service_on_page", linked(BookingPage, "services")))
        parts.append(("provider_on_page", linked(BookingPage, "providers")))
    bookings = Booking._meta.db_table
    if clash:
        statuses = sqlrows.placeholders(len(Booking.ACTIVE_STATUSES))
        where = f"provider_id = %s AND status IN ({statuses}) AND blocked_start < %s"
        parts.append(("clash", exists(bookings, where + " AND blocked_end > %s")))
    if reference:
        parts.append(("reference_taken", exists(bookings, "reference = %s")))
    sql = "SELECT " + ", ".join(query for _name, query in parts)
    return sql, tuple(name for name, _query in parts)


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
