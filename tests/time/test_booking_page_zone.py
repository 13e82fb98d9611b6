"""The booking page lists times in the visitor's zone, which the browser tells it with ``?tz=``.

How the zone arrives (site/views/common.py, site.js): a page opened without ``?tz=`` shows
the business's zone and marks it as a guess (``data-tz-guess="1"``), so the script reloads it
with the browser's zone as ``?tz=``; a valid ``?tz=`` is used and kept in every link and in
the booking form, and the booking stores it as the customer's zone for their emails.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.test import Client

from slotwise.bookings.models import Booking
from slotwise.notifications.models import Message
from slotwise.notifications.render import build_email
from slotwise.site.views.common import start_param
from tests.time.scenarios import Shop, build_shop, utc

pytestmark = pytest.mark.django_db

TIME_LINK = re.compile(r'<a class="time[^"]*" href="([^"]+)"[^>]*>(\d\d:\d\d)</a>')


def _times(html: str) -> list[tuple[str, str]]:
    """(label, start parameter) of every time offered on the page, in order."""
    found = []
    for href, label in TIME_LINK.findall(html):
        query = parse_qs(urlsplit(unescape(href)).query)
        found.append((label, query["start"][0]))
    return found


def _day_page(shop: Shop, day: str, *, now: datetime, night: bool = False, **query: Any) -> str:
    service = shop.night_hour if night else shop.service
    with time_machine.travel(now, tick=False):
        response = Client().get(
            f"/book/{shop.business.slug}/{shop.page.slug}/",
            {"service": service.pk, "day": day, **query},
        )
    assert response.status_code == 200
    return response.text


@pytest.fixture
def berlin() -> Shop:
    return build_shop("Europe/Berlin")


def test_without_a_zone_the_page_shows_the_business_zone_and_asks_the_browser(
    berlin: Shop,
) -> None:
    html = _day_page(berlin, "2030-06-04", now=utc(2030, 6, 1, 8))
    assert 'data-tz="Europe/Berlin" data-tz-guess="1"' in html
    labels = [label for label, _ in _times(html)]
    assert labels[0] == "09:00" and labels[-1] == "16:00" and len(labels) == 15
    assert "Times in Europe/Berlin, CEST" in html
    assert "tz=" not in "".join(href for href, _ in TIME_LINK.findall(html))


def test_an_unknown_zone_is_ignored(berlin: Shop) -> None:
    html = _day_page(berlin, "2030-06-04", now=utc(2030, 6, 1, 8), tz="Mars/Olympus_Mons")
    assert 'data-tz-guess="1"' in html
    assert _times(html)[0][0] == "09:00"


@pytest.mark.parametrize(
    ("day", "first", "last", "zone_label"),
    [
        # Both zones on winter time: six hours apart.
        ("2030-03-06", "03:00", "10:00", "America/New_York, EST"),
        # New York has moved (10 March), Berlin not yet (31 March): five hours apart.
        ("2030-03-20", "04:00", "11:00", "America/New_York, EDT"),
        # Both on summer time: six hours apart again.
        ("2030-04-03", "03:00", "10:00", "America/New_York, EDT"),
        # Berlin is back on winter time (27 October), New York not yet (3 November).
        ("2030-10-30", "04:00", "11:00", "America/New_York, EDT"),
    ],
    ids=["both-winter", "only-new-york-moved", "both-summer", "only-berlin-moved-back"],
)
def test_a_new_york_visitor_sees_berlin_hours_in_new_york_time(
    berlin: Shop, day: str, first: str, last: str, zone_label: str
) -> None:
    now = datetime.fromisoformat(day).replace(tzinfo=UTC) - timedelta(days=3)
    html = _day_page(berlin, day, now=now, tz="America/New_York")
    assert 'data-tz="America/New_York"' in html and "data-tz-guess" not in html
    times = _times(html)
    assert (times[0][0], times[-1][0], len(times)) == (first, last, 15)
    # The link still carries the instant: 09:00 on the Berlin clock that day.
    berlin_nine = datetime.fromisoformat(f"{day}T09:00").replace(tzinfo=berlin.business.tz)
    assert times[0][1] == start_param(berlin_nine)
    assert f"Times in {zone_label}" in html


def test_a_sydney_visitor_sees_the_days_split_at_their_own_midnight(berlin: Shop) -> None:
    """Berlin's 09:00-16:00 is 17:00-00:00 in Sydney: each Berlin day ends on the next date."""
    now = utc(2030, 6, 1, 8)
    fourth = _times(_day_page(berlin, "2030-06-04", now=now, tz="Australia/Sydney"))
    assert fourth[0] == ("00:00", "2030-06-03T14:00Z")  # 16:00 in Berlin on the 3rd
    assert fourth[1] == ("17:00", "2030-06-04T07:00Z")  # 09:00 in Berlin on the 4th
    assert fourth[-1][0] == "23:30" and len(fourth) == 15
    fifth = _times(_day_page(berlin, "2030-06-05", now=now, tz="Australia/Sydney"))
    assert fifth[0] == ("00:00", "2030-06-04T14:00Z")


def test_the_repeated_hour_appears_twice_with_two_different_instants(berlin: Shop) -> None:
    html = _day_page(berlin, "2030-10-27", now=utc(2030, 10, 20, 8), night=True, tz="Europe/Berlin")
    times = _times(html)
    twos = [start for label, start in times if label == "02:00"]
    assert twos == ["2030-10-27T00:00Z", "2030-10-27T01:00Z"]  # CEST first, then CET
    assert len(times) == 13 and len({start for _, start in times}) == 13


def test_the_skipped_hour_is_not_offered(berlin: Shop) -> None:
    html = _day_page(berlin, "2030-03-31", now=utc(2030, 3, 24, 8), night=True, tz="Europe/Berlin")
    labels = [label for label, _ in _times(html)]
    before, after = labels[:4], labels[4:]
    assert before == ["00:00", "00:30", "01:00", "01:30"]
    assert after == ["03:00", "03:30", "04:00", "04:30", "05:00"]


def test_booking_keeps_the_visitors_zone_for_their_emails(berlin: Shop) -> None:
    """Booked from New York for 09:00 Berlin on the Sunday of the spring change."""
    start = utc(2030, 3, 31, 7)
    url = f"/book/{berlin.business.slug}/{berlin.page.slug}/"
    with time_machine.travel(start - timedelta(days=2), tick=False):
        client = Client()
        details = client.get(
            url,
            {"service": berlin.service.pk, "start": start_param(start), "tz": "America/New_York"},
        )
        assert "Sunday, 31 March 2030, 03:00 – 04:00 (America/New_York, EDT)" in details.text
        assert '<input type="hidden" name="tz" value="America/New_York">' in details.text
        done = client.post(
            url,
            {
                "service": berlin.service.pk,
                "start": start_param(start),
                "tz": "America/New_York",
                "name": "Sam",
                "email": "sam@example.test",
            },
        )
        assert done.status_code == 302
        confirmed = client.get(done["Location"])
    assert "Sunday, 31 March 2030, 03:00 – 04:00 (America/New_York, EDT)" in confirmed.text
    booking = Booking.objects.get(business=berlin.business)
    assert booking.start == start and booking.customer.timezone == "America/New_York"
    row = Message.objects.get(booking=booking, kind=Message.Kind.CONFIRMATION)
    email = build_email(row, now=start - timedelta(days=2))
    assert "Sunday, 31 March 2030, 03:00 – 04:00 (America/New_York, EDT)" in email.body
