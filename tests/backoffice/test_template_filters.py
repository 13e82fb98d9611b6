"""The backoffice's template filters on their edge inputs: empty values, odd zones, bad numbers
(docs/guide.md: every time is shown with its zone)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from slotwise.backoffice.templatetags import backoffice as tags

BERLIN = ZoneInfo("Europe/Berlin")
NOON_UTC = datetime(2030, 6, 3, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        (BERLIN, "Europe/Berlin"),
        ("Europe/Helsinki", "Europe/Helsinki"),
        ("", "UTC"),
        ("Nowhere/Atlantis", "UTC"),
    ],
)
def test_a_zone_is_read_from_a_zone_a_name_or_nothing(zone, expected):
    assert tags._tz(zone).key == expected


def test_empty_times_show_nothing_rather_than_failing():
    for name in ("at", "short", "clock"):
        assert getattr(tags, name)(None, BERLIN) == ""


def test_short_and_clock_are_in_the_zone_with_its_name():
    assert tags.short(NOON_UTC, "Europe/Berlin") == "Mon 3 Jun, 14:00 CEST"
    assert tags.clock(NOON_UTC, BERLIN) == "14:00"


def test_history_instants_are_read_back_only_when_they_carry_a_zone():
    assert tags.iso_instant(NOON_UTC) == "2030-06-03T12:00:00+00:00"
    assert tags.iso_instant(None) == ""
    assert tags.parse_instant(NOON_UTC) is NOON_UTC
    assert tags.parse_instant("2030-06-03T12:00:00+00:00") == NOON_UTC
    assert tags.parse_instant("2030-06-03T12:00:00") is None  # no zone: not an instant
    assert tags.parse_instant("yesterday") is None


def test_deadline_words_use_the_one_wording_of_durations():
    assert tags.deadline_words(0) == "until the appointment starts"
    assert tags.deadline_words(1440) == "until 24 hours before the appointment"


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [(None, "EUR", ""), ("", "EUR", ""), ("1234.5", "EUR", "1,234.50 EUR"), (40, "", "40.00")],
)
def test_money(amount, currency, expected):
    assert tags.money(amount, currency) == expected


@pytest.mark.parametrize(
    ("value", "expected"), [(4.4, "★★★★☆"), ("5", "★★★★★"), ("n/a", ""), (None, "")]
)
def test_stars(value, expected):
    assert tags.stars(value) == expected
