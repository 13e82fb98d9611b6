"""Reschedule in place: same booking, reference and links; the history keeps both times."""

from __future__ import annotations

from datetime import datetime

from django.utils.translation import gettext as _

from slotwise.bookings import policy
from slotwise.bookings.actions import _common
from slotwise.bookings.actor import Actor
from slotwise.bookings.models import Booking, BookingEvent
from slotwise.catalog.models import Provider
from slotwise.core import errors


def booking_reschedule(
    *,
    booking_id: int,
    actor: Actor,
    new_start: datetime,
    now: datetime,
    new_provider: Provider | None = None,
    notify_customer: bool = True,
    override_availability: bool = False,
    expected_version: int | None = None,
    business_id: int | None = None,
) -> Booking:
    """Move the booking to ``new_start`` (and optionally another provider of the service).

    Customers: the booking's policy must allow it now, and the new slot must be one the booking
    page (or, for custom bookings, the business) would offer; another provider only where the
    page allows "any provider". Staff: any free time within working hours, or any free time at
    all with ``override_availability``. Never over another booking.
    """
    with _common.write_transaction():
        return booking_reschedule_in_transaction(
            booking_id=booking_id,
            actor=actor,
            new_start=new_start,
            now=now,
            new_provider=new_provider,
            notify_customer=notify_customer,
            override_availability=override_availability,
            expected_version=expected_version,
            business_id=business_id,
        )


def booking_reschedule_in_transaction(
    *,
    booking_id: int,
    actor: Actor,
    new_start: datetime,
    now: datetime,
    new_provider: Provider | None = None,
    notify_customer: bool = True,
    override_availability: bool = False,
    expected_version: int | None = None,
    business_id: int | None = None,
) -> Booking:
    """``booking_reschedule`` in the caller's transaction (see ``write_transaction``)."""
    _common.require_transaction()
    new_start = _common.require_aware(new_start, "start")
    booking = _common.lock_booking(booking_id, business_id=business_id)
    _common.check_version(booking, expected_version)
    page = booking.booking_page
    if actor.is_customer:
        refusal = policy.customer_refusal(policy.Action.RESCHEDULE, policy.facts_of(booking), now)
        if refusal is not None:
            raise refusal
        notify_customer = True
        override_availability = False
        # Re-checked here for every face: the customer keeps their provider unless the page
        # lets them choose another ("any provider"); no provider given keeps the booking's.
        policy.reschedule_provider_scope(
            booking_provider_id=booking.provider_id,
            booked_any_provider=booking.booked_any_provider,
            page_any_provider=page is not None and page.any_provider,
            chosen_provider_id=new_provider.pk if new_provider is not None else None,
        )
    elif (refusal := policy.staff_reschedule_refusal(status=booking.status)) is not None:
        raise refusal
    if new_start < now:
        raise errors.InvalidInput(_("The new time is in the past."), field="start")
    provider = new_provider or booking.provider
    _common.validate_service_provider(
        business_id=booking.business_id,
        service=booking.service,
        provider=provider,
        page=page if actor.is_customer and provider.pk != booking.provider_id else None,
    )
    if new_start == booking.start and provider.pk == booking.provider_id:
        raise errors.InvalidInput(_("The booking is already at this time."), field="start")
    # The booking's own provider came with the locked booking; another was read by the face.
    _common.hold_provider(provider)
    end, blocked_start, blocked_end = _common.blocked_range(new_start, booking.service)
    if override_availability:
        _common.ensure_no_overlap(
            provider=provider,
            blocked_start=blocked_start,
            blocked_end=blocked_end,
            exclude_booking_id=booking.pk,
        )
    else:
        # Under the provider's lock, this refuses an overlap too (see ensure_bookable).
        _common.ensure_bookable(
            provider=provider,
            service=booking.service,
            start=new_start,
            now=now,
            page=page,
            customer_rules=actor.is_customer,
            exclude_booking_id=booking.pk,
            business=booking.business,
        )
    old = _common.snapshot(booking)
    before = _common.previous(booking)
    booking.start, booking.end = new_start, end
    booking.blocked_start, booking.blocked_end = blocked_start, blocked_end
    booking.provider = provider
    booking.version += 1
    if actor.is_customer:
        booking.reschedule_count += 1
    booking.save(
        update_fields=[
            "start",
            "end",
            "blocked_start",
            "blocked_end",
            "provider",
            "version",
            "reschedule_count",
            "updated_at",
        ]
    )
    _common.record(
        booking,
        kind=BookingEvent.Kind.RESCHEDULED,
        actor=actor,
        now=now,
        old=old,
        new=_common.snapshot(booking),
        previous=before,
        notify_customer=notify_customer,
    )
    return booking
