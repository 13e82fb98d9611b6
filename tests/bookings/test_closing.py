"""Closing a booking: only after the appointment's end, undone within 10 minutes, and the
rating request held back until the undo window has passed (withdrawn by an undo)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from slotwise.bookings import actions, policy
from slotwise.bookings.actor import Actor
from slotwise.bookings.models import Booking, BookingEvent
from slotwise.notifications.models import Message
from tests import factories
from tests.bookings.helpers import refused

STAFF = Actor.system("front desk")
START = datetime(2030, 6, 3, 8, 0, tzinfo=UTC)
END = START + timedelta(hours=1)


@pytest.mark.parametrize(
    ("status", "now", "allowed"),
    [
        ("confirmed", START - timedelta(minutes=1), False),
        ("confirmed", START, False),
        ("confirmed", START + timedelta(minutes=30), False),  # mid-appointment
        ("confirmed", END - timedelta(seconds=1), False),
        ("confirmed", END, True),
        ("confirmed", END + timedelta(days=3), True),
        ("cancelled", END + timedelta(hours=1), False),
        ("completed", END + timedelta(hours=1), False),
        ("no_show", END + timedelta(hours=1), False),
    ],
)
def test_closing_refusal(status, now, allowed):
    refusal = policy.closing_refusal(status=status, end=END, now=now)
    assert (refusal is None) == allowed
    if refusal is not None:
        assert refusal.code == "invalid_state"


@pytest.mark.parametrize(
    ("status", "after", "rated", "allowed"),
    [
        ("completed", timedelta(0), False, True),
        ("completed", timedelta(minutes=10), False, True),
        ("completed", timedelta(minutes=10, seconds=1), False, False),
        ("no_show", timedelta(minutes=9), False, True),
        ("completed", timedelta(minutes=1), True, False),
        ("confirmed", timedelta(minutes=1), False, False),
        ("cancelled", timedelta(minutes=1), False, False),
    ],
)
def test_close_undo_refusal(status, after, rated, allowed):
    refusal = policy.close_undo_refusal(status=status, closed_at=END, now=END + after, rated=rated)
    assert (refusal is None) == allowed


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


def _rating_requests(booking: Booking) -> list[Message]:
    return list(Message.objects.filter(booking=booking, kind=Message.Kind.RATING_REQUEST))


@pytest.mark.parametrize("close", [actions.booking_complete, actions.booking_mark_no_show])
def test_closing_mid_appointment_is_refused(world, close):
    booking = _booking(world)
    with refused("invalid_state"):
        close(booking_id=booking.pk, actor=STAFF, now=booking.start + timedelta(minutes=30))
    close(booking_id=booking.pk, actor=STAFF, now=booking.end)


def test_rating_request_waits_for_the_undo_window(world):
    booking = _booking(world)
    closed = booking.end + timedelta(minutes=5)
    actions.booking_complete(booking_id=booking.pk, actor=STAFF, now=closed)
    (request,) = _rating_requests(booking)
    assert request.status == Message.Status.QUEUED
    assert request.due_at == closed + timedelta(minutes=10)
    assert request.next_attempt_at == closed + timedelta(minutes=10)


def test_undo_completed_withdraws_the_rating_request_and_records_history(world):
    booking = _booking(world)
    closed = booking.end + timedelta(minutes=5)
    actions.booking_complete(booking_id=booking.pk, actor=STAFF, now=closed)
    undone = actions.booking_close_undo(
        booking_id=booking.pk, actor=STAFF, now=closed + timedelta(minutes=9)
    )
    assert undone.status == Booking.Status.CONFIRMED
    (request,) = _rating_requests(booking)
    assert request.status == Message.Status.CANCELLED
    last = BookingEvent.objects.filter(booking=booking).order_by("-pk").first()
    assert last is not None and last.kind == BookingEvent.Kind.CLOSE_UNDONE
    assert (last.old, last.new) == ({"status": "completed"}, {"status": "confirmed"})
    # Closed again: a fresh rating request, again held back for the window.
    again = closed + timedelta(minutes=20)
    actions.booking_complete(booking_id=booking.pk, actor=STAFF, now=again)
    queued = [m for m in _rating_requests(booking) if m.status == Message.Status.QUEUED]
    assert [m.due_at for m in queued] == [again + timedelta(minutes=10)]


def test_undo_no_show(world):
    booking = _booking(world)
    actions.booking_mark_no_show(booking_id=booking.pk, actor=STAFF, now=booking.end)
    undone = actions.booking_close_undo(
        booking_id=booking.pk, actor=STAFF, now=booking.end + timedelta(minutes=1)
    )
    assert undone.status == Booking.Status.CONFIRMED


def test_undo_after_the_window_or_of_an_open_booking_is_refused(world):
    booking = _booking(world)
    with refused("invalid_state"):
        actions.booking_close_undo(booking_id=booking.pk, actor=STAFF, now=booking.end)
    actions.booking_complete(booking_id=booking.pk, actor=STAFF, now=booking.end)
    with refused("invalid_state"):
        actions.booking_close_undo(
            booking_id=booking.pk, actor=STAFF, now=booking.end + timedelta(minutes=11)
        )
    with refused("not_allowed"):
        actions.booking_close_undo(
            booking_id=booking.pk, actor=Actor.customer("Casey"), now=booking.end
        )


def test_undo_is_refused_once_the_rating_request_left(world):
    booking = _booking(world)
    actions.booking_complete(booking_id=booking.pk, actor=STAFF, now=booking.end)
    Message.objects.filter(booking=booking, kind=Message.Kind.RATING_REQUEST).update(
        status=Message.Status.SENT
    )
    with refused("invalid_state"):
        actions.booking_close_undo(
            booking_id=booking.pk, actor=STAFF, now=booking.end + timedelta(minutes=2)
        )


def test_completion_webhook_waits_for_the_undo_window_and_is_withdrawn(world):
    from slotwise.notifications.models import WebhookEndpoint

    WebhookEndpoint.objects.create(
        business=world.business,
        url="https://hooks.example.test/in",
        events=["booking.completed"],
        secret="s3cret",
        created_at=datetime(2030, 1, 1, tzinfo=UTC),
    )
    booking = _booking(world)
    actions.booking_complete(booking_id=booking.pk, actor=STAFF, now=booking.end)
    (hook,) = Message.objects.filter(booking=booking, kind=Message.Kind.WEBHOOK)
    assert hook.due_at == hook.next_attempt_at == booking.end + timedelta(minutes=10)
    actions.booking_close_undo(
        booking_id=booking.pk, actor=STAFF, now=booking.end + timedelta(minutes=3)
    )
    hook.refresh_from_db()
    assert hook.status == Message.Status.CANCELLED
