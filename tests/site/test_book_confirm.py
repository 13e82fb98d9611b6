"""The booking page's confirm: a taken time never loses what the customer typed, and a double
submit (or a retry after a lost answer) shows the same confirmation and books once."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from slotwise.api.models import IdempotencyRecord
from slotwise.bookings.models import Booking
from slotwise.notifications.models import Message
from tests import factories
from tests.site.test_booking_page import FIRST_SLOT, URL, _details

pytestmark = pytest.mark.django_db


def _take(world, start=datetime(2030, 6, 3, 7, 0, tzinfo=UTC)):
    factories.custom_booking(
        world.business,
        service=world.service,
        provider=world.alex,
        customer=world.customer,
        start=start,
        now=datetime(2030, 5, 31, tzinfo=UTC),
    )


def _key(html: str) -> str:
    found = re.search(r'name="booking_key" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


def _summary(html: str) -> str:
    return html.split('class="summary"')[1].split("</section>")[0]


def test_taken_time_is_replaced_by_free_times_in_the_summary(client, world):
    query = {"service": world.service.pk, "provider": world.alex.pk, "start": FIRST_SLOT}
    page = client.get(URL, query).text
    assert "Monday, 3 June 2030, 09:00" in _summary(page)
    _take(world)
    response = client.post(URL, {**query, **_details(), "booking_key": _key(page)})
    html = response.text
    # The taken time is not offered any more: not in the summary, no hidden start for it.
    assert "09:00" not in _summary(html) and "When" not in _summary(html)
    assert 'name="start" value="2030-06-03T07:00Z"' not in html
    assert 'type="radio" name="start" value="2030-06-03T08:30Z"' in html
    # Days after it, too, so a full day does not send the customer away from their details.
    assert "Free times on Tuesday, 4 June 2030" in html


def test_confirm_without_a_new_time_keeps_the_details(client, world):
    query = {"service": world.service.pk, "provider": world.alex.pk, "start": FIRST_SLOT}
    page = client.get(URL, query).text
    _take(world)
    taken = client.post(URL, {**query, **_details(), "booking_key": _key(page)}).text
    retry_day = re.search(r'name="retry_day" value="([^"]+)"', taken).group(1)
    # Confirm pressed without picking one of the free times (the form has novalidate).
    form = {"service": world.service.pk, "provider": world.alex.pk, **_details()}
    response = client.post(URL, {**form, "retry_day": retry_day, "booking_key": _key(taken)})
    assert response.status_code == 200
    assert "Please choose a new time." in response.text
    assert 'value="Dana Doe"' in response.text and 'value="Dana@Example.test"' in response.text
    assert 'type="radio" name="start" value="2030-06-03T08:30Z"' in response.text
    assert Booking.objects.count() == 1
    done = client.post(
        URL,
        {
            **form,
            "start": "2030-06-03T08:30Z",
            "retry_day": retry_day,
            "booking_key": _key(response.text),
        },
    )
    assert done.status_code == 302
    assert Booking.objects.filter(customer__email="dana@example.test").count() == 1


def test_double_submit_shows_the_same_confirmation_and_books_once(client, world):
    query = {"service": world.service.pk, "provider": world.alex.pk, "start": FIRST_SLOT}
    key = _key(client.get(URL, query).text)
    form = {**query, **_details(), "booking_key": key}
    first = client.post(URL, form)
    second = client.post(URL, form)
    assert first.status_code == second.status_code == 302
    assert "?new=1" in second["Location"]
    assert Booking.objects.count() == 1
    assert Message.objects.filter(kind=Message.Kind.CONFIRMATION).count() == 1
    for response in (first, second):
        page = client.get(response["Location"])
        assert page.status_code == 200 and Booking.objects.get().reference in page.text


def test_the_form_key_with_other_details_is_not_a_replay(client, world):
    query = {"service": world.service.pk, "provider": world.alex.pk, "start": FIRST_SLOT}
    key = _key(client.get(URL, query).text)
    assert client.post(URL, {**query, **_details(), "booking_key": key}).status_code == 302
    other = {**query, "start": "2030-06-03T08:30Z", **_details(), "booking_key": key}
    response = client.post(URL, other)
    assert response.status_code == 200
    assert "already used for a booking with other details" in response.text
    assert _key(response.text) != key
    assert Booking.objects.count() == 1
    again = client.post(URL, {**other, "booking_key": _key(response.text)})
    assert again.status_code == 302 and Booking.objects.count() == 2


def test_a_refused_confirm_frees_its_key(client, world):
    query = {"service": world.service.pk, "provider": world.alex.pk, "start": FIRST_SLOT}
    key = _key(client.get(URL, query).text)
    _take(world)
    client.post(URL, {**query, **_details(), "booking_key": key})
    assert not IdempotencyRecord.objects.exists()
