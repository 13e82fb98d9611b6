"""Hostile input on the customer pages: the booking page's steps, cancel and reschedule by link.

Every submission is answered with a page (a message on the form, a note, or a 4xx for a link
that makes no sense) and never with a server error; a submission carrying a value no form may
accept changes no row of the database. A valid submission, sent the same way, does write:
that is the control showing the snapshot would notice.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from hypothesis import given, settings
from hypothesis import strategies as st

from slotwise.bookings import actions
from slotwise.bookings.models import Booking
from tests.conftest import World
from tests.fuzz import hostile
from tests.fuzz.hostile import FUZZ, Attack, bad, odd
from tests.support.limits import forget_limits

pytestmark = pytest.mark.django_db

URL = "/book/acme/book/"
#: Monday 3 June 2030, 09:00 in Berlin: the first slot of the week the clock looks at.
FIRST_SLOT = "2030-06-03T07:00Z"

#: Slot starts as links carry them (UTC minutes): malformed, impossible, or far away.
starts = st.one_of(
    bad(
        "",
        "2030-06-03T07:00",
        "2030-06-03 07:00Z",
        "2031-02-30T10:00Z",
        "2030-06-03T25:00Z",
        "0000-01-01T00:00Z",
        "2030-06-03T07:00Z\x00",
        "\x00",
        "x" * hostile.HUGE,
        "2030-06-03T07:05Z",  # not on the slot grid
        "2030-05-01T07:00Z",  # in the past
    ),
    odd(
        "9999-12-31T23:59Z",
        "9999-12-31T00:00Z",
        "0001-01-01T00:00Z",
        "2031-03-30T00:30Z",  # 02:30 in Berlin does not exist that night
        "2031-10-26T00:30Z",  # 02:30 in Berlin happens twice that night
        [FIRST_SLOT, "2030-06-03T08:00Z"],
    ),
)
zones = odd(
    "Europe/Berlin",
    "Mars/Base",
    "Europe/Berlin\x00",
    "\x00",
    "x" * hostile.HUGE,
    "Pacific/Kiritimati",
    "Etc/GMT+12",
    "America/St_Johns",
    "../../../etc/passwd",
    "",
)
months = odd(
    "2030-06", "9999-12", "0001-01", "0000-00", "2030-13", "2030-6", "\x00", "99999-01", "2031-02"
)
days = odd(*hostile.bad_dates, *hostile.odd_dates, "2031-03-30", "2030-06-03")


def _details(**extra: hostile.Value) -> dict[str, hostile.Value]:
    return {
        "service": "1",
        "provider": "any",
        "start": FIRST_SLOT,
        "tz": "Europe/Berlin",
        "name": "Dana Doe",
        "email": "dana@example.test",
        "phone": "+49 30 1234",
        "notes": "First visit",
        **extra,
    }


def _confirmed(response: Any) -> bool:
    return response.status_code == 302 and response["Location"].startswith("/manage/")


def _refused_on_page(response: Any) -> bool:
    """A form error on the page, or back to the booking page to choose again."""
    if response.status_code in (200, 422):
        return hostile.shows_error(response)
    if response.status_code == 302:
        return response["Location"].startswith(URL)
    return 400 <= response.status_code < 500


DETAILS_FIELDS = {
    "name": hostile.text(200),
    "email": hostile.email(),
    "phone": hostile.text(40, required=False),
    "notes": hostile.text(2000, required=False),
    "start": starts,
    "tz": zones,
    "provider": st.one_of(hostile.row_id(), odd("any", "ANY", "", ["any", "1"])),
    # With one service on the page, an unknown service is simply that one: odd, not wrong.
    "service": hostile.lenient(st.one_of(hostile.row_id(), odd("1", ""))),
}


@FUZZ
@given(attack=hostile.attacks({}, DETAILS_FIELDS))
def test_booking_details_refuse_hostile_input(client: Client, world: World, attack: Attack) -> None:
    data = {**_details(service=str(world.service.pk)), **attack.data}
    before = hostile.snapshot()
    response = hostile.post(client, URL, data)
    assert response.status_code < 500, attack
    if _confirmed(response):
        assert not attack.must_fail, attack
        return
    assert _refused_on_page(response), (attack.broken, response.status_code)
    assert hostile.changed(before, hostile.snapshot()) == [], attack.broken


@FUZZ
@given(
    params=st.fixed_dictionaries(
        {},
        optional={
            "service": st.one_of(hostile.row_id(), odd("1")),
            "provider": st.one_of(hostile.row_id(), odd("any", "1", "2")),
            "month": months,
            "day": days,
            "start": starts,
            "tz": zones,
        },
    )
)
def test_booking_steps_read_any_query(client: Client, world: World, params: dict[str, Any]) -> None:
    """Every step is a GET: whatever the query says, a page (or 404), and nothing written."""
    data = {k: v for k, (v, _invalid) in params.items()}
    before = hostile.snapshot()
    for htmx in (False, True):
        headers = {"HX-Request": "true"} if htmx else {}
        response = hostile.get(client, URL, data, headers=headers)
        assert response.status_code in (200, 404), (params, response.status_code)
    assert hostile.changed(before, hostile.snapshot()) == []


# --- manage by link ---------------------------------------------------------------------


class Bookings:
    """A confirmed web booking to aim at; a new one (another day) once one is cancelled."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.made = 0
        self.booking, self.token = self._make()

    def _make(self) -> tuple[Booking, str]:
        start = datetime(2030, 6, 3, 7, 0, tzinfo=UTC) + timedelta(days=self.made)
        self.made += 1
        return actions.booking_create_web(
            page=self.world.page,
            service=self.world.service,
            provider=self.world.alex,
            start=start,
            customer=actions.CustomerDetails(name="Dana Doe", email="dana@example.test"),
            now=datetime(2030, 6, 1, 8, 0, tzinfo=UTC),
        )

    def current(self) -> tuple[Booking, str]:
        self.booking.refresh_from_db()
        if self.booking.status != Booking.Status.CONFIRMED:
            self.booking, self.token = self._make()
        return self.booking, self.token


@pytest.fixture
def bookings(world: World) -> Bookings:
    return Bookings(world)


CANCEL_FIELDS = {
    "reason": hostile.text(2000, required=False),
    "version": hostile.integer(low=1),
    "tz": zones,
}


@FUZZ
@given(attack=hostile.attacks({}, CANCEL_FIELDS))
def test_cancel_by_link_refuses_hostile_input(
    client: Client, bookings: Bookings, attack: Attack
) -> None:
    forget_limits()
    booking, token = bookings.current()
    data = {"version": str(booking.version), "reason": "Feeling unwell", **attack.data}
    before = hostile.snapshot()
    response = hostile.post(client, f"/manage/{token}/cancel/", data)
    assert response.status_code < 500, attack
    booking.refresh_from_db()
    if booking.status == Booking.Status.CANCELLED:
        assert not attack.must_fail, attack
        return
    assert response.status_code in (200, 302), attack
    if response.status_code == 200:
        assert hostile.shows_error(response), attack.broken
    assert hostile.changed(before, hostile.snapshot()) == [], attack.broken


RESCHEDULE_FIELDS = {
    "start": starts,
    "version": hostile.integer(low=1),
    # An unknown provider leaves the booking with its own: odd, not wrong.
    "provider": hostile.lenient(st.one_of(hostile.row_id(), odd("1", "2", ""))),
    "tz": zones,
}


@FUZZ
@given(attack=hostile.attacks({}, RESCHEDULE_FIELDS))
def test_reschedule_by_link_refuses_hostile_input(
    client: Client, bookings: Bookings, attack: Attack
) -> None:
    forget_limits()
    booking, token = bookings.current()
    # A free time other than the booking's own (a move to the same time changes nothing).
    free = "2030-06-10T12:00Z" if booking.start.hour != 12 else "2030-06-10T13:00Z"
    data = {
        "version": str(booking.version),
        "start": free,
        "provider": str(booking.provider_id),
        **attack.data,
    }
    before = hostile.snapshot()
    response = hostile.post(client, f"/manage/{token}/reschedule/", data)
    assert response.status_code < 500, attack
    assert response.status_code == 302, attack
    moved = Booking.objects.get(pk=booking.pk)
    if moved.version != booking.version:
        assert not attack.must_fail, attack
        return
    assert hostile.changed(before, hostile.snapshot()) == [], attack.broken
    shown = client.get(response["Location"])
    assert shown.status_code == 200
    assert hostile.shows_error(shown), attack


@settings(FUZZ, max_examples=8)
@given(
    params=st.fixed_dictionaries(
        {}, optional={"month": months, "day": days, "start": starts, "tz": zones}
    )
)
def test_reschedule_choices_read_any_query(
    client: Client, bookings: Bookings, params: dict[str, Any]
) -> None:
    """The day and time choices of a reschedule are GETs: a page, and nothing written."""
    forget_limits()
    _booking, token = bookings.current()
    data = {k: v for k, (v, _invalid) in params.items()}
    before = hostile.snapshot()
    for path, htmx in (("reschedule/", False), ("reschedule/", True), ("", False)):
        headers = {"HX-Request": "true"} if htmx else {}
        response = hostile.get(client, f"/manage/{token}/{path}", data, headers=headers)
        assert response.status_code in (200, 302), (path, params, response.status_code)
    assert hostile.changed(before, hostile.snapshot()) == []


@pytest.mark.parametrize(
    "token",
    ["\x00", "a" * 5000, "%00", "..", "tok\u202een", "😀", "' OR 1=1 --"],
)
def test_nonsense_links_are_404(client: Client, world: World, token: str) -> None:
    from urllib.parse import quote

    before = hostile.snapshot()
    for path in ("", "cancel/", "reschedule/", "calendar.ics"):
        response = client.get(f"/manage/{quote(token, safe='')}/{path}")
        assert response.status_code in (404, 429), (token, path)
    response = hostile.post(client, f"/manage/{quote(token, safe='')}/cancel/", {"version": "1"})
    assert response.status_code in (404, 429)
    assert hostile.changed(before, hostile.snapshot()) == []


# --- controls: the same submissions, valid, do write ---------------------------------------


def test_control_valid_booking_is_written(client: Client, world: World) -> None:
    before = hostile.snapshot()
    response = hostile.post(client, URL, _details(service=str(world.service.pk)))
    assert _confirmed(response)
    assert "bookings.booking" in hostile.changed(before, hostile.snapshot())


def test_control_valid_cancel_and_reschedule_are_written(
    client: Client, bookings: Bookings
) -> None:
    booking, token = bookings.current()
    before = hostile.snapshot()
    data = {"version": str(booking.version), "start": "2030-06-10T12:00Z"}
    response = hostile.post(client, f"/manage/{token}/reschedule/", data)
    assert response.status_code == 302
    assert "bookings.booking" in hostile.changed(before, hostile.snapshot())
    booking.refresh_from_db()
    assert booking.start == datetime(2030, 6, 10, 12, 0, tzinfo=UTC)

    before = hostile.snapshot()
    data = {"version": str(booking.version), "reason": "Feeling unwell"}
    hostile.post(client, f"/manage/{token}/cancel/", data)
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED
    assert booking.cancellation_reason == "Feeling unwell"
    assert "bookings.booking" in hostile.changed(before, hostile.snapshot())
