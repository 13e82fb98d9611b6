"""Who a booking belongs to: one rule (catalog.services.customer_get_or_create) for every face.

A matching customer is linked and never changed; only a new customer is made from what was
typed. The web booking action keeps what the booker typed on the booking instead.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from slotwise.bookings import actions
from slotwise.catalog.models import Customer
from slotwise.catalog.services import customer_get_or_create
from tests.conftest import World

pytestmark = pytest.mark.django_db

NOW = datetime(2030, 5, 27, 8, 0, tzinfo=UTC)
MONDAY_10_BERLIN = datetime(2030, 6, 3, 8, 0, tzinfo=UTC)


def _record(customer: Customer) -> tuple[str, str, str, str]:
    fresh = Customer.objects.get(pk=customer.pk)
    return (fresh.name, fresh.email, fresh.phone, fresh.timezone)


def test_a_matching_customer_is_returned_exactly_as_stored(world: World) -> None:
    before = _record(world.customer)
    found, created = customer_get_or_create(
        business=world.business,
        name="Mallory",
        email="  CASEY@example.TEST ",
        phone="+1 555 0199",
        timezone="Asia/Tokyo",
    )
    assert (found.pk, created) == (world.customer.pk, False)
    assert _record(world.customer) == before


def test_another_business_customer_is_never_matched(world: World, other_world: World) -> None:
    found, created = customer_get_or_create(
        business=other_world.business, name="Casey Two", email="casey@example.test"
    )
    # Both businesses have a Casey with this address: each booking finds its own.
    assert (found.pk, created) == (other_world.customer.pk, False)
    assert found.pk != world.customer.pk


def test_a_web_booking_links_the_customer_and_keeps_the_typed_details(world: World) -> None:
    before = _record(world.customer)
    booking, _token = actions.booking_create_web(
        page=world.page,
        service=world.service,
        provider=world.alex,
        start=MONDAY_10_BERLIN,
        customer=actions.CustomerDetails(
            name="Mallory", email="Casey@Example.test", phone="+1 555 0199", timezone="Asia/Tokyo"
        ),
        now=NOW,
    )
    assert booking.customer_id == world.customer.pk
    assert _record(world.customer) == before  # the old rule overwrote the zone and the phone
    contact = booking.contact
    assert (contact.name, contact.email, contact.phone, contact.timezone) == (
        "Mallory",
        "casey@example.test",
        "+1 555 0199",
        "Asia/Tokyo",
    )
    assert booking.contact_differs
    # The history names the booker as they called themselves, not the stored record.
    assert booking.events.get().actor_label == "Mallory"


def test_a_booking_without_its_own_contact_shows_the_record(world: World) -> None:
    """Bookings made before contact_* existed fall back to the customer record (no backfill)."""
    booking, _token = actions.booking_create_web(
        page=world.page,
        service=world.service,
        provider=world.alex,
        start=MONDAY_10_BERLIN,
        customer=actions.CustomerDetails(name="Mallory", email="casey@example.test"),
        now=NOW,
    )
    type(booking).objects.filter(pk=booking.pk).update(
        contact_name="", contact_phone="", contact_timezone=""
    )
    booking.refresh_from_db()
    assert booking.contact.name == "Casey"
    assert booking.contact.timezone == "America/New_York"
    assert not booking.contact_differs
