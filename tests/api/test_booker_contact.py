"""A public-API booking with someone else's address links to that customer but neither reads
nor changes their stored record; the answer and the manage endpoint show what was typed.

See docs/api.md ("Who a web booking is for").
"""

from __future__ import annotations

from typing import Any

import pytest

from slotwise.bookings.models import Booking
from slotwise.catalog.models import Customer
from tests.api.conftest import Api
from tests.api.test_public import token_of, web_book

pytestmark = pytest.mark.django_db


@pytest.fixture
def victim(world: Any) -> Customer:
    world.customer.name = "Quentin Victim"
    world.customer.phone = ""
    world.customer.save()
    return world.customer


def _book_as_someone_else(anon: Api, world: Any) -> dict[str, Any]:
    return web_book(
        anon,
        world,
        customer={
            "name": "Mallory Mask",
            "email": " Casey@Example.TEST ",
            "phone": "+81 3 5555 0199",
            "timezone": "Asia/Tokyo",
        },
    )


def test_the_answer_shows_what_was_typed_and_the_record_is_untouched(
    anon: Api, world: Any, victim: Customer
) -> None:
    created = _book_as_someone_else(anon, world)

    assert created["booking"]["customer_name"] == "Mallory Mask"
    assert "Quentin" not in str(created)
    stored = Customer.objects.get(pk=victim.pk)
    assert (stored.name, stored.phone, stored.timezone) == (
        "Quentin Victim",
        "",
        "America/New_York",
    )
    booking = Booking.objects.get(reference=created["booking"]["reference"])
    assert booking.customer_id == victim.pk
    assert booking.contact.name == "Mallory Mask"
    assert booking.contact.timezone == "Asia/Tokyo"

    manage = anon.get(f"/api/v1/manage/{token_of(created)}").json()
    assert manage["booking"]["customer_name"] == "Mallory Mask"
    assert "Quentin" not in str(manage)


def test_staff_api_still_books_for_the_customer_record(api: Api, world: Any, victim) -> None:
    # Staff-made bookings use the record, as before; typed details do not change it either.
    response = api.post(
        "bookings",
        {
            "customer": {"name": "Someone Else", "email": "casey@example.test"},
            "service_id": world.service.pk,
            "provider_id": world.alex.pk,
            "start": "2030-06-03T10:00:00+02:00",
        },
    )
    assert response.status_code == 201, response.content
    booking = Booking.objects.get(reference=response.json()["reference"])
    assert booking.customer_id == victim.pk
    assert booking.contact.name == "Quentin Victim"
    assert booking.contact_name == "Quentin Victim"
    assert Customer.objects.get(pk=victim.pk).name == "Quentin Victim"


def test_the_bookers_changes_are_recorded_under_the_name_they_gave(
    anon: Api, world: Any, victim: Customer
) -> None:
    created = _book_as_someone_else(anon, world)
    response = anon.post(f"/api/v1/manage/{token_of(created)}/cancel", {"reason": "x"})
    assert response.status_code == 200, response.content
    booking = Booking.objects.get(reference=created["booking"]["reference"])
    labels = list(booking.events.values_list("kind", "actor_label"))
    assert labels == [("created", "Mallory Mask"), ("cancelled", "Mallory Mask")]


def test_staff_api_and_webhooks_show_the_contact_next_to_the_customer(
    api: Api, anon: Api, world: Any, victim: Customer
) -> None:
    # docs/api.md ("customer and contact in a booking"): staff see both, webhooks carry both.
    from slotwise.notifications.webhooks import booking_payload

    created = _book_as_someone_else(anon, world)
    reference = created["booking"]["reference"]
    typed = {
        "name": "Mallory Mask",
        "email": "casey@example.test",
        "phone": "+81 3 5555 0199",
        "timezone": "Asia/Tokyo",
    }

    shown = api.get(f"bookings/{reference}").json()
    assert shown["customer"]["name"] == "Quentin Victim"
    assert shown["contact"] == typed
    listed = api.get("bookings").json()["items"]
    assert next(b for b in listed if b["reference"] == reference)["contact"] == typed

    payload = booking_payload(Booking.objects.get(reference=reference))
    assert payload["customer"]["name"] == "Quentin Victim"
    assert payload["contact"] == typed


def test_a_staff_bookings_contact_is_the_customer_record(api: Api, world: Any, victim) -> None:
    response = api.post(
        "bookings",
        {
            "customer_id": victim.pk,
            "service_id": world.service.pk,
            "provider_id": world.alex.pk,
            "start": "2030-06-03T10:00:00+02:00",
        },
    )
    assert response.status_code == 201, response.content
    assert response.json()["contact"] == {
        "name": "Quentin Victim",
        "email": victim.email,
        "phone": "",
        "timezone": victim.timezone,
    }


def test_the_answer_does_not_reveal_the_stored_spelling_of_the_address(
    anon: Api, world: Any, victim: Customer
) -> None:
    """A booker typing an existing customer's address in another case learnt the stored
    spelling, which told them the address is a customer of the business."""
    Customer.objects.filter(pk=victim.pk).update(email="Quentin.Victim@Example.TEST")
    known = web_book(anon, world, customer={"name": "M", "email": "QUENTIN.VICTIM@EXAMPLE.TEST"})
    new = web_book(
        anon,
        world,
        start="2030-06-03T11:00:00+02:00",
        customer={"name": "N", "email": "NEW.PERSON@EXAMPLE.TEST"},
    )
    assert known["booking"]["customer_email"] == "quentin.victim@example.test"
    assert new["booking"]["customer_email"] == "new.person@example.test"
    manage = anon.get(f"/api/v1/manage/{token_of(known)}").json()
    assert "Quentin.Victim" not in str(manage)
    assert Booking.objects.get(reference=known["booking"]["reference"]).customer_id == victim.pk
