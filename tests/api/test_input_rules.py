"""The API refuses what the forms refuse: one address, no control characters in names.

Every refusal is a 422 ``invalid_input`` in the usual error shape, and writes nothing.
"""

from __future__ import annotations

from typing import Any

import pytest

from slotwise.bookings.models import Booking
from slotwise.catalog.models import Customer, Provider
from tests.api.conftest import Api, assert_error
from tests.core.test_validators import BAD_EMAILS, BAD_LINES, BAD_TEXTS

pytestmark = pytest.mark.django_db

PAGE = "/api/v1/public/acme/pages/book"
MON_10 = "2030-06-03T10:00:00+02:00"


def _web(world: Any, **customer: str) -> dict[str, Any]:
    return {
        "service_id": world.service.pk,
        "start": MON_10,
        "customer": {"name": "Dana", "email": "dana@example.test", **customer},
    }


def _nothing_written(world: Any) -> None:
    assert not Booking.objects.exists()
    assert Customer.objects.filter(business=world.business).count() == 1


@pytest.mark.parametrize("value", BAD_EMAILS)
def test_public_booking_refuses_bad_addresses(anon: Api, world: Any, value: str) -> None:
    body = assert_error(
        anon.post(f"{PAGE}/bookings", _web(world, email=value)), 422, "invalid_input"
    )
    assert body["details"]["errors"][0]["loc"][-1] == "email"
    _nothing_written(world)


@pytest.mark.parametrize("field", ["name", "phone", "timezone"])
@pytest.mark.parametrize("value", BAD_LINES)
def test_public_booking_refuses_control_characters(
    anon: Api, world: Any, field: str, value: str
) -> None:
    body = assert_error(
        anon.post(f"{PAGE}/bookings", _web(world, **{field: value})), 422, "invalid_input"
    )
    assert body["details"]["errors"][0]["loc"][-1] == field
    _nothing_written(world)


@pytest.mark.parametrize("value", BAD_TEXTS)
def test_public_booking_refuses_control_characters_in_notes(
    anon: Api, world: Any, value: str
) -> None:
    response = anon.post(f"{PAGE}/bookings", {**_web(world), "notes": value})
    assert_error(response, 422, "invalid_input")
    _nothing_written(world)


def test_public_booking_keeps_line_breaks_in_notes(anon: Api, world: Any) -> None:
    response = anon.post(f"{PAGE}/bookings", {**_web(world), "notes": "first\r\nsecond"})
    assert response.status_code == 201, response.content
    assert Booking.objects.get().notes == "first\nsecond"


@pytest.mark.parametrize("value", BAD_EMAILS)
def test_staff_api_refuses_bad_addresses(api: Api, world: Any, value: str) -> None:
    assert_error(api.post("customers", {"name": "Dana", "email": value}), 422, "invalid_input")
    assert_error(
        api.patch(f"customers/{world.customer.pk}", {"email": value}), 422, "invalid_input"
    )
    booking = {
        "customer": {"name": "Dana", "email": value},
        "service_id": world.service.pk,
        "provider_id": world.alex.pk,
        "start": MON_10,
    }
    assert_error(api.post("bookings", booking), 422, "invalid_input")
    assert_error(api.patch(f"providers/{world.alex.pk}", {"email": value}), 422, "invalid_input")
    _nothing_written(world)
    assert Customer.objects.get(pk=world.customer.pk).email == "casey@example.test"
    assert Provider.objects.get(pk=world.alex.pk).email == "alex@acme.test"


@pytest.mark.parametrize("value", BAD_LINES)
def test_staff_api_refuses_control_characters_in_names(api: Api, world: Any, value: str) -> None:
    assert_error(
        api.post("customers", {"name": value, "email": "d@example.test"}), 422, "invalid_input"
    )
    assert_error(api.patch(f"customers/{world.customer.pk}", {"name": value}), 422, "invalid_input")
    booking = {
        "customer": {"name": value, "email": "d@example.test"},
        "service_id": world.service.pk,
        "provider_id": world.alex.pk,
        "start": MON_10,
    }
    assert_error(api.post("bookings", booking), 422, "invalid_input")
    _nothing_written(world)
    assert Customer.objects.get(pk=world.customer.pk).name == "Casey"


def test_staff_api_keeps_ordinary_addresses(api: Api, world: Any) -> None:
    created = api.post("customers", {"name": "Dana", "email": " Dana.Doe+x@Example.test "})
    assert created.status_code == 201, created.content
    assert created.json()["email"] == "dana.doe+x@example.test"
    # A provider may have no address at all.
    assert api.patch(f"providers/{world.alex.pk}", {"email": ""}).status_code == 200


def test_public_booking_refuses_a_bidirectional_override_in_the_name(anon: Api, world: Any) -> None:
    """ "Mallory\u202eevil" would show as "Mallorylive" to staff. Accepted before."""
    response = anon.post(f"{PAGE}/bookings", _web(world, name="Mallory\u202eevil"))
    body = assert_error(response, 422, "invalid_input")
    assert body["details"]["errors"][0]["loc"][-1] == "name"
    _nothing_written(world)
