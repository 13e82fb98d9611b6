"""Many owners reply to the same rating at the same moment: exactly one reply is published, the
others are told ``already_replied`` (docs/ratings.md), on either database."""

from __future__ import annotations

from collections import Counter

import pytest

from slotwise.bookings import actions
from slotwise.bookings.actor import Actor
from slotwise.bookings.models import BookingEvent, Rating
from slotwise.core.clock import utcnow
from tests import factories
from tests.concurrency.test_no_double_booking import race
from tests.conftest import build_world

pytestmark = pytest.mark.django_db(transaction=True)


def test_eight_replies_at_once_publish_one(db):
    world = build_world()
    rating = factories.rated_booking(
        world.business,
        service=world.service,
        provider=world.alex,
        customer=world.customer,
        start=factories.local(world.business, 2030, 1, 6, 10),
        stars=2,
        comment="Slow",
    )

    def reply(i: int) -> None:
        actions.rating_reply(
            business=world.business,
            rating_id=rating.pk,
            text=f"Reply {i}",
            actor=Actor.api(f"key {i}"),
            now=utcnow(),
        )

    outcomes = race(reply, n=8)
    assert outcomes == Counter({"ok": 1, "already_replied": 7})
    rating = Rating.objects.get(pk=rating.pk)
    assert rating.reply.startswith("Reply ")
    assert BookingEvent.objects.filter(kind="rating_replied").count() == 1
