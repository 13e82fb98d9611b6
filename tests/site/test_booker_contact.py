"""A web booking with someone else's address: linked to that customer, but it neither reads nor
changes their stored record; what the booker typed is what the pages and emails show.

See docs/guide.md, "Customers and what a booker can change".
"""

from __future__ import annotations

import pytest
from django.test import Client

from slotwise.bookings.models import Booking
from slotwise.catalog.models import Customer
from slotwise.notifications.models import Message
from slotwise.notifications.render import build_email
from tests.conftest import World
from tests.site.conftest import NOW

pytestmark = pytest.mark.django_db

URL = "/book/acme/book/"
# Monday 3 June 2030, 09:00 in Berlin (CEST, UTC+2).
FIRST_SLOT = "2030-06-03T07:00Z"


def _book_as_someone_else(client: Client, world: World, **extra: str) -> Booking:
    """Book with the stored customer's address (in other letters) and other details."""
    data = {
        "service": world.service.pk,
        "provider": "any",
        "start": FIRST_SLOT,
        "tz": "Asia/Tokyo",
        "name": "Mallory Mask",
        "email": "CASEY@example.test",
        "phone": "+81 3 5555 0199",
        "notes": "",
        **extra,
    }
    response = client.post(URL, data)
    assert response.status_code == 302, response.text
    booking = Booking.objects.get()
    booking.token_location = response["Location"]  # type: ignore[attr-defined]
    return booking


@pytest.fixture
def stored(world: World) -> Customer:
    """The victim's record: a name, a zone and no phone (the old code filled an empty phone)."""
    world.customer.name = "Quentin Victim"
    world.customer.phone = ""
    world.customer.save()
    return world.customer


def test_the_stored_customer_is_linked_but_not_changed(client: Client, world: World, stored):
    booking = _book_as_someone_else(client, world)

    assert booking.customer_id == stored.pk
    assert Customer.objects.filter(business=world.business).count() == 1
    after = Customer.objects.get(pk=stored.pk)
    assert (after.name, after.email, after.phone, after.timezone) == (
        "Quentin Victim",
        "casey@example.test",
        "",
        "America/New_York",
    )
    # What the booker typed is kept on the booking itself.
    assert (booking.contact_name, booking.contact_phone, booking.contact_timezone) == (
        "Mallory Mask",
        "+81 3 5555 0199",
        "Asia/Tokyo",
    )


def test_the_confirmation_and_manage_page_show_what_was_typed(client: Client, world: World, stored):
    booking = _book_as_someone_else(client, world)
    page = client.get(booking.token_location)  # type: ignore[attr-defined]
    assert page.status_code == 200
    assert "Your booking is confirmed" in page.text
    assert "Mallory Mask" in page.text
    assert "Quentin" not in page.text
    # The times follow the zone the booker chose (09:00 in Berlin is 16:00 in Tokyo).
    assert "16:00" in page.text and "Asia/Tokyo" in page.text


def test_the_emails_greet_the_booker_and_staff_see_both(client: Client, world: World, stored):
    booking = _book_as_someone_else(client, world)

    to_customer = Message.objects.get(booking=booking, kind=Message.Kind.CONFIRMATION)
    msg = build_email(to_customer, now=NOW)
    assert msg.to == ["casey@example.test"]
    assert "Hello Mallory Mask," in msg.body
    assert "Quentin" not in msg.body
    assert "Asia/Tokyo" in msg.body  # the booker's zone, not the stored one
    assert "America/New_York" not in msg.body

    to_staff = Message.objects.filter(booking=booking, kind=Message.Kind.STAFF_CREATED).first()
    assert to_staff is not None
    staff = build_email(to_staff, now=NOW)
    assert "Mallory Mask" in staff.subject
    assert "Customer: Mallory Mask" in staff.body
    assert "Customer record: Quentin Victim" in staff.body
    assert "+81 3 5555 0199" in staff.body


def test_staff_see_what_was_typed_and_the_record(client: Client, world: World, stored):
    booking = _book_as_someone_else(client, world)
    staff = Client()
    staff.force_login(world.business.memberships.get().user)
    page = staff.get(f"/backoffice/bookings/{booking.reference}/")
    assert page.status_code == 200, page.status_code
    assert "Booked as" in page.text and "Mallory Mask" in page.text
    assert "Customer record" in page.text and "Quentin Victim" in page.text
    assert "Not changed by this booking." in page.text


def test_a_new_address_makes_a_customer_from_what_was_typed(client: Client, world: World):
    booking = _book_as_someone_else(client, world, email="dana@example.test", name="Dana")
    created = booking.customer
    assert created.pk != world.customer.pk
    assert (created.name, created.email, created.phone, created.timezone) == (
        "Dana",
        "dana@example.test",
        "+81 3 5555 0199",
        "Asia/Tokyo",
    )
    assert not booking.contact_differs


def test_a_returning_customer_who_types_the_same_sees_no_difference(
    client: Client, world: World, stored
):
    booking = _book_as_someone_else(
        client, world, name="Quentin Victim", phone="", tz="America/New_York"
    )
    assert not booking.contact_differs
    assert Customer.objects.get(pk=stored.pk).name == "Quentin Victim"


def test_the_confirmation_page_does_not_reveal_the_stored_spelling_of_the_address(
    client: Client, world: World, stored
):
    """The stored spelling would tell a stranger the address is already a customer's; the
    page names it as the public booking API answers it (lower case)."""
    stored.email = "Quentin.Victim@Example.TEST"
    stored.save()
    booking = _book_as_someone_else(client, world, email="quentin.victim@example.test")
    assert booking.customer_id == stored.pk
    page = client.get(booking.token_location)  # type: ignore[attr-defined]
    assert "Your booking is confirmed" in page.text
    assert "Quentin.Victim@Example.TEST" not in page.text
    assert "quentin.victim@example.test" in page.text
