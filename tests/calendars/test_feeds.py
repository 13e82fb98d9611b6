"""A provider's secret ICS feed: what it shows, who can read it, and how it stops
(docs/calendars.md, "Subscribing to a provider's bookings")."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
import time_machine
from django.test import Client
from icalendar import Calendar

from slotwise.bookings.actions import booking_cancel, booking_reschedule
from slotwise.bookings.actor import Actor
from slotwise.calendars import feeds, uids
from slotwise.calendars.models import ProviderFeed
from slotwise.notifications import ics
from tests import factories
from tests.support.limits import forget_limits

NOW = datetime(2030, 5, 27, 8, 0, tzinfo=UTC)
STAFF = Actor.system("test")


@pytest.fixture(autouse=True)
def _clock_and_cache(db):
    forget_limits()
    with time_machine.travel(NOW, tick=False):
        yield
    forget_limits()


def path_of(new: feeds.NewFeed) -> str:
    return urlsplit(new.url).path


def book(world, provider=None, day=3, hour=10, customer=None):
    return factories.custom_booking(
        world.business,
        service=world.service,
        provider=provider or world.alex,
        customer=customer or world.customer,
        start=factories.local(world.business, 2030, 6, day, hour),
        now=NOW,
    )


def read(path: str, client: Client | None = None, **headers):
    return (client or Client()).get(path, headers=headers)


def events(response) -> dict[str, object]:
    cal = Calendar.from_ical(response.content)
    return {str(e["UID"]): e for e in cal.walk("VEVENT")}


def test_feed_lists_the_providers_active_bookings_with_the_invite_uid(world):
    mine = book(world)
    other_provider = book(world, provider=world.blake, hour=12)
    cancelled = book(world, day=4)
    booking_cancel(booking_id=cancelled.pk, actor=STAFF, now=NOW)
    new = feeds.feed_create(business=world.business, provider_id=world.alex.pk, now=NOW)

    response = read(path_of(new))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert b"\r\n" in response.content and b"\n" not in response.content.replace(b"\r\n", b"")
    found = events(response)
    assert set(found) == {ics.booking_uid(mine)}
    assert uids.booking_uid(mine) == ics.booking_uid(mine)  # one UID for invite and feed
    event = found[ics.booking_uid(mine)]
    assert str(event["SUMMARY"]) == f"{world.service.name}: {world.customer.name}"
    assert int(event["SEQUENCE"]) == mine.version
    assert event.decoded("DTSTART") == mine.start
    assert "DTSTAMP" in event
    cal = Calendar.from_ical(response.content)
    assert "Alex" in str(cal["X-WR-CALNAME"])
    assert "REFRESH-INTERVAL" in cal and "X-PUBLISHED-TTL" in cal
    assert "METHOD" not in cal
    assert ics.booking_uid(other_provider) not in found


def test_no_customer_email_or_phone_unless_turned_on(world):
    world.customer.phone = "+49 30 1234567"
    world.customer.save()
    book(world)
    new = feeds.feed_create(business=world.business, provider_id=world.alex.pk, now=NOW)
    body = read(path_of(new)).content.decode()
    assert world.customer.email not in body and "1234567" not in body

    feeds.feed_set_contact(
        business=world.business, provider_id=world.alex.pk, include_customer_contact=True
    )
    body = read(path_of(new)).content.decode().replace("\r\n ", "")
    assert world.customer.email in body and "1234567" in body


def test_token_is_stored_hashed_and_a_new_feed_revokes_the_old(world):
    first = feeds.feed_create(business=world.business, provider_id=world.alex.pk, now=NOW)
    stored = ProviderFeed.objects.get()
    assert first.token not in stored.token_hash
    assert stored.token_hash == hashlib.sha256(first.token.encode()).hexdigest()
    assert len(first.token) >= 40

    second = feeds.feed_create(business=world.business, provider_id=world.alex.pk, now=NOW)
    assert read(path_of(first)).status_code == 404
    assert read(path_of(second)).status_code == 200
    assert ProviderFeed.objects.filter(revoked_at=None).count() == 1


def test_revoked_feed_is_not_found(world):
    new = feeds.feed_create(business=world.business, provider_id=world.alex.pk, now=NOW)
    assert feeds.feed_revoke(business=world.business, provider_id=world.alex.pk, now=NOW)
    assert read(path_of(new)).status_code == 404
    assert read("/feeds/not-a-token.ics").status_code == 404
    assert not feeds.feed_revoke(business=world.business, provider_id=world.alex.pk, now=NOW)


def test_reschedule_and_cancel_show_in_the_feed(world):
    booking = book(world)
    new = feeds.feed_create(business=world.business, provider_id=world.alex.pk, now=NOW)
    moved = booking_reschedule(
        booking_id=booking.pk,
        actor=STAFF,
        new_start=factories.local(world.business, 2030, 6, 5, 9),
        now=NOW,
    )
    event = events(read(path_of(new)))[ics.booking_uid(booking)]
    assert event.decoded("DTSTART") == moved.start
    assert int(event["SEQUENCE"]) == moved.version == 2
    booking_cancel(booking_id=booking.pk, actor=STAFF, now=NOW)
    assert events(read(path_of(new))) == {}


def test_unchanged_feed_answers_304(world):
    book(world)
    new = feeds.feed_create(business=world.business, provider_id=world.alex.pk, now=NOW)
    first = read(path_of(new))
    assert first["ETag"] and first["Last-Modified"]
    assert "private" in first["Cache-Control"]
    with time_machine.travel(NOW + timedelta(minutes=5), tick=False):
        again = read(path_of(new), **{"If-None-Match": first["ETag"]})
        assert again.status_code == 304 and again.content == b""
        since = read(path_of(new), **{"If-Modified-Since": first["Last-Modified"]})
        assert since.status_code == 304
        assert read(path_of(new)).content == first.content  # DTSTAMP does not move by itself
    book(world, day=6)
    assert read(path_of(new), **{"If-None-Match": first["ETag"]}).status_code == 200


def test_feed_is_rate_limited_per_feed_and_client(world, settings):
    settings.SLOTWISE_RATE_LIMITS = {**settings.SLOTWISE_RATE_LIMITS, "feed": (3, 3600)}
    new = feeds.feed_create(business=world.business, provider_id=world.alex.pk, now=NOW)
    client = Client(REMOTE_ADDR="203.0.113.7")
    assert [read(path_of(new), client).status_code for _ in range(4)] == [200, 200, 200, 429]
    limited = read(path_of(new), client)
    assert int(limited["Retry-After"]) > 0
    assert read(path_of(new), Client(REMOTE_ADDR="203.0.113.8")).status_code == 200


def test_guessed_tokens_are_limited_like_other_links(world):
    client = Client(REMOTE_ADDR="203.0.113.9")
    codes = [read(f"/feeds/guess{n}.ics", client).status_code for n in range(12)]
    assert codes[0] == 404 and codes[-1] == 429


def test_only_get_and_head(world):
    new = feeds.feed_create(business=world.business, provider_id=world.alex.pk, now=NOW)
    assert Client().post(path_of(new)).status_code == 405
    assert Client().head(path_of(new)).status_code == 200


def test_feeds_of_another_business_stay_apart(world, other_world):
    book(world)
    theirs = feeds.feed_create(
        business=other_world.business, provider_id=other_world.alex.pk, now=NOW
    )
    assert events(read(path_of(theirs))) == {}
    from slotwise.core.errors import NotFound

    with pytest.raises(NotFound):
        feeds.feed_create(business=other_world.business, provider_id=world.alex.pk, now=NOW)
    with pytest.raises(NotFound):
        feeds.feed_revoke(business=other_world.business, provider_id=world.alex.pk, now=NOW)
    with pytest.raises(NotFound):
        feeds.feed_set_contact(
            business=world.business, provider_id=world.alex.pk, include_customer_contact=True
        )
