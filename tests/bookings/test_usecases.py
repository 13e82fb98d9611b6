"""Placing a booking is one use case: customer, booking and idempotency key commit together."""

from __future__ import annotations

from datetime import timedelta

import pytest

from slotwise.bookings import actions, idempotency, usecases
from slotwise.bookings.actor import Actor
from slotwise.bookings.models import Booking, IdempotencyRecord
from slotwise.bookings.policy import SelfServicePolicy
from slotwise.catalog.models import Customer
from tests import factories

NEW = actions.CustomerDetails(name="Nia New", email="nia@example.com", phone="")
KEY = usecases.IdempotencyKey(key="k-0123456789abcdef", request_hash="h1")


def _rows() -> tuple[int, int, int]:
    return Customer.objects.count(), Booking.objects.count(), IdempotencyRecord.objects.count()


@pytest.fixture
def failing_completion(monkeypatch: pytest.MonkeyPatch) -> None:
    """The key's completion (the last change of the use case) fails."""

    def fail(**_kw: object) -> None:
        raise RuntimeError("completion failed")

    monkeypatch.setattr(idempotency, "idempotency_complete", fail)


def _staff(world, *, start, now, key=KEY):
    return usecases.staff_booking_place(
        business=world.business,
        actor=Actor.system("api"),
        service_id=world.service.pk,
        provider_id=world.alex.pk,
        customer_id=None,
        customer=NEW,
        start=start,
        policy=SelfServicePolicy.off(),
        now=now,
        idempotency_key=key,
    )


def _web(world, *, start, now, key=KEY):
    return usecases.web_booking_place(
        page=world.page,
        service_id=world.service.pk,
        provider_id=world.alex.pk,
        start=start,
        customer=NEW,
        now=now,
        idempotency_key=key,
    )


@pytest.mark.parametrize("place", [_staff, _web])
def test_a_failure_after_the_booking_leaves_no_customer_booking_or_claim(
    world, failing_completion, place
):
    start = factories.local(world.business, 2030, 6, 6, 10)
    before = _rows()
    with pytest.raises(RuntimeError):
        place(world, start=start, now=start - timedelta(days=5))
    assert _rows() == before


@pytest.mark.parametrize("place", [_staff, _web])
def test_a_retry_with_the_key_replays_the_booking(world, place):
    start = factories.local(world.business, 2030, 6, 6, 10)
    now = start - timedelta(days=5)
    first = place(world, start=start, now=now)
    again = place(world, start=start, now=now)
    assert not first.replayed and again.replayed
    assert again.booking.pk == first.booking.pk
    assert Customer.objects.filter(email="nia@example.com").count() == 1
    with pytest.raises(idempotency.IdempotencyConflict):
        place(world, start=start, now=now, key=usecases.IdempotencyKey(KEY.key, "other"))
