"""Clone a cancelled booking into a new custom booking at a new time."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from slotwise.bookings.actions.create import booking_create_custom
from slotwise.bookings.actor import Actor
from slotwise.bookings.models import Booking
from slotwise.bookings.policy import SelfServicePolicy
from slotwise.catalog.models import Provider
from slotwise.core import errors


def clone_prefill(booking: Booking) -> dict[str, Any]:
    """What the booking wizard starts from when staff clone ``booking``."""
    ensure_cloneable(booking)
    return {
        "customer_id": booking.customer_id,
        "service_id": booking.service_id,
        "provider_id": booking.provider_id,
        "notes": booking.notes,
        "price": booking.price,
        "cloned_from": booking.reference,
    }


def ensure_cloneable(booking: Booking) -> None:
    if booking.status != Booking.Status.CANCELLED:
        raise errors.InvalidState(
            _("Only a cancelled booking can be cloned."), status=booking.status
        )


def booking_clone(
    *,
    booking_id: int,
    business_id: int,
    actor: Actor,
    start: datetime,
    policy: SelfServicePolicy,
    now: datetime,
    provider: Provider | None = None,
    price: Decimal | None = None,
    notes: str | None = None,
    override_availability: bool = False,
    notify_customer: bool = True,
) -> Booking:
    """A new custom booking with the cancelled one's customer, service, provider, notes and price.

    The time and the self-service policy are chosen afresh; the new booking links back to the
    original through ``cloned_from``.
    """
    try:
        source = Booking.objects.select_related("business", "customer", "service", "provider").get(
            pk=booking_id, business_id=business_id
        )
    except Booking.DoesNotExist:
        raise errors.not_found("Booking") from None
    ensure_cloneable(source)
    return booking_create_custom(
        business=source.business,
        actor=actor,
        customer=source.customer,
        service=source.service,
        provider=provider or source.provider,
        start=start,
        policy=policy,
        now=now,
        price=source.price if price is None else price,
        notes=source.notes if notes is None else notes,
        override_availability=override_availability,
        notify_customer=notify_customer,
        cloned_from=source,
    )
