"""Closing a booking through the API: 409 ``invalid_state`` until the appointment has ended,
and an undo for 10 minutes that withdraws the rating request."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
import time_machine

from slotwise.notifications.models import Message
from tests.api.conftest import Api, assert_error
from tests.api.test_bookings import MON_10, book

pytestmark = pytest.mark.django_db

START = datetime.fromisoformat(MON_10)


def test_complete_and_no_show_mid_appointment_are_409(api: Api, world: Any) -> None:
    ref = book(api, world)["reference"]
    with time_machine.travel(START + timedelta(minutes=30), tick=False):
        assert_error(api.post(f"bookings/{ref}/complete"), 409, "invalid_state")
        assert_error(api.post(f"bookings/{ref}/no-show"), 409, "invalid_state")
    with time_machine.travel(START + timedelta(minutes=60), tick=False):
        done = api.post(f"bookings/{ref}/complete")
        assert done.status_code == 200 and done.json()["status"] == "completed"


def test_undo_close_within_ten_minutes(api: Api, world: Any) -> None:
    ref = book(api, world)["reference"]
    end = START + timedelta(hours=1)
    with time_machine.travel(end, tick=False):
        assert_error(api.post(f"bookings/{ref}/undo-close"), 409, "invalid_state")
        api.post(f"bookings/{ref}/complete")
    with time_machine.travel(end + timedelta(minutes=4), tick=False):
        undone = api.post(f"bookings/{ref}/undo-close")
        assert undone.status_code == 200, undone.content
        assert undone.json()["status"] == "confirmed"
    assert set(
        Message.objects.filter(kind=Message.Kind.RATING_REQUEST).values_list("status", flat=True)
    ) == {Message.Status.CANCELLED}
    with time_machine.travel(end + timedelta(minutes=5), tick=False):
        api.post(f"bookings/{ref}/no-show")
    with time_machine.travel(end + timedelta(minutes=16), tick=False):
        assert_error(api.post(f"bookings/{ref}/undo-close"), 409, "invalid_state")
    history = api.get(f"bookings/{ref}/history").json()
    assert [h["kind"] for h in history["items"]] == [
        "created",
        "completed",
        "close_undone",
        "no_show",
    ]
