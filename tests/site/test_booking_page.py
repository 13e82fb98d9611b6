"""The public booking page, driven like a browser without JavaScript (plain GET and POST)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from django.test import Client

from slotwise.bookings.models import Booking
from slotwise.notifications.models import Message
from tests import factories

pytestmark = pytest.mark.django_db

URL = "/book/acme/book/"
# Monday 3 June 2030, 09:00 in Berlin (CEST, UTC+2).
FIRST_SLOT = "2030-06-03T07:00Z"


def _take_alex_at_nine(world) -> Booking:
    """Another customer books Alex on Monday 3 June 2030 at 09:00 (FIRST_SLOT)."""
    return factories.custom_booking(
        world.business,
        service=world.service,
        provider=world.alex,
        customer=world.customer,
        start=datetime(2030, 6, 3, 7, 0, tzinfo=UTC),
        now=datetime(2030, 5, 31, tzinfo=UTC),
    )


def _details(**extra: str) -> dict[str, str]:
    return {
        "name": "Dana Doe",
        "email": "Dana@Example.test",
        "phone": "+49 30 1234",
        "notes": "First visit",
        **extra,
    }


def test_unknown_or_inactive_page_is_404(client, world):
    assert client.get("/book/acme/nope/").status_code == 404
    assert client.get("/book/nope/book/").status_code == 404
    world.page.active = False
    world.page.save()
    assert client.get(URL).status_code == 404


def test_one_service_is_chosen_for_the_customer_and_providers_offered(client, world):
    response = client.get(URL)
    assert response.status_code == 200
    assert "Who would you like?" in response.text
    assert 'value="any"' in response.text
    assert "Alex" in response.text and "Blake" in response.text
    csp = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp
    # The only scripts are files carrying the request's nonce; no inline style attributes.
    nonce = re.search(r"'nonce-([^']+)'", csp).group(1)
    scripts = re.findall(r"<script[^>]*>", response.text)
    assert scripts and all(f'nonce="{nonce}"' in s and "src=" in s for s in scripts)
    assert " style=" not in response.text


def test_several_services_ask_for_the_service_first(client, world):
    other = factories.make_service(world.business, "Colour", 90)
    world.page.services.add(other)
    world.alex.services.add(other)
    response = client.get(URL)
    assert "Choose a service" in response.text
    assert "Colour" in response.text and "Haircut" in response.text
    response = client.get(URL, {"service": other.pk})
    # Only Alex offers the colour: no choice to make, straight to the calendar.
    assert "Choose a day and time" in response.text
    assert "Alex" in response.text


def test_calendar_marks_free_days_and_lists_times(client, world):
    response = client.get(URL, {"service": world.service.pk, "provider": "any"})
    assert response.status_code == 200
    assert "June 2030" in response.text
    # Today (1 June, 10:00) still has free times from 10:00; every later day does too.
    assert 'aria-label="Monday, 3 June 2030, ' in response.text
    assert "Times are shown in" in response.text and "Europe/Berlin" in response.text

    response = client.get(
        URL, {"service": world.service.pk, "provider": "any", "day": "2030-06-03"}
    )
    assert "Monday, 3 June 2030" in response.text
    assert f"start={FIRST_SLOT.replace(':', '%3A')}" in response.text
    assert ">09:00<" in response.text and "Morning" in response.text


def test_times_follow_the_customers_zone(client, world):
    response = client.get(
        URL,
        {
            "service": world.service.pk,
            "provider": world.alex.pk,
            "day": "2030-06-03",
            "tz": "America/New_York",
        },
    )
    # 09:00 in Berlin is 03:00 in New York; the zone is named.
    assert ">03:00<" in response.text
    assert "America/New_York, EDT" in response.text


def test_unknown_zone_falls_back_to_the_business_zone(client, world):
    response = client.get(URL, {"service": world.service.pk, "provider": "any", "tz": "Mars/Base"})
    assert response.status_code == 200
    assert "Europe/Berlin" in response.text


def test_no_js_booking_flow_creates_the_booking_and_queues_the_email(client, world):
    query = {"service": world.service.pk, "provider": "any", "start": FIRST_SLOT}
    response = client.get(URL, query)
    assert "Your details" in response.text
    assert "Monday, 3 June 2030, 09:00 – 10:00 (Europe/Berlin, CEST)" in response.text
    assert Booking.objects.count() == 0

    response = client.post(URL, {**query, "tz": "Europe/Berlin", **_details()})
    assert response.status_code == 302
    location = response["Location"]
    assert re.fullmatch(r"/manage/[A-Za-z0-9_-]{40,}/\?new=1", location)
    assert "dana" not in location.lower()  # no personal data in the URL

    booking = Booking.objects.get()
    assert booking.start == datetime(2030, 6, 3, 7, 0, tzinfo=UTC)
    assert booking.customer.email == "dana@example.test"
    assert booking.customer.timezone == "Europe/Berlin"
    assert booking.notes == "First visit"
    assert booking.allow_cancel and booking.allow_reschedule
    assert Message.objects.filter(booking=booking, kind="confirmation").count() == 1

    page = client.get(location)
    assert page.status_code == 200
    assert "Your booking is confirmed" in page.text
    assert booking.reference in page.text
    assert "Add to calendar" in page.text
    assert "Reschedule" in page.text and "Cancel booking" in page.text
    assert "Sunday, 2 June 2030, 09:00 (Europe/Berlin, CEST)" in page.text  # latest change


def test_details_are_checked_and_nothing_is_created(client, world):
    query = {"service": world.service.pk, "provider": "any", "start": FIRST_SLOT}
    response = client.post(URL, {**query, **_details(name="", email="not-an-email")})
    assert response.status_code == 200
    assert "Please give your name." in response.text
    assert "Please give a valid email address" in response.text
    assert 'aria-invalid="true"' in response.text
    assert Booking.objects.count() == 0


def test_slot_taken_meanwhile_shows_a_message_and_fresh_times(client, world):
    query = {"service": world.service.pk, "provider": world.alex.pk, "start": FIRST_SLOT}
    assert "Your details" in client.get(URL, query).text
    # Someone else takes Alex at 09:00 while the customer types.
    _take_alex_at_nine(world)
    response = client.post(URL, {**query, **_details()})
    assert response.status_code == 200
    assert "That time is no longer available" in response.text
    assert "Your details are kept" in response.text
    assert 'value="Dana Doe"' in response.text
    # Fresh times: 09:00 is gone, 10:30 (after the hour and the 15-minute buffer) is offered.
    assert 'value="2030-06-03T07:00Z"' not in response.text
    assert 'value="2030-06-03T08:30Z"' in response.text
    assert Booking.objects.count() == 1

    response = client.post(URL, {**query, "start": "2030-06-03T08:30Z", **_details()})
    assert response.status_code == 302
    assert Booking.objects.count() == 2


def test_link_to_a_taken_time_goes_back_to_the_day(client, world):
    _take_alex_at_nine(world)
    response = client.get(
        URL, {"service": world.service.pk, "provider": world.alex.pk, "start": FIRST_SLOT}
    )
    assert "That time is no longer available" in response.text
    assert "Monday, 3 June 2030" in response.text
    assert "Your details" not in response.text


def test_booking_post_needs_csrf(world):
    client = Client(enforce_csrf_checks=True)
    query = {"service": world.service.pk, "provider": "any", "start": FIRST_SLOT}
    response = client.post(URL, {**query, **_details()})
    assert response.status_code == 403
    assert Booking.objects.count() == 0


def test_a_month_without_free_days_says_so_and_offers_the_next(client, world):
    factories.make_provider(world.business, "Casey", [world.service], weekdays=range(0))
    casey = world.business.providers.get(name="Casey")
    world.page.providers.add(casey)
    response = client.get(URL, {"service": world.service.pk, "provider": casey.pk})
    assert "No free times this month" in response.text
    assert "See next month" in response.text


def test_far_months_are_not_offered(client, world):
    world.page.max_days_ahead = 10
    world.page.save()
    response = client.get(URL, {"service": world.service.pk, "provider": "any"})
    assert "month=2030-07" not in response.text  # 11 June is the last day: no July link
    response = client.get(URL, {"service": world.service.pk, "provider": "any", "month": "2030-08"})
    assert "cannot be booked this far ahead" in response.text


def test_htmx_gets_only_the_picker(client, world):
    response = client.get(
        URL,
        {"service": world.service.pk, "provider": "any", "month": "2030-07"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="picker"')
    assert "July 2030" in response.text
    assert "<html" not in response.text


def test_provider_not_on_the_page_cannot_be_booked(client, world):
    outsider = factories.make_provider(world.business, "Oscar", [world.service])
    response = client.post(
        URL,
        {"service": world.service.pk, "provider": outsider.pk, "start": FIRST_SLOT, **_details()},
    )
    # Not a choice on this page: the customer is sent back to choose.
    assert response.status_code == 302
    assert Booking.objects.count() == 0


def test_other_business_cannot_be_booked_through_this_page(client, world, other_world):
    response = client.post(
        URL,
        {
            "service": other_world.service.pk,
            "provider": other_world.alex.pk,
            "start": FIRST_SLOT,
            **_details(),
        },
    )
    assert response.status_code == 302
    assert Booking.objects.count() == 0
    assert "Globex" not in client.get(response["Location"]).text


def test_working_hours_respected(client, world):
    # Alex works 9-17 Berlin time; a 16:30 start would end after hours, so it is not offered.
    response = client.get(
        URL, {"service": world.service.pk, "provider": world.alex.pk, "day": "2030-06-03"}
    )
    assert ">16:00<" in response.text
    assert ">16:30<" not in response.text


def test_time_taken_between_reading_the_page_and_booking_is_not_offered_again(
    client, world, monkeypatch
):
    """The race a confirm can lose: another booking commits after this request read the
    providers (and their availability versions) and before its own attempt. The times shown
    with "no longer available" are read afresh, not from the answer cached before."""
    from slotwise.site.views import book

    query = {"service": world.service.pk, "provider": world.alex.pk, "start": FIRST_SLOT}
    assert 'value="2030-06-03T07:00Z"' in client.get(URL, query).text  # the answer is cached
    offering = book.loaders.offering
    competed: list[Booking] = []

    def offering_then_a_competitor(*args, **kwargs):
        found = offering(*args, **kwargs)
        if not competed:
            competed.append(_take_alex_at_nine(world))
        return found

    monkeypatch.setattr(book.loaders, "offering", offering_then_a_competitor)
    from slotwise.bookings import availability_cache

    availability_cache.stats.clear()
    response = client.post(URL, {**query, **_details()})
    assert competed and response.status_code == 200
    # Alex's version changed with the competitor: nothing read after the attempt may come
    # from the answer cached under the version this request read first.
    assert availability_cache.stats["miss"] >= 1 and availability_cache.stats["hit"] == 0
    assert "That time is no longer available" in response.text
    assert 'value="2030-06-03T07:00Z"' not in response.text
    assert 'value="2030-06-03T08:30Z"' in response.text
    assert Booking.objects.count() == 1
