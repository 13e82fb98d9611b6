"""The provider's "Calendars" settings page and the dashboard's stale warning."""

from __future__ import annotations

import pytest
from django.urls import reverse

from slotwise.calendars.models import BusyInterval, CalendarConnection, RemoteCalendar
from slotwise.core.clock import utcnow
from tests.calendars.helpers import account, put
from tests.calendars.ics import vcalendar, vevent


def page_url(world) -> str:
    return reverse("backoffice:settings_provider_calendars", args=[world.alex.pk])


def test_the_page_explains_the_empty_state(owner_client, world):
    response = owner_client.get(page_url(world))
    assert response.status_code == 200
    text = response.content.decode()
    assert "No calendar connected yet" in text
    assert 'name="url"' in text and 'type="password"' in text
    provider_page = owner_client.get(
        reverse("backoffice:settings_provider_edit", args=[world.alex.pk])
    ).content.decode()
    assert "Manage calendars" in provider_page


def test_staff_without_settings_rights_cannot_open_it(staff_client, world):
    assert staff_client.get(page_url(world)).status_code in (302, 403)


def test_connect_an_ics_address_then_sync_and_remove(owner_client, world, ics_feed):
    feed, url = ics_feed
    feed.body = vcalendar(
        vevent("dentist", "DTSTART:20300603T080000Z", "DTEND:20300603T090000Z"),
        extra="X-WR-CALNAME:Private\r\n",
    )
    response = owner_client.post(
        reverse("backoffice:settings_calendar_connect", args=[world.alex.pk]),
        {"kind": "ics", "url": url},
    )
    assert response.status_code == 302
    connection = CalendarConnection.objects.get()
    page = owner_client.get(page_url(world)).content.decode()
    assert "Private" in page and "up to date" in page
    assert url not in page  # the secret address is not shown again
    feed.status = 500
    owner_client.post(
        reverse("backoffice:settings_calendar_sync", args=[world.alex.pk, connection.pk])
    )
    page = owner_client.get(page_url(world)).content.decode()
    assert "out of date" in page and "500" in page
    dashboard = owner_client.get(reverse("backoffice:dashboard")).content.decode()
    assert "Calendars out of date" in dashboard and world.alex.name in dashboard
    owner_client.post(
        reverse("backoffice:settings_calendar_delete", args=[world.alex.pk, connection.pk])
    )
    assert not CalendarConnection.objects.exists() and not BusyInterval.objects.exists()


def test_a_wrong_address_is_shown_on_the_form_and_saves_nothing(owner_client, world, ics_feed):
    feed, url = ics_feed
    feed.status = 404
    response = owner_client.post(
        reverse("backoffice:settings_calendar_connect", args=[world.alex.pk]),
        {"kind": "ics", "url": url},
    )
    assert response.status_code == 422
    assert "404" in response.content.decode()
    assert not CalendarConnection.objects.exists()
    missing = owner_client.post(
        reverse("backoffice:settings_calendar_connect", args=[world.alex.pk]),
        {"kind": "caldav", "url": "https://dav.example.test/"},
    )
    assert missing.status_code == 422
    assert "needs a user name" in missing.content.decode()


def test_choose_busy_and_write_calendars(owner_client, world):
    connection = CalendarConnection.objects.create(
        business=world.business,
        provider=world.alex,
        kind="caldav",
        url="https://dav.example.test/",
        username="alex",
        last_synced_at=utcnow(),
    )
    work, private = (
        RemoteCalendar.objects.create(connection=connection, provider=world.alex, url=u, name=n)
        for u, n in (
            ("https://dav.example.test/w/", "Work"),
            ("https://dav.example.test/p/", "Private"),
        )
    )
    BusyInterval.objects.create(
        business=world.business,
        provider=world.alex,
        remote_calendar=private,
        start=utcnow(),
        end=utcnow().replace(year=2031),
    )
    owner_client.post(
        reverse("backoffice:settings_calendar_choose", args=[world.alex.pk, connection.pk]),
        {f"busy-{work.pk}": "on", "write": str(work.pk)},
    )
    work.refresh_from_db()
    private.refresh_from_db()
    assert (work.is_busy_source, work.is_write_target) == (True, True)
    assert (private.is_busy_source, private.is_write_target) == (False, False)
    assert not BusyInterval.objects.exists()
    page = owner_client.get(page_url(world)).content.decode()
    assert f'id="write-{work.pk}" checked' in page


@pytest.mark.slow
def test_connect_caldav_from_the_page_and_a_wrong_password(owner_client, world, radicale):
    user, password, (work,) = account(radicale, "Work")
    put(work, "dentist", "DTSTART:20300603T080000Z", "DTEND:20300603T090000Z")
    url = reverse("backoffice:settings_calendar_connect", args=[world.alex.pk])
    wrong = owner_client.post(
        url, {"kind": "caldav", "url": radicale.url, "username": user, "password": "nope"}
    )
    assert wrong.status_code == 422 and "401" in wrong.content.decode()
    assert "nope" not in wrong.content.decode()  # the password is not sent back
    ok = owner_client.post(
        url, {"kind": "caldav", "url": radicale.url, "username": user, "password": password}
    )
    assert ok.status_code == 302
    assert RemoteCalendar.objects.get().name == "Work"
