"""Manage by link: view, cancel, reschedule, calendar file; bad links and their rate limit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from slotwise.bookings import actions
from slotwise.bookings.actor import Actor
from slotwise.bookings.models import Booking, BookingEvent, BookingToken
from slotwise.bookings.policy import SelfServicePolicy
from slotwise.core import ratelimit
from slotwise.notifications.models import Message
from tests import factories
from tests.site.conftest import NOW

pytestmark = pytest.mark.django_db

MONDAY_9 = datetime(2030, 6, 3, 7, 0, tzinfo=UTC)  # 09:00 in Berlin


@pytest.fixture
def booked(world):
    """A web booking with Alex on Monday 09:00 Berlin, and its manage link."""
    booking, token = actions.booking_create_web(
        page=world.page,
        service=world.service,
        provider=world.alex,
        start=MONDAY_9,
        customer=actions.CustomerDetails(
            name="Dana Doe", email="dana@example.test", timezone="America/New_York"
        ),
        now=NOW,
    )
    return booking, f"/manage/{token}/"


def _counts() -> tuple[int, int, int]:
    return Booking.objects.count(), BookingEvent.objects.count(), Message.objects.count()


def test_manage_page_shows_the_booking_in_the_customers_zone(client, booked):
    booking, url = booked
    before = _counts()
    response = client.get(url)
    assert response.status_code == 200
    assert booking.reference in response.text
    # The customer's zone (New York), named.
    assert "Monday, 3 June 2030, 03:00 – 04:00 (America/New_York, EDT)" in response.text
    assert "Confirmed" in response.text
    assert "Reschedule" in response.text and "Cancel booking" in response.text
    assert "Sunday, 2 June 2030, 03:00 (America/New_York, EDT)" in response.text
    # Opening every page of the link changes nothing.
    for path in ("", "cancel/", "reschedule/", "reschedule/?day=2030-06-04", "calendar.ics"):
        assert client.get(url + path).status_code == 200
    booking.refresh_from_db()
    assert booking.status == "confirmed" and booking.version == 1
    assert _counts() == before


def test_zone_can_be_changed_with_a_parameter(client, booked):
    _, url = booked
    response = client.get(url + "?tz=Asia/Tokyo")
    assert "16:00 – 17:00 (Asia/Tokyo, JST)" in response.text


def test_cancel_with_reason_then_double_submit_acts_once(client, booked):
    booking, url = booked
    page = client.get(url + "cancel/")
    assert "Cancel this booking?" in page.text
    assert 'name="version" value="1"' in page.text

    form = {"version": "1", "reason": "  Feeling unwell "}
    response = client.post(url + "cancel/", form)
    assert response.status_code == 302 and response["Location"] == url
    booking.refresh_from_db()
    assert booking.status == "cancelled"
    assert booking.cancelled_by == "customer"
    assert booking.cancellation_reason == "Feeling unwell"
    follow = client.get(url)
    assert "Your booking is cancelled" in follow.text
    assert "Cancelled" in follow.text
    assert "Cancel booking" not in follow.text
    assert "Book a new appointment" in follow.text

    # The second submit of the same form: a friendly note, the current state, no second cancel.
    response = client.post(url + "cancel/", form, follow=True)
    assert response.status_code == 200
    assert "This booking has already been cancelled." in response.text
    assert booking.events.filter(kind="cancelled").count() == 1
    assert Message.objects.filter(booking=booking, kind="cancelled").count() == 1


def test_stale_page_tells_the_customer_and_changes_nothing(client, world, booked):
    booking, url = booked
    # Staff move the booking after the customer opened the cancel page (version 1).
    actions.booking_reschedule(
        booking_id=booking.pk,
        actor=Actor.system("desk"),
        new_start=MONDAY_9 + timedelta(hours=2),
        now=NOW,
    )
    response = client.post(url + "cancel/", {"version": "1"}, follow=True)
    assert "This booking was changed in the meantime" in response.text
    booking.refresh_from_db()
    assert booking.status == "confirmed"
    assert "05:00 – 06:00 (America/New_York, EDT)" in response.text


def test_changes_need_csrf(booked):
    booking, url = booked
    client = Client(enforce_csrf_checks=True)
    assert client.post(url + "cancel/", {"version": "1"}).status_code == 403
    response = client.post(url + "reschedule/", {"version": "1", "start": "2030-06-04T07:00Z"})
    assert response.status_code == 403
    booking.refresh_from_db()
    assert booking.status == "confirmed" and booking.start == MONDAY_9


def test_manage_page_itself_accepts_no_post(client, booked):
    _, url = booked
    assert client.post(url).status_code == 405


def test_reschedule_picker_confirm_and_move(client, world, booked):
    booking, url = booked
    picker = client.get(url + "reschedule/?day=2030-06-04")
    assert picker.status_code == 200
    assert "Choose a new time" in picker.text
    assert "Tuesday, 4 June 2030" in picker.text
    # Times in New York; Tuesday 10:00 Berlin = 04:00 New York.
    assert ">04:00<" in picker.text

    confirm = client.get(url + "reschedule/?start=2030-06-04T08:00Z")
    assert confirm.status_code == 200
    assert "Monday, 3 June 2030, 03:00 – 04:00 (America/New_York, EDT)" in confirm.text
    assert "Tuesday, 4 June 2030, 04:00 – 05:00 (America/New_York, EDT)" in confirm.text
    assert f'name="provider" value="{world.alex.pk}"' in confirm.text  # stays with Alex

    form = {"version": "1", "start": "2030-06-04T08:00Z", "provider": str(world.alex.pk)}
    response = client.post(url + "reschedule/", form, follow=True)
    assert "Your booking is moved to Tuesday, 4 June 2030, 04:00" in response.text
    booking.refresh_from_db()
    assert booking.start == datetime(2030, 6, 4, 8, 0, tzinfo=UTC)
    assert booking.reschedule_count == 1 and booking.version == 2
    assert Message.objects.filter(booking=booking, kind="rescheduled").count() == 1

    # Double submit: acts once.
    response = client.post(url + "reschedule/", form, follow=True)
    assert "changed in the meantime" in response.text
    assert booking.events.filter(kind="rescheduled").count() == 1


def test_reschedule_to_a_taken_time_shows_fresh_times(client, world, booked):
    booking, url = booked
    world.page.any_provider = False
    world.page.save()
    factories.custom_booking(
        world.business,
        service=world.service,
        provider=world.alex,
        customer=world.customer,
        start=datetime(2030, 6, 4, 8, 0, tzinfo=UTC),
        now=NOW,
    )
    form = {"version": "1", "start": "2030-06-04T08:00Z", "provider": str(world.alex.pk)}
    response = client.post(url + "reschedule/", form)
    assert response.status_code == 302
    assert "reschedule/?day=2030-06-04" in response["Location"]
    page = client.get(response["Location"])
    assert "That time is no longer available" in page.text
    assert "start=2030-06-04T08%3A00Z" not in page.text
    booking.refresh_from_db()
    assert booking.start == MONDAY_9


def test_any_provider_page_offers_other_providers_times_when_chosen(client, world, booked):
    booking, url = booked
    # Alex is busy on Tuesday 10:00; Blake is free, and the page allows any provider: the
    # customer who booked Alex gets Blake only by choosing Blake.
    factories.custom_booking(
        world.business,
        service=world.service,
        provider=world.alex,
        customer=world.customer,
        start=datetime(2030, 6, 4, 8, 0, tzinfo=UTC),
        now=NOW,
    )
    kept = client.get(url + "reschedule/?start=2030-06-04T08:00Z")
    assert "That time is no longer available" in kept.text
    confirm = client.get(url + f"reschedule/?provider={world.blake.pk}&start=2030-06-04T08:00Z")
    assert "different person" in confirm.text
    assert f'name="provider" value="{world.blake.pk}"' in confirm.text
    form = {"version": "1", "start": "2030-06-04T08:00Z", "provider": str(world.blake.pk)}
    client.post(url + "reschedule/", form)
    booking.refresh_from_db()
    assert booking.provider == world.blake


def test_self_service_off_shows_no_options_and_the_contact(client, world):
    booking = factories.custom_booking(
        world.business,
        service=world.service,
        provider=world.alex,
        customer=world.customer,
        start=MONDAY_9,
        policy=SelfServicePolicy.off(),
        now=NOW,
    )
    token = actions.token_issue(booking=booking, purpose="manage", now=NOW)
    url = f"/manage/{token}/"
    response = client.get(url)
    assert response.status_code == 200
    assert "This booking cannot be cancelled online." in response.text
    assert "Cancel booking" not in response.text and ">Reschedule<" not in response.text
    assert "desk@acme.test" in response.text
    # The option pages are not there either, and a POST is refused by the action.
    follow = client.get(url + "cancel/", follow=True)
    assert "This booking cannot be cancelled online." in follow.text
    response = client.post(url + "cancel/", {"version": "1"}, follow=True)
    assert "cannot be cancelled online" in response.text
    booking.refresh_from_db()
    assert booking.status == "confirmed"


def test_after_the_deadline_no_options_and_a_plain_reason(client, booked, frozen_clock):
    booking, url = booked
    frozen_clock.move_to(MONDAY_9 - timedelta(hours=23))
    response = client.get(url)
    assert "Changes online were possible until 24 hours before the appointment." in response.text
    assert "Cancel booking" not in response.text
    assert ">Reschedule<" not in response.text
    response = client.post(url + "cancel/", {"version": "1"}, follow=True)
    assert "Changes online were possible until" in response.text
    booking.refresh_from_db()
    assert booking.status == "confirmed"


def test_reschedule_limit_is_explained_while_cancel_stays(client, world):
    world.page.max_reschedules = 0
    world.page.save()
    _booking, token = actions.booking_create_web(
        page=world.page,
        service=world.service,
        provider=world.alex,
        start=MONDAY_9,
        customer=actions.CustomerDetails(name="Dana", email="dana@example.test"),
        now=NOW,
    )
    response = client.get(f"/manage/{token}/")
    assert "Cancel booking" in response.text
    assert ">Reschedule<" not in response.text
    assert "rescheduled the maximum number of times" in response.text


def test_calendar_file(client, booked):
    booking, url = booked
    response = client.get(url + "calendar.ics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert f'filename="{booking.reference}.ics"' in response["Content-Disposition"]
    body = response.content.decode()
    assert "METHOD:PUBLISH" in body and "DTSTART:20300603T070000Z" in body
    client.post(url + "cancel/", {"version": "1"})
    assert client.get(url + "calendar.ics").status_code == 404


def _bad_link_pages(client, booked, frozen_clock) -> list[str]:
    booking, _ = booked
    pages = []
    for raw in ("x" * 43, "not a token!", "%00", "a" * 500):
        response = client.get(f"/manage/{raw}/")
        assert response.status_code == 404
        pages.append(response.text)
    rate_token = actions.token_issue(booking=booking, purpose=BookingToken.Purpose.RATE, now=NOW)
    response = client.get(f"/manage/{rate_token}/")  # a real token, for another purpose
    assert response.status_code == 404
    pages.append(response.text)
    frozen_clock.move_to(booking.end + timedelta(days=61))
    _, url = booked
    response = client.get(url)  # expired
    assert response.status_code == 404
    pages.append(response.text)
    return pages


def test_bad_links_all_get_the_same_plain_404(client, booked, frozen_clock):
    pages = _bad_link_pages(client, booked, frozen_clock)
    assert len(set(pages)) == 1
    assert "This link is not valid" in pages[0]
    assert "Traceback" not in pages[0]


def test_repeated_bad_links_are_rate_limited(client, booked):
    _, url = booked
    for _ in range(ratelimit.BAD_TOKEN_LIMIT):
        assert client.get("/manage/" + "x" * 43 + "/").status_code == 404
    response = client.get("/manage/" + "y" * 43 + "/")
    assert response.status_code == 429
    assert response["Retry-After"]
    # While limited, even a good link waits, so guessing cannot hide among good links.
    assert client.get(url).status_code == 429
    # Another client is not affected.
    other = Client(REMOTE_ADDR="10.9.8.7")
    assert other.get(url).status_code == 200


def test_good_links_do_not_count_towards_the_limit(client, booked):
    _, url = booked
    for _ in range(ratelimit.BAD_TOKEN_LIMIT + 5):
        assert client.get(url).status_code == 200


def test_the_current_time_is_marked_not_offered(client, booked):
    _, url = booked
    response = client.get(url + "reschedule/?day=2030-06-03")
    assert "your current time" in response.text
    assert "start=2030-06-03T07%3A00Z" not in response.text
