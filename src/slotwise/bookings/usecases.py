"""Use cases that make several changes at once: placing a booking from outside.

A booking request (the booking page's form, the public API, the staff API) may carry an
Idempotency-Key and may name a customer who does not exist yet. Each face calls one function
here, which:

1. claims the key in its own short transaction (``idempotency.idempotency_claim``), so a
   concurrent request with the same key sees the committed claim and is told the first one is
   still in progress (the booking page then waits for it); a retry of a finished request gets
   the booking it made (a replay);
2. in one ``actions.write_transaction()``: finds or makes the customer, creates the booking
   and marks the key done with it. They commit together or not at all, so a refused booking
   leaves no customer and no half-done key behind;
3. when the booking was refused, forgets the claim (it never got a booking), so the client
   may retry at once.

Faces only parse their input, call these and turn a ``DomainError`` into their answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.utils.translation import gettext as _

from slotwise.bookings import actions, idempotency, selectors
from slotwise.bookings.actor import Actor
from slotwise.bookings.models import Booking, BookingPage, BookingToken, IdempotencyRecord
from slotwise.bookings.policy import SelfServicePolicy
from slotwise.catalog.models import Customer, Provider, Service
from slotwise.catalog.services import customer_get_or_create
from slotwise.core import errors
from slotwise.core.models import Business
from slotwise.core.records import record_get


@dataclass(frozen=True, slots=True)
class IdempotencyKey:
    """A request's Idempotency-Key as stored (already scoped by the face) and its body's hash."""

    key: str
    request_hash: str


@dataclass(frozen=True, slots=True)
class Placed:
    """A placed booking; ``replayed`` when an earlier request with the same key made it.

    ``token`` is the manage-link token of a web booking (a fresh one on a replay: the first
    exists only as a hash); empty for staff bookings.
    """

    booking: Booking
    token: str = ""
    replayed: bool = False


def web_booking_place(
    *,
    page: BookingPage,
    service_id: int,
    provider_id: int | None,
    start: datetime,
    customer: actions.CustomerDetails,
    now: datetime,
    notes: str = "",
    idempotency_key: IdempotencyKey | None = None,
    service: Service | None = None,
) -> Placed:
    """A customer books on ``page`` (``provider_id=None``: any provider, where allowed).

    ``service``, when given, is the page's active service ``service_id`` as
    ``selectors.public_page_service`` found it with the page (not read again).

    Raises ``IdempotencyConflict`` / ``IdempotencyInProgress`` for a key used with another
    request / still being used, and the booking's own refusals, which change nothing.
    """
    record, earlier = _claim(page.business, idempotency_key, now)
    if earlier is not None:
        # The first token exists only as a hash, so it cannot be sent again. The retry proves
        # itself as the first request did (same key, same body); the first link keeps working.
        token = actions.token_issue(booking=earlier, purpose=BookingToken.Purpose.MANAGE, now=now)
        return Placed(booking=earlier, token=token, replayed=True)
    try:
        if service is None or service.pk != service_id:
            service = selectors.page_service(page=page, service_id=service_id)
        if service is None:
            raise errors.NotFound(_("This service is not offered on this page."))
        provider = None
        if provider_id is not None:
            provider = selectors.page_provider(page=page, provider_id=provider_id)
            if provider is None:
                raise errors.NotFound(_("This provider is not offered on this page."))
        # Checked before the transaction, so no lock is held meanwhile (see booking_create_web).
        checked = actions.booking_web_checked(
            page=page,
            service=service,
            provider=provider,
            start=start,
            customer=customer,
            notes=notes,
        )
        with actions.write_transaction():
            # The customer is found or made by the action, in this same transaction.
            booking, token = actions.booking_create_web_checked_in_transaction(checked, now=now)
            if record is not None:
                idempotency.idempotency_complete(record=record, booking=booking)
    except Exception:
        _release(record)
        raise
    return Placed(booking=booking, token=token)


def staff_booking_place(
    *,
    business: Business,
    actor: Actor,
    service_id: int,
    provider_id: int,
    customer_id: int | None,
    customer: actions.CustomerDetails | None,
    start: datetime,
    policy: SelfServicePolicy,
    now: datetime,
    price: Decimal | None = None,
    notes: str = "",
    override_availability: bool = False,
    notify_customer: bool = True,
    idempotency_key: IdempotencyKey | None = None,
) -> Placed:
    """Staff (the API) book for an existing customer (``customer_id``) or for one found by
    email or made from ``customer``; exactly one of the two is given.

    The customer made here commits with the booking or not at all.
    """
    record, earlier = _claim(business, idempotency_key, now)
    if earlier is not None:
        return Placed(booking=earlier, replayed=True)
    try:
        service = record_get(Service, business=business, pk=service_id, label="Service")
        provider = record_get(Provider, business=business, pk=provider_id, label="Provider")
        if (customer_id is None) == (customer is None):
            raise errors.InvalidInput(_("Give either customer_id or customer."), field="customer")
        existing = (
            None
            if customer_id is None
            else record_get(Customer, business=business, pk=customer_id, label="Customer")
        )
        with actions.write_transaction():
            if existing is None:
                assert customer is not None
                existing, _created = customer_get_or_create(
                    business=business,
                    name=customer.name,
                    email=customer.email,
                    phone=customer.phone,
                    language=customer.language,
                )
            booking = actions.booking_create_custom_in_transaction(
                business=business,
                actor=actor,
                customer=existing,
                service=service,
                provider=provider,
                start=start,
                policy=policy,
                now=now,
                price=price,
                notes=notes,
                override_availability=override_availability,
                notify_customer=notify_customer,
            )
            if record is not None:
                idempotency.idempotency_complete(record=record, booking=booking)
    except Exception:
        _release(record)
        raise
    return Placed(booking=booking)


def _claim(
    business: Business, key: IdempotencyKey | None, now: datetime
) -> tuple[IdempotencyRecord | None, Booking | None]:
    """Claim ``key`` in its own committed transaction (see the module's docstring)."""
    if key is None:
        return None, None
    return idempotency.idempotency_claim(
        business=business, key=key.key, request_hash=key.request_hash, now=now
    )


def _release(record: IdempotencyRecord | None) -> None:
    # The booking transaction rolled back, so the claim never got a booking: forget it so a
    # retry may run now rather than after the claim's timeout.
    if record is not None:
        idempotency.idempotency_release(record=record)
