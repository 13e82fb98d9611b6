"""The self-service window closes at one exact instant, also when the clocks change inside it.

The rule (docs/guide.md, "The exact rules of self-service"): the customer may change a
booking while "now is no later than start - latest change time", in absolute time. So the
window is still open AT the deadline and closed one microsecond after it. A 24-hour window
before 09:00 on the Sunday of a clock change closes 24 real hours earlier, which is 08:00 or
10:00 (09:30 or 08:30 on Lord Howe) on Saturday's clock; the tests prove this on the manage
page and on the manage API, with the clock stopped by time-machine.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client

from slotwise.bookings.models import Booking
from slotwise.site.views.common import start_param
from tests.bookings.helpers import database_state
from tests.time.scenarios import DEADLINE_CASES, DeadlineCase, Shop, book_web, build_shop

pytestmark = pytest.mark.django_db

ONE_MICROSECOND = timedelta(microseconds=1)
ONE_SECOND = timedelta(seconds=1)
CASES = [pytest.param(c, id=c.id) for c in DEADLINE_CASES]


def _book(case: DeadlineCase) -> tuple[Shop, Booking, str]:
    shop = build_shop(case.zone)
    shop.page.change_deadline_minutes = case.minutes
    shop.page.save(update_fields=["change_deadline_minutes"])
    booking, token = book_web(shop, start=case.start, customer_zone=case.customer_zone)
    return shop, booking, token


def _closed_message(case: DeadlineCase) -> str:
    return f"Changes online were possible until {case.window_words} before the appointment."


def _later_start(case: DeadlineCase) -> datetime:
    """Two hours after the booked time on the same day: free, and its window still open."""
    return case.start_utc + timedelta(hours=2)


@pytest.mark.parametrize("case", CASES)
def test_case_table_spans_a_clock_change(case: DeadlineCase) -> None:
    """The expectations are real DST cases: wall-clock and real lengths of the window differ."""
    assert case.start.astimezone(UTC) == case.start_utc
    assert case.start_utc - case.deadline_utc == timedelta(minutes=case.minutes)
    local_deadline = datetime.fromisoformat(case.deadline_api)
    assert local_deadline == case.deadline_utc
    wall = case.start_local - local_deadline.replace(tzinfo=None)
    assert wall == timedelta(hours=case.local_hours)
    assert wall != timedelta(minutes=case.minutes)


@pytest.mark.parametrize("case", CASES)
def test_manage_page_offers_changes_until_the_deadline_and_refuses_after(
    case: DeadlineCase,
) -> None:
    _shop, booking, token = _book(case)
    assert booking.start == case.start_utc
    assert booking.change_deadline == case.deadline_utc
    url = f"/manage/{token}/"
    cancel_link, reschedule_link = f'href="{url}cancel/"', f'href="{url}reschedule/"'
    client = Client()

    # One second before: both options, with the deadline in the customer's own zone.
    with time_machine.travel(case.deadline_utc - ONE_SECOND, tick=False):
        page = client.get(url)
        assert page.status_code == 200
        assert cancel_link in page.text and reschedule_link in page.text
        assert f"reschedule online until {case.deadline_for_customer}." in page.text
        assert case.when_for_customer in page.text
        assert _closed_message(case) not in page.text
        assert "Cancel this booking?" in client.get(url + "cancel/").text

    # One microsecond after: no option, the reason, and every attempt changes nothing.
    with time_machine.travel(case.deadline_utc + ONE_MICROSECOND, tick=False):
        before = database_state()
        page = client.get(url)
        assert page.status_code == 200
        assert cancel_link not in page.text and reschedule_link not in page.text
        assert _closed_message(case) in page.text
        assert booking.business.contact_email in page.text  # how to reach the business instead
        for path in ("cancel/", "reschedule/"):
            opened = client.get(url + path)
            assert opened.status_code == 302 and opened["Location"] == url
        refused = client.post(url + "cancel/", {"version": "1"}, follow=True)
        assert _closed_message(case) in refused.text
        refused = client.post(
            url + "reschedule/",
            {"version": "1", "start": start_param(_later_start(case))},
            follow=True,
        )
        assert _closed_message(case) in refused.text
        assert database_state() == before

    # Exactly at the deadline the window is still open ("no later than"): the cancel works.
    with time_machine.travel(case.deadline_utc, tick=False):
        page = client.get(url)
        assert cancel_link in page.text
        done = client.post(url + "cancel/", {"version": "1"}, follow=True)
        assert "Your booking is cancelled." in done.text
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED
    assert booking.cancelled_by == "customer"
    assert booking.cancelled_at == case.deadline_utc


def _api_post(client: Client, path: str, body: dict[str, Any]) -> Any:
    return client.post(f"/api/v1/{path}", json.dumps(body), content_type="application/json")


@pytest.mark.parametrize("case", CASES)
def test_manage_api_closes_at_the_deadline(case: DeadlineCase) -> None:
    _shop, booking, token = _book(case)
    client = Client()
    later = _later_start(case)

    with time_machine.travel(case.deadline_utc + ONE_MICROSECOND, tick=False):
        before = database_state()
        body = client.get(f"/api/v1/manage/{token}").json()
        assert body["allowed_actions"] == []
        assert body["change_deadline"] == case.deadline_api
        for action in ("cancel", "reschedule"):
            assert body["refusals"][action] == {
                "code": "change_window_closed",
                "message": _closed_message(case),
            }
        refused = _api_post(client, f"manage/{token}/cancel", {"reason": "late"})
        assert refused.status_code == 409
        assert refused.json()["code"] == "change_window_closed"
        refused = _api_post(client, f"manage/{token}/reschedule", {"start": later.isoformat()})
        assert refused.status_code == 409
        assert refused.json()["code"] == "change_window_closed"
        assert client.get(f"/api/v1/manage/{token}/availability").status_code == 409
        assert database_state() == before

    # A second before: both allowed; the reschedule moves the booking and its deadline.
    with time_machine.travel(case.deadline_utc - ONE_SECOND, tick=False):
        body = client.get(f"/api/v1/manage/{token}").json()
        assert body["allowed_actions"] == ["cancel", "reschedule"]
        assert body["refusals"] == {}
        free = client.get(
            f"/api/v1/manage/{token}/availability",
            {"start": case.start_utc.isoformat(), "end": (later + ONE_SECOND).isoformat()},
        ).json()["slots"]
        assert later in [datetime.fromisoformat(s["start"]) for s in free]
        moved = _api_post(client, f"manage/{token}/reschedule", {"start": later.isoformat()})
        assert moved.status_code == 200, moved.content
        new_deadline = later - timedelta(minutes=case.minutes)
        assert datetime.fromisoformat(moved.json()["change_deadline"]) == new_deadline
    booking.refresh_from_db()
    assert (booking.start, booking.end) == (later, later + timedelta(hours=1))
    assert booking.reschedule_count == 1

    # The moved booking's window closes two hours later than the old one, at its own instant.
    with time_machine.travel(new_deadline + ONE_MICROSECOND, tick=False):
        refused = _api_post(client, f"manage/{token}/cancel", {})
        assert refused.json()["code"] == "change_window_closed"
    with time_machine.travel(new_deadline, tick=False):
        done = _api_post(client, f"manage/{token}/cancel", {})
        assert done.status_code == 200, done.content
        assert done.json()["booking"]["status"] == "cancelled"
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED
    assert booking.cancelled_at == new_deadline
