"""A booking with its business, service, provider, customer and page in one hand-written
statement (the manage link and the booking's lock), read exactly as the ORM reads them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from slotwise.bookings import booking_rows
from slotwise.bookings.models import Booking, BookingToken
from slotwise.bookings.tokens import hash_token, token_issue, token_verify
from tests import factories
from tests.conftest import World

pytestmark = pytest.mark.django_db

NOW = datetime(2030, 5, 27, 8, 0, tzinfo=UTC)


def _fields(instance: object) -> dict[str, object]:
    return {
        f.attname: getattr(instance, f.attname)
        for f in type(instance)._meta.concrete_fields  # type: ignore[attr-defined]
    }


def _booking(world: World, **extra: object) -> Booking:
    return factories.custom_booking(
        world.business,
        service=world.service,
        provider=world.alex,
        customer=world.customer,
        start=datetime(2030, 6, 3, 8, 0, tzinfo=UTC),
        now=NOW,
        **extra,
    )


def _same_as_the_orm(found: Booking) -> None:
    orm = Booking.objects.select_related(
        "business", "service", "provider", "customer", "booking_page"
    ).get(pk=found.pk)
    assert _fields(found) == _fields(orm)
    for name in ("business", "service", "provider", "customer"):
        assert _fields(getattr(found, name)) == _fields(getattr(orm, name))
    if orm.booking_page is None:
        assert found.booking_page is None
    else:
        assert _fields(found.booking_page) == _fields(orm.booking_page)


def test_a_manage_link_reads_the_booking_and_its_objects_in_one_statement(world: World) -> None:
    booking = _booking(world)
    raw = token_issue(booking=booking, purpose=BookingToken.Purpose.MANAGE, now=NOW)
    with CaptureQueriesContext(connection) as queries:
        found = token_verify(raw=raw, purpose=BookingToken.Purpose.MANAGE, now=NOW)
        assert found is not None
        assert found.business.slug == "acme" and found.provider.name == "Alex"
        assert found.customer.pk == world.customer.pk and found.service.pk == world.service.pk
    assert len(queries) == 1
    _same_as_the_orm(found)
    # Another purpose, an unknown hash: nothing.
    assert token_verify(raw=raw, purpose=BookingToken.Purpose.RATE, now=NOW) is None
    assert booking_rows.by_token(hash_token("not-a-token"), BookingToken.Purpose.MANAGE) is None


def test_a_page_booking_brings_its_page(world: World) -> None:
    booking = _booking(world)
    Booking.objects.filter(pk=booking.pk).update(booking_page=world.page)
    found = booking_rows.locked(booking.pk)
    assert found is not None and found.booking_page is not None
    assert found.booking_page.slug == world.page.slug
    _same_as_the_orm(found)


def test_the_lock_is_scoped_to_the_business(world: World, other_world: World) -> None:
    booking = _booking(world)
    assert booking_rows.locked(booking.pk, world.business.pk) is not None
    assert booking_rows.locked(booking.pk, other_world.business.pk) is None
    assert booking_rows.locked(10**9) is None


def test_the_lock_locks_only_the_bookings_row_on_postgresql(world: World) -> None:
    booking = _booking(world)
    with CaptureQueriesContext(connection) as queries:
        booking_rows.locked(booking.pk)
    sql = queries[0]["sql"]
    if connection.vendor == "postgresql":
        assert sql.endswith("FOR UPDATE OF bk")
    else:
        assert "FOR UPDATE" not in sql  # SQLite: the IMMEDIATE transaction holds the lock
