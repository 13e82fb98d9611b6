"""A retried web booking is the same booking: ``Idempotency-Key`` on the public booking API."""

from __future__ import annotations

from typing import Any

import pytest

from slotwise.api.models import IdempotencyRecord
from slotwise.bookings.models import Booking, BookingToken
from slotwise.notifications.models import Message
from tests.api.conftest import Api, assert_error
from tests.api.test_public import MON_10, MON_12, PAGE, token_of

pytestmark = pytest.mark.django_db

KEY = "9f0c2b7e-4d1a-4c3b-8e55-0a1b2c3d4e5f"


def body(world: Any, start: str = MON_10, **extra: Any) -> dict[str, Any]:
    return {
        "service_id": world.service.pk,
        "provider_id": world.alex.pk,
        "start": start,
        "customer": {"name": "Casey", "email": "casey@example.test"},
        **extra,
    }


def post(anon: Api, data: dict[str, Any], key: str | None = KEY) -> Any:
    headers = {"Idempotency-Key": key} if key is not None else {}
    return anon.post(f"{PAGE}/bookings", data, headers=headers)


def test_a_retry_after_a_lost_answer_gets_the_same_booking(anon: Api, world: Any) -> None:
    first = post(anon, body(world))
    assert first.status_code == 201, first.content
    # The connection dropped after the commit: the phone retries with the same key and body.
    again = post(anon, body(world))
    assert again.status_code == 201, again.content
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["booking"] == first.json()["booking"]
    assert Booking.objects.count() == 1
    assert Message.objects.filter(kind=Message.Kind.CONFIRMATION).count() == 1
    # Both manage links open the same booking (the first one is not revoked).
    for created in (first.json(), again.json()):
        manage = anon.get(f"/api/v1/manage/{token_of(created)}")
        assert manage.status_code == 200
        assert manage.json()["booking"]["reference"] == first.json()["booking"]["reference"]
    assert BookingToken.objects.filter(purpose="manage").count() == 2


def test_without_a_key_the_retry_is_refused_as_taken(anon: Api, world: Any) -> None:
    assert post(anon, body(world), key=None).status_code == 201
    assert_error(post(anon, body(world), key=None), 409, "slot_unavailable")


def test_same_key_with_another_body_is_a_conflict(anon: Api, world: Any) -> None:
    assert post(anon, body(world)).status_code == 201
    assert_error(post(anon, body(world, start=MON_12)), 409, "idempotency_conflict")
    assert Booking.objects.count() == 1


def test_a_refused_request_releases_its_key(anon: Api, world: Any) -> None:
    taken = post(anon, body(world), key="another-key-0123456789")
    assert taken.status_code == 201
    assert_error(post(anon, body(world)), 409, "slot_unavailable")
    assert not IdempotencyRecord.objects.filter(booking__isnull=True).exists()
    Booking.objects.all().update(status=Booking.Status.CANCELLED)
    assert post(anon, body(world)).status_code == 201


@pytest.mark.parametrize("key", ["short", " " * 20, "x" * 201])
def test_a_weak_key_is_refused(anon: Api, world: Any, key: str) -> None:
    response = post(anon, body(world), key=key)
    assert response.status_code == 422
    assert Booking.objects.count() == 0


def test_public_keys_never_meet_staff_api_keys(anon: Api, api: Api, world: Any) -> None:
    assert post(anon, body(world)).status_code == 201
    staff = api.post(
        "bookings",
        {
            "customer_id": world.customer.pk,
            "service_id": world.service.pk,
            "provider_id": world.blake.pk,
            "start": MON_12,
        },
        headers={"Idempotency-Key": KEY},
    )
    assert staff.status_code == 201, staff.content
    assert Booking.objects.count() == 2
