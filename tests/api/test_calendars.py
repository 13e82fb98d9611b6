"""The calendar connection endpoints and /busy (docs/api.md, "Calendars")."""

from __future__ import annotations

from datetime import timedelta

import pytest

from slotwise.calendars.models import BusyInterval, CalendarConflict, CalendarConnection
from tests.api.conftest import NOW, assert_error
from tests.calendars.helpers import account, conflict_for, put
from tests.calendars.ics import vcalendar, vevent
from tests.factories import local

pytestmark = pytest.mark.django_db

JUNE_3 = "DTSTART:20300603T080000Z", "DTEND:20300603T090000Z"  # Monday, 10:00-11:00 Berlin


def base(world) -> str:
    return f"providers/{world.alex.pk}/calendar-connections"


def test_connect_an_ics_address_list_it_and_see_its_busy_times(api, world, ics_feed):
    feed, url = ics_feed
    feed.body = vcalendar(vevent("dentist", *JUNE_3), extra="X-WR-CALNAME:Private\r\n")
    created = api.post(base(world), {"kind": "ics", "url": url})
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["kind"] == "ics" and body["status"] == "ok" and body["last_error"] == ""
    # The address is the secret: only its host is shown back.
    assert body["url"].endswith("/…") and "calendar.ics" not in body["url"]
    (calendar,) = body["calendars"]
    assert calendar == {
        "id": calendar["id"],
        "name": "Private",
        "check_conflicts": True,
        "write_bookings": False,
    }
    listed = api.get(base(world)).json()
    assert listed["count"] == 1 and listed["items"][0]["id"] == body["id"]
    assert api.get(f"{base(world)}/{body['id']}").json() == listed["items"][0]
    busy = api.get(
        f"providers/{world.alex.pk}/busy",
        start="2030-06-03T00:00:00+02:00",
        end="2030-06-04T00:00:00+02:00",
    ).json()["items"]
    assert busy == [
        {
            "start": "2030-06-03T10:00:00+02:00",
            "end": "2030-06-03T11:00:00+02:00",
            "source": "calendar",
            "source_id": calendar["id"],
            "calendar_name": "Private",
        }
    ]


def test_busy_lists_bookings_and_time_off_with_their_source(api, world):
    booking = api.post(
        "bookings",
        {
            "service_id": world.service.pk,
            "provider_id": world.alex.pk,
            "customer_id": world.customer.pk,
            "start": "2030-06-03T12:00:00+02:00",
        },
    )
    assert booking.status_code == 201, booking.content
    off = api.post(
        f"providers/{world.alex.pk}/time-off",
        {"start": "2030-06-03T15:00:00+02:00", "end": "2030-06-03T16:00:00+02:00"},
    )
    assert off.status_code == 201, off.content
    busy = api.get(
        f"providers/{world.alex.pk}/busy",
        start="2030-06-03T00:00:00+02:00",
        end="2030-06-04T00:00:00+02:00",
    ).json()["items"]
    assert [(b["source"], b["start"], b["end"]) for b in busy] == [
        # The booking blocks its 15 minutes of buffer after.
        ("booking", "2030-06-03T12:00:00+02:00", "2030-06-03T13:15:00+02:00"),
        ("time_off", "2030-06-03T15:00:00+02:00", "2030-06-03T16:00:00+02:00"),
    ]


def test_busy_window_is_checked(api, world):
    path = f"providers/{world.alex.pk}/busy"
    assert_error(
        api.get(path, start="2030-06-03T00:00:00Z", end="2030-06-02T00:00:00Z"),
        422,
        "invalid_input",
    )
    assert_error(
        api.get(path, start="2030-06-03T00:00:00Z", end="2030-12-03T00:00:00Z"),
        422,
        "invalid_input",
    )


def test_an_unreachable_address_is_422_calendar_unreachable_and_saves_nothing(api, world, ics_feed):
    feed, url = ics_feed
    feed.status = 404
    body = assert_error(
        api.post(base(world), {"kind": "ics", "url": url}), 422, "calendar_unreachable"
    )
    assert "404" in body["message"]
    assert not CalendarConnection.objects.exists()


def test_bad_input_is_refused(api, world):
    assert_error(
        api.post(base(world), {"kind": "ics", "url": "ftp://x.test/a"}), 422, "invalid_input"
    )
    assert_error(
        api.post(base(world), {"kind": "caldav", "url": "https://dav.example.test/"}),
        422,
        "invalid_input",
    )
    assert_error(
        api.post(base(world), {"kind": "exchange", "url": "https://x.test/"}), 422, "invalid_input"
    )


def test_another_business_sees_none_of_it(api, other_api, world, other_world, ics_feed):
    _feed, url = ics_feed
    created = api.post(base(world), {"kind": "ics", "url": url}).json()
    theirs = f"providers/{other_world.alex.pk}/calendar-connections/{created['id']}"
    assert_error(other_api.get(theirs), 404, "not_found")
    assert_error(other_api.get(f"{base(world)}/{created['id']}"), 404, "not_found")
    assert_error(other_api.delete(f"{base(world)}/{created['id']}"), 404, "not_found")
    assert_error(other_api.post(f"{base(world)}/{created['id']}/sync"), 404, "not_found")
    # Another provider of the same business does not reach it either.
    other_provider = f"providers/{world.blake.pk}/calendar-connections/{created['id']}"
    assert_error(api.get(other_provider), 404, "not_found")
    assert CalendarConnection.objects.filter(pk=created["id"]).exists()


def test_sync_now_and_delete(api, world, ics_feed):
    feed, url = ics_feed
    feed.body = vcalendar(vevent("dentist", *JUNE_3))
    created = api.post(base(world), {"kind": "ics", "url": url}).json()
    feed.status = 503
    synced = api.post(f"{base(world)}/{created['id']}/sync")
    assert synced.status_code == 200
    assert synced.json()["status"] == "stale" and "503" in synced.json()["last_error"]
    assert BusyInterval.objects.count() == 1  # kept
    feed.status = 200
    assert api.post(f"{base(world)}/{created['id']}/sync").json()["status"] == "ok"
    assert api.delete(f"{base(world)}/{created['id']}").status_code == 204
    assert not BusyInterval.objects.exists()
    assert_error(api.get(f"{base(world)}/{created['id']}"), 404, "not_found")


@pytest.mark.slow
def test_caldav_connect_choose_calendars_and_wrong_password(api, world, radicale):
    user, password, (_work, private) = account(radicale, "Work", "Private")
    put(private, "dentist", *JUNE_3)
    body = assert_error(
        api.post(
            base(world), {"kind": "caldav", "url": radicale.url, "username": user, "password": "x"}
        ),
        422,
        "calendar_unreachable",
    )
    assert "401" in body["message"]
    created = api.post(
        base(world),
        {"kind": "caldav", "url": radicale.url, "username": user, "password": password},
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert password not in created.content.decode()
    ids = {c["name"]: c["id"] for c in body["calendars"]}
    assert set(ids) == {"Work", "Private"}
    assert BusyInterval.objects.count() == 1
    two_writes = api.patch(
        f"{base(world)}/{body['id']}",
        {
            "calendars": [
                {"id": ids["Work"], "write_bookings": True},
                {"id": ids["Private"], "write_bookings": True},
            ]
        },
    )
    assert_error(two_writes, 422, "one_write_calendar")
    chosen = api.patch(
        f"{base(world)}/{body['id']}",
        {
            "calendars": [
                {"id": ids["Work"], "write_bookings": True},
                {"id": ids["Private"], "check_conflicts": False},
            ]
        },
    )
    assert chosen.status_code == 200, chosen.content
    flags = {
        c["name"]: (c["check_conflicts"], c["write_bookings"]) for c in chosen.json()["calendars"]
    }
    assert flags == {"Work": (True, True), "Private": (False, False)}
    assert not BusyInterval.objects.exists()
    assert_error(
        api.patch(f"{base(world)}/{body['id']}", {"calendars": [{"id": 999999}]}),
        422,
        "invalid_input",
    )
    later = api.post(f"{base(world)}/{body['id']}/sync").json()
    assert later["status"] == "ok"
    assert NOW + timedelta(minutes=5) == CalendarConnection.objects.get().next_sync_at


# --- conflicts ---------------------------------------------------------------------------------


def test_conflicts_are_listed_with_both_times_and_dismissed(api, other_api, world):
    moved = conflict_for(world, local(world.business, 2030, 6, 3, 10))
    gone = conflict_for(world, local(world.business, 2030, 6, 4, 10), deleted=True)
    listed = api.get("calendar-conflicts").json()
    assert listed["count"] == 2
    by_id = {c["id"]: c for c in listed["items"]}
    assert by_id[moved.pk] == {
        "id": moved.pk,
        "booking_reference": moved.booking.reference,
        "provider_id": world.alex.pk,
        "calendar_id": None,
        "calendar_name": None,
        "slotwise_start": "2030-06-03T10:00:00+02:00",
        "slotwise_end": "2030-06-03T11:00:00+02:00",
        "calendar_start": "2030-06-03T12:00:00+02:00",
        "calendar_end": "2030-06-03T13:00:00+02:00",
        "deleted": False,
        "detected_at": "2030-05-27T10:00:00+02:00",
        "resolution": "open",
        "resolved_at": None,
    }
    assert by_id[gone.pk]["deleted"] and by_id[gone.pk]["calendar_start"] is None
    one = api.get("calendar-conflicts", booking=gone.booking.reference).json()
    assert [c["id"] for c in one["items"]] == [gone.pk]

    # Another business sees none of them and can resolve none.
    assert other_api.get("calendar-conflicts").json() == {"items": [], "count": 0}
    assert_error(other_api.post(f"calendar-conflicts/{moved.pk}/dismiss"), 404, "not_found")
    assert CalendarConflict.objects.get(pk=moved.pk).resolved_at is None

    dismissed = api.post(f"calendar-conflicts/{moved.pk}/dismiss")
    assert dismissed.status_code == 200, dismissed.content
    body = dismissed.json()
    assert body["resolution"] == "dismissed" and body["resolved_at"] == "2030-05-27T10:00:00+02:00"
    assert [c["id"] for c in api.get("calendar-conflicts").json()["items"]] == [gone.pk]
    # Closed: neither answer applies any more.
    assert_error(api.post(f"calendar-conflicts/{moved.pk}/dismiss"), 404, "not_found")
    assert_error(api.post(f"calendar-conflicts/{moved.pk}/write-back"), 404, "not_found")
    assert_error(api.post("calendar-conflicts/999999/write-back"), 404, "not_found")


def test_write_back_closes_the_conflict_and_leaves_the_booking(api, world):
    conflict = conflict_for(world, local(world.business, 2030, 6, 3, 10), deleted=True)
    answered = api.post(f"calendar-conflicts/{conflict.pk}/write-back")
    assert answered.status_code == 200, answered.content
    assert answered.json()["resolution"] == "written_back"
    conflict.refresh_from_db()
    assert conflict.resolution == CalendarConflict.Resolution.WRITTEN_BACK
    assert conflict.booking.start == conflict.slotwise_start  # the booking never moves
    assert api.get("calendar-conflicts").json()["count"] == 0
