"""The provider's feed page and calendar conflicts in the backoffice (docs/calendars.md)."""

from __future__ import annotations

import pytest

from slotwise.calendars.models import CalendarConflict, ProviderFeed
from slotwise.notifications.models import Message
from tests.backoffice.conftest import future_monday
from tests.calendars.helpers import conflict_for as calendar_conflict

pytestmark = pytest.mark.django_db


def test_feed_page_makes_shows_once_toggles_and_stops(owner_client, world):
    url = f"/backoffice/settings/providers/{world.alex.pk}/feed/"
    page = owner_client.get(url)
    assert page.status_code == 200 and "No calendar address yet." in page.content.decode()

    made = owner_client.post(url, {"action": "create"})
    text = made.content.decode()
    assert made.status_code == 200 and "/feeds/" in text and "shown only once" in text
    assert "/feeds/" not in owner_client.get(url).content.decode()  # never again
    assert ProviderFeed.objects.get().include_customer_contact is False

    owner_client.post(url, {"action": "contact", "include_customer_contact": "on"})
    assert ProviderFeed.objects.get().include_customer_contact is True

    assert owner_client.post(url, {"action": "revoke"}).status_code == 302
    assert not ProviderFeed.objects.filter(revoked_at=None).exists()
    assert owner_client.post(url, {"action": "nonsense"}).status_code == 200


def test_front_desk_staff_cannot_make_feeds(staff_client, world):
    url = f"/backoffice/settings/providers/{world.alex.pk}/feed/"
    assert staff_client.post(url, {"action": "create"}).status_code == 403
    assert not ProviderFeed.objects.exists()


def conflict_for(world, *, deleted: bool = False) -> CalendarConflict:
    return calendar_conflict(world, future_monday(world), deleted=deleted)


def test_conflict_on_dashboard_and_booking_page_with_both_times(staff_client, world):
    conflict = conflict_for(world)
    dashboard = staff_client.get("/backoffice/").content.decode()
    assert "Changed in the provider" in dashboard
    assert "Booking in Slotwise:" in dashboard and "In the calendar:" in dashboard
    assert "Europe/Berlin" in dashboard
    detail = staff_client.get(f"/backoffice/bookings/{conflict.booking.reference}/")
    assert "Write Slotwise" in detail.content.decode()


def test_write_back_queues_a_write_and_closes_the_conflict(staff_client, world):
    conflict = conflict_for(world, deleted=True)
    assert "In the calendar: deleted" in staff_client.get("/backoffice/").content.decode()
    response = staff_client.post(
        f"/backoffice/calendar-conflicts/{conflict.pk}/write-back/", {"next": "/backoffice/"}
    )
    assert response.status_code == 302 and response["Location"] == "/backoffice/"
    conflict.refresh_from_db()
    assert conflict.resolution == CalendarConflict.Resolution.WRITTEN_BACK
    assert conflict.booking.start == conflict.slotwise_start  # the booking never moves
    # No write calendar any more: nothing to write to, nothing queued.
    assert not Message.objects.filter(channel=Message.Channel.CALENDAR).exists()
    again = staff_client.post(f"/backoffice/calendar-conflicts/{conflict.pk}/write-back/")
    assert again.status_code == 404


def test_dismiss_closes_the_conflict_and_refuses_foreign_next(staff_client, world):
    conflict = conflict_for(world)
    response = staff_client.post(
        f"/backoffice/calendar-conflicts/{conflict.pk}/dismiss/",
        {"next": "https://evil.example/"},
    )
    assert response.status_code == 302 and response["Location"] == "/backoffice/"
    conflict.refresh_from_db()
    assert conflict.resolution == CalendarConflict.Resolution.DISMISSED
    assert "Changed in the provider" not in staff_client.get("/backoffice/").content.decode()
