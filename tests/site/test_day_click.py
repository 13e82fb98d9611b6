"""A day click in the booking page's calendar fetches only that day's times (htmx), from the
month's cached answer; without JavaScript the same link is the whole page."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from slotwise.bookings import availability_cache
from tests import factories

pytestmark = pytest.mark.django_db

URL = "/book/acme/book/"
TIMES = {"HX-Request": "true", "HX-Target": "times"}


def _ask(world, **extra):
    return {"service": world.service.pk, "provider": "any", **extra}


def test_a_day_click_answers_only_the_days_times(client, world):
    month = client.get(URL, _ask(world, month="2030-06"), headers={"HX-Request": "true"})
    assert 'hx-target="#times"' in month.text  # the days ask for the times only
    availability_cache.stats.clear()
    with CaptureQueriesContext(connection) as read:
        response = client.get(URL, _ask(world, day="2030-06-04"), headers=TIMES)
    assert response.status_code == 200
    text = response.text
    assert text.lstrip().startswith('<section id="times"')
    assert "Tuesday, 4 June 2030" in text
    assert "09:00" in text and "start=2030-06-04T07%3A00Z" in text
    assert "<table" not in text and "June 2030" not in text.replace("4 June 2030", "")
    # The month's answer the calendar was drawn from: a hit; the versions came with the
    # providers (one statement).
    assert availability_cache.stats == {"hit": 1}
    versions = [q for q in read.captured_queries if "availabilityversion" in q["sql"]]
    assert len(versions) == 1
    # Besides the rate-limit count (one statement): the page, its services, and its
    # providers with their versions.
    ours = [q["sql"] for q in read.captured_queries if "core_ratecounter" not in q["sql"]]
    assert len(ours) == 3, ours
    assert len(read.captured_queries) == 4


def test_a_day_click_without_javascript_is_the_whole_page(client, world):
    response = client.get(URL, _ask(world, day="2030-06-04"))
    assert "<html" in response.text
    assert "<table" in response.text and "Tuesday, 4 June 2030" in response.text


def test_a_day_taken_meanwhile_redraws_the_calendar(client, world):
    client.get(URL, _ask(world, month="2030-06"), headers={"HX-Request": "true"})
    from slotwise.catalog import services as catalog

    for provider in (world.alex, world.blake):
        catalog.time_off_create(
            business=world.business,
            provider=provider,
            start=factories.local(world.business, 2030, 6, 4, 0),
            end=factories.local(world.business, 2030, 6, 5, 0),
        )
    response = client.get(URL, _ask(world, day="2030-06-04"), headers=TIMES)
    assert response["HX-Retarget"] == "#picker"
    assert response.text.lstrip().startswith('<div id="picker"')
    assert "no free times left" in response.text
    assert "day=2030-06-04" not in response.text  # no longer a link in the calendar
    assert "day=2030-06-05" in response.text
