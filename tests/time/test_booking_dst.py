"""Booking on the night of a clock change: which times exist, and what a booking holds.

The night provider works 00:00-06:00 on the clock every day. The engine documents how such
a night is read: the working interval runs from the first time the clock shows 00:00 to the
last time it shows 06:00, and candidates are 30 real minutes apart from its start. So a
spring-forward night offers nothing in the skipped hour (the skipped half hour on Lord
Howe), and a fall-back night offers the repeated hour twice, as two different instants.
A booking stores UTC instants and lasts its real duration, whatever the clock does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from slotwise.bookings.models import Booking
from slotwise.catalog.models import Customer
from slotwise.site.views.common import start_param
from tests.time.scenarios import build_shop, utc

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class ChangeNight:
    """A night with a clock change, the slots it offers and a 3-hour job started at 01:00."""

    id: str
    zone: str
    day: date
    #: Every one-hour slot of the night, as local time and UTC offset, in order.
    slots: str
    #: The 3-hour booking at the first 01:00 of the night: its instants in UTC.
    job_start: datetime
    job_end: datetime
    #: What the clock shows at its end: elapsed wall-clock time differs from 3 hours.
    job_end_local: time


NIGHTS = [
    ChangeNight(
        "berlin-spring-forward",
        "Europe/Berlin",
        date(2030, 3, 31),
        "00:00+01:00 00:30+01:00 01:00+01:00 01:30+01:00 "
        "03:00+02:00 03:30+02:00 04:00+02:00 04:30+02:00 05:00+02:00",
        utc(2030, 3, 31, 0),
        utc(2030, 3, 31, 3),
        time(5, 0),
    ),
    ChangeNight(
        "berlin-fall-back",
        "Europe/Berlin",
        date(2030, 10, 27),
        "00:00+02:00 00:30+02:00 01:00+02:00 01:30+02:00 02:00+02:00 02:30+02:00 "
        "02:00+01:00 02:30+01:00 03:00+01:00 03:30+01:00 04:00+01:00 04:30+01:00 05:00+01:00",
        utc(2030, 10, 26, 23),
        utc(2030, 10, 27, 2),
        time(3, 0),
    ),
    ChangeNight(
        "new-york-spring-forward",
        "America/New_York",
        date(2030, 3, 10),
        "00:00-05:00 00:30-05:00 01:00-05:00 01:30-05:00 "
        "03:00-04:00 03:30-04:00 04:00-04:00 04:30-04:00 05:00-04:00",
        utc(2030, 3, 10, 6),
        utc(2030, 3, 10, 9),
        time(5, 0),
    ),
    ChangeNight(
        "new-york-fall-back",
        "America/New_York",
        date(2030, 11, 3),
        "00:00-04:00 00:30-04:00 01:00-04:00 01:30-04:00 01:00-05:00 01:30-05:00 "
        "02:00-05:00 02:30-05:00 03:00-05:00 03:30-05:00 04:00-05:00 04:30-05:00 05:00-05:00",
        utc(2030, 11, 3, 5),
        utc(2030, 11, 3, 8),
        time(3, 0),
    ),
    ChangeNight(
        "sydney-fall-back-april",
        "Australia/Sydney",
        date(2030, 4, 7),
        "00:00+11:00 00:30+11:00 01:00+11:00 01:30+11:00 02:00+11:00 02:30+11:00 "
        "02:00+10:00 02:30+10:00 03:00+10:00 03:30+10:00 04:00+10:00 04:30+10:00 05:00+10:00",
        utc(2030, 4, 6, 14),
        utc(2030, 4, 6, 17),
        time(3, 0),
    ),
    ChangeNight(
        "sydney-spring-forward-october",
        "Australia/Sydney",
        date(2030, 10, 6),
        "00:00+10:00 00:30+10:00 01:00+10:00 01:30+10:00 "
        "03:00+11:00 03:30+11:00 04:00+11:00 04:30+11:00 05:00+11:00",
        utc(2030, 10, 5, 15),
        utc(2030, 10, 5, 18),
        time(5, 0),
    ),
    ChangeNight(
        "lord-howe-half-hour-back",
        "Australia/Lord_Howe",
        date(2030, 4, 7),
        "00:00+11:00 00:30+11:00 01:00+11:00 01:30+11:00 01:30+10:30 02:00+10:30 "
        "02:30+10:30 03:00+10:30 03:30+10:30 04:00+10:30 04:30+10:30 05:00+10:30",
        utc(2030, 4, 6, 14),
        utc(2030, 4, 6, 17),
        time(3, 30),
    ),
    ChangeNight(
        "lord-howe-half-hour-forward",
        "Australia/Lord_Howe",
        date(2030, 10, 6),
        "00:00+10:30 00:30+10:30 01:00+10:30 01:30+10:30 "
        "02:30+11:00 03:00+11:00 03:30+11:00 04:00+11:00 04:30+11:00 05:00+11:00",
        utc(2030, 10, 5, 14, 30),
        utc(2030, 10, 5, 17, 30),
        time(4, 30),
    ),
]
CASES = [pytest.param(n, id=n.id) for n in NIGHTS]


def _local_midnights(night: ChangeNight) -> tuple[datetime, datetime]:
    tz = ZoneInfo(night.zone)
    start = datetime.combine(night.day, time(0), tzinfo=tz)
    return start, datetime.combine(night.day + timedelta(days=1), time(0), tzinfo=tz)


@pytest.mark.parametrize("case", CASES)
def test_public_availability_lists_the_change_night_as_the_engine_documents(
    case: ChangeNight,
) -> None:
    shop = build_shop(case.zone)
    start, end = _local_midnights(case)
    with time_machine.travel(start - timedelta(days=3), tick=False):
        response = Client().get(
            f"/api/v1/public/{shop.business.slug}/pages/{shop.page.slug}/availability",
            {
                "service_id": shop.night_hour.pk,
                "provider_id": shop.night_provider.pk,
                "start": start.isoformat(),
                "end": end.isoformat(),
                "timezone": case.zone,
            },
        )
    assert response.status_code == 200, response.content
    slots = response.json()["slots"]
    # Each start written with the offset the clock has at that instant, in order.
    assert " ".join(s["start"][11:16] + s["start"][19:] for s in slots) == case.slots
    instants = [datetime.fromisoformat(s["start"]) for s in slots]
    assert instants == sorted(set(instants))
    # Thirty real minutes apart, and every slot is one real hour long.
    assert {b - a for a, b in pairwise(instants)} == {timedelta(minutes=30)}
    assert all(
        datetime.fromisoformat(s["end"]) - datetime.fromisoformat(s["start"]) == timedelta(hours=1)
        for s in slots
    )


@pytest.mark.parametrize("case", CASES)
def test_three_hour_job_booked_on_the_page_lasts_three_real_hours(case: ChangeNight) -> None:
    """Booked through the public page by a visitor in another zone; the stored instants are UTC."""
    shop = build_shop(case.zone)
    first_one_am = datetime.combine(case.day, time(1), tzinfo=ZoneInfo(case.zone))
    assert first_one_am.astimezone(UTC) == case.job_start
    visitor = "Asia/Tokyo"
    url = f"/book/{shop.business.slug}/{shop.page.slug}/"
    choice = {
        "service": shop.night_service.pk,
        "provider": shop.night_provider.pk,
        "start": start_param(case.job_start),
        "tz": visitor,
    }
    client = Client()
    with time_machine.travel(case.job_start - timedelta(days=2), tick=False):
        details = client.get(url, choice)
        assert details.status_code == 200
        assert "Your name" in details.text  # the time is offered: the details step is shown
        done = client.post(url, {**choice, "name": "Kai", "email": "kai@example.test"})
    assert done.status_code == 302, done.content
    booking = Booking.objects.get(business=shop.business)
    assert (booking.start, booking.end) == (case.job_start, case.job_end)
    assert booking.end - booking.start == timedelta(hours=3)
    local_end = booking.end.astimezone(ZoneInfo(case.zone))
    assert (local_end.date(), local_end.time()) == (case.day, case.job_end_local)
    assert Customer.objects.get(business=shop.business).timezone == visitor


@pytest.mark.parametrize(
    ("zone", "first", "second"),
    [
        ("Europe/Berlin", utc(2030, 10, 27, 0), utc(2030, 10, 27, 1)),  # 02:00 CEST, 02:00 CET
        ("America/New_York", utc(2030, 11, 3, 5), utc(2030, 11, 3, 6)),  # 01:00 EDT, 01:00 EST
    ],
    ids=["berlin", "new-york"],
)
def test_the_repeated_hour_books_as_two_different_instants(
    zone: str, first: datetime, second: datetime
) -> None:
    """Both times the clock shows the same hour can be booked, each for its own real hour."""
    shop = build_shop(zone)
    tz = ZoneInfo(zone)
    assert first.astimezone(tz).replace(tzinfo=None) == second.astimezone(tz).replace(tzinfo=None)
    url = f"/book/{shop.business.slug}/{shop.page.slug}/"
    client = Client()
    with time_machine.travel(first - timedelta(days=2), tick=False):
        for n, start in enumerate((second, first)):
            done = client.post(
                url,
                {
                    "service": shop.night_hour.pk,
                    "provider": shop.night_provider.pk,
                    "start": start_param(start),
                    "tz": zone,
                    "name": f"Guest {n}",
                    "email": f"guest{n}@example.test",
                },
            )
            assert done.status_code == 302, done.content
    booked = list(Booking.objects.filter(business=shop.business).order_by("start"))
    assert [(b.start, b.end) for b in booked] == [
        (first, first + timedelta(hours=1)),
        (second, second + timedelta(hours=1)),
    ]
