"""Public availability and public booking have rate limits; availability has a work cap.

Before: no limit at all. A page of 100 providers with a 5-minute step answered 8.8 MB in
1.7 s, and five bookings to one victim's address went through in a second, each sending a
confirmation. The limits are the shipped defaults (docs/deployment.md, "Rate limits and
work caps"); every other test runs with them raised (tests/conftest.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
import time_machine
from django.conf import settings as django_settings
from django.test import Client

from slotwise.bookings import availability_cache
from slotwise.bookings import availability_queries as loaders
from slotwise.bookings.models import Booking
from slotwise.catalog.models import Provider, WorkingHours
from slotwise.core import ratelimit
from slotwise.notifications.models import Message
from tests.api.conftest import Api, assert_error

pytestmark = pytest.mark.django_db

NOW = datetime(2030, 6, 1, 8, 0, tzinfo=UTC)  # Saturday 10:00 in Berlin
PAGE = "/api/v1/public/acme/pages/book"
SITE = "/book/acme/book/"
AVAILABILITY, BOOKING, PER_EMAIL = (
    ratelimit.DEFAULT_LIMITS[n] for n in ("availability", "booking", "booking_email")
)


@pytest.fixture(autouse=True)
def shipped_rate_limits(settings: Any) -> None:
    """The limits as shipped (tests/conftest.py raises them for every other test)."""
    settings.SLOTWISE_RATE_LIMITS = dict(ratelimit.DEFAULT_LIMITS)


@pytest.fixture(autouse=True)
def frozen() -> Iterator[time_machine.Traveller]:
    # 20 s into a minute, so a one-minute window does not end in the middle of a test.
    with time_machine.travel(NOW + timedelta(seconds=20), tick=False) as traveller:
        yield traveller


def _monday_10(weeks: int = 0, day: int = 0) -> str:
    """10:00 Berlin on a weekday from Monday 3 June 2030 on: a free slot with both providers."""
    when = datetime(2030, 6, 3, 8, 0, tzinfo=UTC) + timedelta(weeks=weeks, days=day)
    return when.isoformat()


def _book_body(world: Any, start: str, email: str) -> dict[str, Any]:
    return {
        "service_id": world.service.pk,
        "start": start,
        "customer": {"name": "Casey", "email": email, "timezone": "Europe/Berlin"},
    }


def _retry_after(response: Any, window: int) -> int:
    seconds = int(response["Retry-After"])
    assert 1 <= seconds <= window
    return seconds


# --- availability --------------------------------------------------------------------------------


def test_api_availability_is_limited_per_address(world):
    limit, window = AVAILABILITY
    one, other = Api(remote_addr="203.0.113.7"), Api(remote_addr="203.0.113.8")
    query = {"service_id": world.service.pk, "start": "2030-06-03T00:00:00+02:00"}
    for _ in range(limit):
        assert one.get(f"{PAGE}/availability", **query).status_code == 200
    refused = one.get(f"{PAGE}/availability", **query)
    body = assert_error(refused, 429, "rate_limited")
    assert body["details"]["retry_after"] == _retry_after(refused, window) == window - 20
    # Another client is counted on its own.
    assert other.get(f"{PAGE}/availability", **query).status_code == 200


def test_site_booking_page_is_limited_per_address(world, frozen):
    limit, window = AVAILABILITY
    one = Client(REMOTE_ADDR="203.0.113.7")
    query = {"service": world.service.pk, "provider": "any", "month": "2030-06"}
    for _ in range(limit):
        assert one.get(SITE, query).status_code == 200
    refused = one.get(SITE, query, headers={"HX-Request": "true"})
    assert refused.status_code == 429
    assert _retry_after(refused, window) == window - 20
    assert "Please slow down" in refused.text and "try again in 1 minute" in refused.text
    assert Client(REMOTE_ADDR="203.0.113.8").get(SITE, query).status_code == 200
    # The next window lets the first client in again.
    frozen.shift(window)
    assert one.get(SITE, query).status_code == 200


# --- bookings per address ------------------------------------------------------------------------


def test_api_bookings_are_limited_per_address(world):
    limit, window = BOOKING
    one = Api(remote_addr="203.0.113.7")
    for i in range(limit):
        body = _book_body(world, _monday_10(day=i), f"person{i}@example.test")
        assert one.post(f"{PAGE}/bookings", body).status_code == 201
    refused = one.post(f"{PAGE}/bookings", _book_body(world, _monday_10(2), "late@example.test"))
    assert_error(refused, 429, "rate_limited")
    _retry_after(refused, window)
    assert Booking.objects.count() == limit
    other = Api(remote_addr="203.0.113.8")
    body = _book_body(world, _monday_10(2), "late@example.test")
    assert other.post(f"{PAGE}/bookings", body).status_code == 201


def _site_post(client: Client, world: Any, start: str, email: str) -> Any:
    form = {
        "service": world.service.pk,
        "provider": "any",
        "start": datetime.fromisoformat(start).strftime("%Y-%m-%dT%H:%MZ"),
        "tz": "Europe/Berlin",
        "name": "Dana Doe",
        "email": email,
        "phone": "",
        "notes": "",
    }
    return client.post(SITE, form)


def test_site_bookings_are_limited_per_address_with_a_message(world):
    limit, window = BOOKING
    one = Client(REMOTE_ADDR="203.0.113.7")
    for i in range(limit):
        response = _site_post(one, world, _monday_10(day=i), f"person{i}@example.test")
        assert response["Location"].endswith("?new=1"), response.text
    refused = _site_post(one, world, _monday_10(2), "late@example.test")
    assert refused.status_code == 429
    _retry_after(refused, window)
    assert "too many booking attempts from your network" in refused.text
    assert 'role="alert"' in refused.text
    assert 'value="late@example.test"' in refused.text  # what they typed is kept
    assert Booking.objects.count() == limit
    other = Client(REMOTE_ADDR="203.0.113.8")
    made = _site_post(other, world, _monday_10(2), "late@example.test")
    assert made["Location"].endswith("?new=1")


# --- bookings per mailbox ------------------------------------------------------------------------


def test_bookings_to_one_mailbox_are_limited_however_it_is_spelled(world, frozen):
    limit, window = PER_EMAIL
    spellings = [
        "victim@example.test",
        "VICTIM@Example.TEST",
        "Victim@example.test ",
        "victim@EXAMPLE.test",
    ]
    for i in range(limit):
        client = Api(remote_addr=f"198.51.100.{i + 1}")  # a different address each time
        body = _book_body(world, _monday_10(day=i), spellings[i])
        assert client.post(f"{PAGE}/bookings", body).status_code == 201
    sent = Message.objects.count()
    refused = Api(remote_addr="198.51.100.99").post(
        f"{PAGE}/bookings", _book_body(world, _monday_10(2), spellings[limit])
    )
    assert_error(refused, 429, "rate_limited")
    assert _retry_after(refused, window) > 60 * 50
    assert Booking.objects.count() == limit and Message.objects.count() == sent
    # Still counted well after the cache's default timeout of five minutes.
    frozen.shift(timedelta(minutes=20))
    again = Api(remote_addr="198.51.100.99").post(
        f"{PAGE}/bookings", _book_body(world, _monday_10(2), spellings[0])
    )
    assert_error(again, 429, "rate_limited")
    # The site says so next to the email field.
    page = _site_post(Client(REMOTE_ADDR="198.51.100.98"), world, _monday_10(2), spellings[0])
    assert page.status_code == 429
    assert "Several bookings were made with this email address" in page.text
    assert "try again in 40 minutes" in page.text
    # Someone else still books.
    other = _book_body(world, _monday_10(2), "someone.else@example.test")
    assert Api(remote_addr="198.51.100.97").post(f"{PAGE}/bookings", other).status_code == 201


def test_refused_bookings_do_not_use_up_the_mailbox_limit(world):
    limit, _ = PER_EMAIL
    taken = _monday_10()
    client = Api(remote_addr="198.51.100.1")
    for name in ("Alex", "Blake"):  # both providers of the slot
        body = _book_body(world, taken, f"{name.lower()}.customer@example.test")
        assert client.post(f"{PAGE}/bookings", body).status_code == 201
    for _ in range(limit + 2):  # the slot is full: 409 each time, nothing made
        response = client.post(f"{PAGE}/bookings", _book_body(world, taken, "dana@example.test"))
        assert response.status_code == 409
    body = _book_body(world, _monday_10(day=1), "dana@example.test")
    assert Api(remote_addr="198.51.100.2").post(f"{PAGE}/bookings", body).status_code == 201


# --- the work cap --------------------------------------------------------------------------------


def _big_page(world: Any, providers: int, step: int) -> None:
    """``providers`` providers working 08:00-20:00 every day, all on the page, at ``step``."""
    made = Provider.objects.bulk_create(
        Provider(business=world.business, name=f"P{i:03}", email=f"p{i}@acme.test")
        for i in range(providers - 2)
    )
    WorkingHours.objects.bulk_create(
        WorkingHours(provider=p, weekday=d, start=time(8), end=time(20))
        for p in made
        for d in range(7)
    )
    world.service.providers.add(*made)
    world.page.providers.add(*made)
    world.page.slot_step_minutes = step
    world.page.save()


def test_a_question_above_the_work_cap_is_refused_with_advice(world):
    _big_page(world, providers=100, step=5)
    api = Api(remote_addr="203.0.113.7")
    query = {
        "service_id": world.service.pk,
        "start": "2030-06-02T00:00:00+02:00",
        "end": "2030-08-02T00:00:00+02:00",
    }
    refused = api.get(f"{PAGE}/availability", **query)
    body = assert_error(refused, 422, "too_much_work")
    assert "fewer days" in body["message"] and "one provider" in body["message"]
    assert body["details"]["max_work"] == django_settings.SLOTWISE_AVAILABILITY_MAX_WORK
    assert body["details"]["work"] > body["details"]["max_work"]
    # Narrowed (one provider, or a week) it is answered.
    one = api.get(f"{PAGE}/availability", **query, provider_id=world.alex.pk)
    assert one.status_code == 200 and one.json()["slots"]
    week = api.get(f"{PAGE}/availability", **{**query, "end": "2030-06-09T00:00:00+02:00"})
    assert week.status_code == 200 and week.json()["slots"]


def _questions_of_the_booking_page(world: Any, monkeypatch: Any) -> list[int]:
    """Walk the booking page (any provider) month by month; the work of each question it asked."""
    works: list[int] = []
    real = availability_cache.free_slots

    def recording(question: Any, *, versions: Any, now: datetime) -> Any:
        # The page asks through the cache; a hit or a miss, the question's work is the same.
        works.append(availability_cache.work_of(question, provider_count=len(versions), now=now))
        return real(question, versions=versions, now=now)

    monkeypatch.setattr(availability_cache, "free_slots", recording)
    client = Client(REMOTE_ADDR="203.0.113.7")
    base = {"service": world.service.pk, "provider": "any"}
    assert client.get(SITE, base).status_code == 200
    month = date(2030, 6, 1)
    for _ in range(3):
        assert client.get(SITE, {**base, "month": month.strftime("%Y-%m")}).status_code == 200
        month = (month + timedelta(days=32)).replace(day=1)
    assert client.get(SITE, {**base, "day": "2030-06-30"}).status_code == 200
    assert works
    return works


@pytest.mark.parametrize("step", [5, 15])
def test_the_booking_page_asks_nothing_above_the_cap_with_fifty_providers(world, monkeypatch, step):
    _big_page(world, providers=50, step=step)
    works = _questions_of_the_booking_page(world, monkeypatch)
    assert max(works) <= django_settings.SLOTWISE_AVAILABILITY_MAX_WORK


def test_the_booking_page_asks_nothing_above_the_cap_with_the_demo_data(monkeypatch):
    from django.core.management import call_command

    from slotwise.bookings.models import BookingPage

    call_command("seed_demo", verbosity=0)
    page = BookingPage.objects.get()
    cap = django_settings.SLOTWISE_AVAILABILITY_MAX_WORK
    now = datetime.now(UTC)
    works = []
    for service in page.services.all():
        first = now.date().replace(day=1)
        for _ in range(3):
            start = datetime.combine(first, time(0), tzinfo=page.business.tz)
            first = (first + timedelta(days=32)).replace(day=1)
            end = datetime.combine(first, time(0), tzinfo=page.business.tz)
            work = loaders.work_for(
                service=service, page=page, window_start=start, window_end=end, now=now
            )
            works.append(work)
    assert 0 < max(works) <= cap


def test_the_work_estimate_is_providers_times_days_times_slots_a_day(world):
    _big_page(world, providers=100, step=5)
    start = datetime(2030, 6, 3, tzinfo=world.business.tz)
    work = loaders.work_for(
        service=world.service,
        page=world.page,
        window_start=start,
        window_end=start + timedelta(days=31),
        now=NOW,
    )
    assert work == 100 * 31 * (24 * 60 // 5)


def test_unlimited_when_turned_off(world, settings):
    settings.SLOTWISE_RATE_LIMITS = {"availability": None}
    api = Api(remote_addr="203.0.113.7")
    query = {"service_id": world.service.pk, "start": "2030-06-03T00:00:00+02:00"}
    for _ in range(AVAILABILITY[0] + 5):
        assert api.get(f"{PAGE}/availability", **query).status_code == 200
