"""notify_all: sixteen customers accept the same freed time at the same moment. Exactly one
booking is made; the fifteen others get a clean 409 (``offer_expired`` for an offer closed
by the winner, ``slot_unavailable`` for a loser that got past it), on either database.

Also: one offer link used by sixteen tabs at once books once.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest

from slotwise.bookings import actions
from slotwise.bookings.actions import waitlist as wl
from slotwise.bookings.actor import Actor
from slotwise.bookings.models import (
    Booking,
    BookingPage,
    WaitlistEntry,
    WaitlistOffer,
    WaitlistToken,
)
from slotwise.bookings.tokens import waitlist_token_issue
from tests import factories
from tests.concurrency.test_no_double_booking import THREADS, race
from tests.conftest import build_world

pytestmark = pytest.mark.django_db(transaction=True)


def _offers(n: int):
    world = build_world()
    BookingPage.objects.filter(pk=world.page.pk).update(waitlist=True)
    world.page.refresh_from_db()
    wl.waitlist_settings_set(business=world.business, mode="notify_all", hold_minutes=60)
    start = factories.local(world.business, 2030, 6, 4, 10)
    now = start - timedelta(days=3)
    booking = factories.custom_booking(
        world.business,
        service=world.service,
        provider=world.alex,
        customer=world.customer,
        start=start,
        now=now,
    )
    for i in range(n):
        wl.waitlist_join(
            page=world.page,
            service_id=world.service.pk,
            provider_id=world.alex.pk,
            windows=[{"start": "2030-06-04", "end": "2030-06-04"}],
            customer=actions.CustomerDetails(name=f"W{i}", email=f"w{i}@example.test"),
            now=now,
        )
    actions.booking_cancel(booking_id=booking.pk, actor=Actor.system("desk"), now=now)
    wl.waitlist_round(now=now)
    offers = list(WaitlistOffer.objects.order_by("pk"))
    assert len(offers) == n and {o.start for o in offers} == {start}
    tokens = [
        waitlist_token_issue(entry=o.entry, offer=o, purpose=WaitlistToken.Purpose.OFFER, now=now)
        for o in offers
    ]
    return world, start, now, tokens


def test_sixteen_accepts_of_one_freed_time_make_one_booking(db):
    _world, start, now, tokens = _offers(THREADS)

    outcomes = race(lambda i: wl.offer_accept(raw_token=tokens[i], now=now))

    assert outcomes["ok"] == 1, outcomes
    assert sum(outcomes.values()) == THREADS
    assert set(outcomes) <= {"ok", "offer_expired", "slot_unavailable"}, outcomes
    assert Booking.objects.filter(status="confirmed", start=start).count() == 1
    statuses = Counter(WaitlistOffer.objects.values_list("status", flat=True))
    assert statuses["accepted"] == 1 and statuses["open"] == 0
    entries = Counter(WaitlistEntry.objects.values_list("status", flat=True))
    assert entries == Counter({"booked": 1, "waiting": THREADS - 1})  # the others keep waiting


def test_one_link_accepted_sixteen_times_at_once_books_once(db):
    _world, start, now, tokens = _offers(1)

    outcomes = race(lambda i: wl.offer_accept(raw_token=tokens[0], now=now))

    assert outcomes == Counter({"ok": 1, "offer_expired": THREADS - 1}), outcomes
    assert Booking.objects.filter(status="confirmed", start=start).count() == 1
