"""The domain emits, delivery listens: one ``BookingChanged`` per action, in its transaction."""

from __future__ import annotations

from datetime import timedelta

import pytest

from slotwise.bookings import actions
from slotwise.bookings.actor import Actor
from slotwise.bookings.events import BookingChanged
from slotwise.bookings.models import Booking, BookingEvent
from slotwise.core import errors, events
from slotwise.notifications import outbox
from slotwise.notifications.models import Message
from tests import factories
from tests.bookings.helpers import refused

STAFF = Actor.system("front desk")


@pytest.fixture
def heard(monkeypatch) -> list[BookingChanged]:
    """Every BookingChanged emitted during the test, after the real subscribers ran."""
    seen: list[BookingChanged] = []
    table = {k: list(v) for k, v in events._subscribers.items()}
    table.setdefault(BookingChanged, []).append(seen.append)
    monkeypatch.setattr(events, "_subscribers", table)
    return seen


def _booking(world) -> Booking:
    start = factories.local(world.business, 2030, 6, 6, 10)
    return factories.custom_booking(
        world.business,
        service=world.service,
        provider=world.alex,
        customer=world.customer,
        start=start,
        now=start - timedelta(days=5),
    )


def test_notifications_listens_to_booking_changes():
    assert outbox.on_booking_changed in events.subscribers(BookingChanged)
    assert outbox.on_business_created in events.subscribers(events.BusinessCreated)


def test_each_action_emits_one_event_named_like_its_history_row(world, heard):
    booking = _booking(world)
    old_start = booking.start
    now = booking.start - timedelta(days=4)
    actions.booking_reschedule(
        booking_id=booking.pk,
        actor=STAFF,
        new_start=booking.start + timedelta(hours=2),
        now=now,
        override_availability=True,
        notify_customer=False,
    )
    actions.booking_cancel(booking_id=booking.pk, actor=STAFF, now=now)

    kinds = [e.kind for e in heard]
    assert kinds == ["created", "rescheduled", "cancelled"]
    history = list(
        BookingEvent.objects.filter(booking=booking).order_by("pk").values_list("kind", flat=True)
    )
    assert kinds == history
    created, moved, cancelled = heard
    assert created.old is None
    assert moved.old is not None
    assert moved.old.start == old_start
    assert moved.old.provider == world.alex
    assert moved.notify_customer is False
    assert moved.booking.version == 2
    assert cancelled.booking.status == Booking.Status.CANCELLED


def test_a_subscriber_refusal_rolls_the_whole_change_back(world, monkeypatch):
    booking = _booking(world)
    messages_before = Message.objects.filter(booking=booking).count()

    def refuse_cancellations(event: BookingChanged) -> None:
        if event.kind == BookingEvent.Kind.CANCELLED:
            raise errors.InvalidState("not now")

    table = {k: list(v) for k, v in events._subscribers.items()}
    table[BookingChanged].append(refuse_cancellations)
    monkeypatch.setattr(events, "_subscribers", table)

    with refused("invalid_state"):
        actions.booking_cancel(
            booking_id=booking.pk, actor=STAFF, now=booking.start - timedelta(days=1)
        )
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED
    assert booking.version == 1
    assert not BookingEvent.objects.filter(booking=booking, kind="cancelled").exists()
    assert Message.objects.filter(booking=booking).count() == messages_before


def test_an_event_outside_a_transaction_is_refused():
    # Its subscribers' rows would commit without the change they belong to.
    with pytest.raises(RuntimeError, match="inside a transaction"):
        events.emit(object())
