"""Many people grab the same slot at the same moment: exactly one wins, on either database.

The threads use separate database connections and start together at a barrier. On SQLite the
IMMEDIATE write transaction plus the overlap check is what prevents the race; on PostgreSQL the
exclusion constraint is, even with every application-level check switched off.
"""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction

from slotwise.bookings import actions
from slotwise.bookings.actions import _common
from slotwise.bookings.actor import Actor
from slotwise.bookings.models import Booking, BookingEvent
from slotwise.bookings.policy import SelfServicePolicy
from slotwise.notifications.models import Message
from tests import factories
from tests.conftest import build_world

THREADS = 16
pytestmark = pytest.mark.django_db(transaction=True)


def race(fn, n: int = THREADS) -> Counter[str]:
    """Run ``fn(i)`` in ``n`` threads released together; count 'ok' and error codes."""
    barrier = threading.Barrier(n)
    results: list[str] = []
    lock = threading.Lock()

    def run(i: int) -> None:
        try:
            barrier.wait()
            fn(i)
            outcome = "ok"
        except Exception as exc:  # every outcome is counted, unexpected ones by type
            outcome = getattr(exc, "code", type(exc).__name__)
        finally:
            connection.close()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert len(results) == n, "a thread did not finish"
    return Counter(results)


def setup_customers(world, n):
    return [
        factories.make_customer(world.business, f"C{i}", f"c{i}@example.test") for i in range(n)
    ]


def test_sixteen_creates_into_one_slot(db):
    world = build_world()
    customers = setup_customers(world, THREADS)
    start = factories.local(world.business, 2030, 6, 4, 10)
    now = start - timedelta(days=3)

    def create(i):
        actions.booking_create_custom(
            business=world.business,
            actor=Actor.system(),
            customer=customers[i],
            service=world.service,
            provider=world.alex,
            start=start + timedelta(minutes=i % 3 * 5),
            policy=SelfServicePolicy.off(),
            now=now,
        )

    outcome = race(create)
    assert outcome == Counter({"ok": 1, "slot_unavailable": THREADS - 1})
    assert Booking.objects.count() == 1
    assert BookingEvent.objects.count() == 1
    winner = Booking.objects.get()
    # Only the winner's messages exist: confirmation, provider alert, reminder.
    assert set(Message.objects.values_list("booking_id", flat=True)) == {winner.pk}
    assert Message.objects.count() == 3


def test_sixteen_reschedules_into_one_slot(db):
    world = build_world()
    customers = setup_customers(world, THREADS)
    target = factories.local(world.business, 2030, 6, 5, 10)
    now = target - timedelta(days=4)
    bookings = [
        actions.booking_create_custom(
            business=world.business,
            actor=Actor.system(),
            customer=customers[i],
            service=world.service,
            provider=world.alex,
            start=factories.local(world.business, 2030, 6, 10 + i // 5, 9)
            + timedelta(hours=i % 5 * 1.5),
            policy=SelfServicePolicy(allow_reschedule=True),
            now=now,
        )
        for i in range(THREADS)
    ]
    messages_before = Message.objects.count()

    def move(i):
        actions.booking_reschedule(
            booking_id=bookings[i].pk, actor=Actor.customer(), new_start=target, now=now
        )

    outcome = race(move)
    assert outcome == Counter({"ok": 1, "slot_unavailable": THREADS - 1})
    assert Booking.objects.filter(start=target).count() == 1
    assert BookingEvent.objects.filter(kind="rescheduled").count() == 1
    moved = Booking.objects.get(start=target)
    assert moved.version == 2
    assert Booking.objects.exclude(pk=moved.pk).filter(version=1).count() == THREADS - 1
    # The winner's customer email and staff alerts; nothing for the losers.
    new = Message.objects.order_by("pk")[messages_before:]
    assert sorted((m.booking_id, m.kind, m.audience) for m in new) == [
        (moved.pk, "rescheduled", "customer"),
        (moved.pk, "staff_rescheduled", "business"),
        (moved.pk, "staff_rescheduled", "provider"),
    ]


def test_any_provider_race_fills_each_provider_once(db):
    world = build_world()
    start = factories.local(world.business, 2030, 6, 4, 10)
    now = start - timedelta(days=3)

    def web(i):
        actions.booking_create_web(
            page=world.page,
            service=world.service,
            provider=None,
            start=start,
            customer=actions.CustomerDetails(f"W{i}", f"w{i}@example.test"),
            now=now,
        )

    outcome = race(web)
    assert outcome == Counter({"ok": 2, "slot_unavailable": THREADS - 2})
    assert sorted(Booking.objects.values_list("provider__name", flat=True)) == ["Alex", "Blake"]


def test_database_level_guarantee_without_application_checks(db, monkeypatch):
    """Switch off the provider lock and the overlap check, then race.

    PostgreSQL: the exclusion constraint alone still lets exactly one through.
    SQLite: every writer succeeds, which shows the race is real and that the check inside the
    IMMEDIATE transaction is what prevents it there.
    """
    world = build_world()
    customers = setup_customers(world, THREADS)
    start = factories.local(world.business, 2030, 6, 4, 10)
    monkeypatch.setattr(_common, "ensure_no_overlap", lambda **kw: None)
    monkeypatch.setattr(_common, "lock_provider", lambda pk: world.alex)
    monkeypatch.setattr(_common, "hold_provider", lambda provider: None)

    def create(i):
        actions.booking_create_custom(
            business=world.business,
            actor=Actor.system(),
            customer=customers[i],
            service=world.service,
            provider=world.alex,
            start=start,
            policy=SelfServicePolicy.off(),
            now=start - timedelta(days=1),
            override_availability=True,
        )

    outcome = race(create)
    if connection.vendor == "postgresql":
        assert outcome == Counter({"ok": 1, "slot_unavailable": THREADS - 1})
        assert Booking.objects.count() == 1
    else:
        assert outcome == Counter({"ok": THREADS})


def test_overlapping_row_written_directly(db):
    """PostgreSQL refuses an overlapping row even from code that skips the actions."""
    world = build_world()
    booking = factories.custom_booking(
        world.business,
        service=world.service,
        provider=world.alex,
        customer=world.customer,
        start=factories.local(world.business, 2030, 6, 4, 10),
    )
    clash = Booking.objects.get(pk=booking.pk)
    clash.pk = None
    clash.reference = "SW-CLASH1"
    for field in ("start", "end", "blocked_start", "blocked_end"):
        setattr(clash, field, getattr(clash, field) + timedelta(minutes=30))
    if connection.vendor == "postgresql":
        with pytest.raises(IntegrityError, match="booking_no_overlap"), transaction.atomic():
            clash.save()
        # A cancelled booking does not hold the time, so the same row is accepted as cancelled.
        clash.status = Booking.Status.CANCELLED
        clash.save()
        assert Booking.objects.count() == 2
    else:
        # SQLite has no exclusion constraints: only the actions guard it (tested above).
        clash.save()
        assert Booking.objects.count() == 2
