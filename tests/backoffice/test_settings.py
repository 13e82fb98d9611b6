"""Settings screens: booking page changes apply only to new bookings; catalog and team edits."""

from __future__ import annotations

import re
from datetime import time, timedelta

from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from slotwise.bookings.actions import CustomerDetails, booking_create_web
from slotwise.catalog.models import Provider, Service, WorkingHours
from slotwise.core.clock import utcnow
from slotwise.core.models import Membership
from slotwise.notifications.models import NotificationSettings, ReminderRule
from tests.backoffice.conftest import future_monday


def page_data(world, **changes):
    data = {
        "title": world.page.title,
        "slug": world.page.slug,
        "intro": "",
        "services": [world.service.pk],
        "providers": [world.alex.pk, world.blake.pk],
        "any_provider": "on",
        "min_notice_minutes": 0,
        "max_days_ahead": 365,
        "slot_step_minutes": 30,
        "allow_cancel": "on",
        "allow_reschedule": "on",
        "change_deadline_minutes": 1440,
        "max_reschedules": "",
        "active": "on",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def web_booking(world, start):
    booking, _ = booking_create_web(
        page=world.page,
        service=world.service,
        provider=world.alex,
        start=start,
        customer=CustomerDetails("Robin", "robin@example.test"),
        now=utcnow(),
    )
    return booking


def test_page_form_says_changes_apply_to_new_bookings(owner_client, world):
    body = owner_client.get(
        reverse("backoffice:settings_page_edit", args=[world.page.pk])
    ).content.decode()
    assert "Changes apply to bookings made from now on." in body


def test_page_change_keeps_old_bookings_policy_and_gives_new_ones_the_new(owner_client, world):
    start = future_monday(world)
    old = web_booking(world, start)
    assert (old.allow_cancel, old.allow_reschedule, old.change_deadline_minutes) == (
        True,
        True,
        1440,
    )
    response = owner_client.post(
        reverse("backoffice:settings_page_edit", args=[world.page.pk]),
        page_data(world, allow_reschedule=None, change_deadline_minutes=120, max_reschedules=2),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    world.page.refresh_from_db()
    assert (world.page.allow_cancel, world.page.allow_reschedule) == (True, False)
    assert world.page.change_deadline_minutes == 120 and world.page.max_reschedules == 2

    old.refresh_from_db()
    assert (old.allow_cancel, old.allow_reschedule, old.change_deadline_minutes) == (
        True,
        True,
        1440,
    )
    assert old.max_reschedules is None
    new = web_booking(world, start.replace(hour=13))
    assert (new.allow_cancel, new.allow_reschedule, new.change_deadline_minutes) == (
        True,
        False,
        120,
    )


def test_page_needs_services_and_unique_slug(owner_client, world):
    response = owner_client.post(
        reverse("backoffice:settings_page_new"), page_data(world, title="Second")
    )
    assert response.status_code == 200  # the slug "book" is taken in this business
    assert world.business.booking_pages.count() == 1
    response = owner_client.post(
        reverse("backoffice:settings_page_new"),
        page_data(world, title="Second", slug="second", services=[]),
    )
    assert response.status_code == 200
    ok = owner_client.post(
        reverse("backoffice:settings_page_new"), page_data(world, title="Second", slug="second")
    )
    assert ok.status_code == 302
    assert world.business.booking_pages.filter(slug="second", allow_cancel=True).exists()


def test_service_create_and_edit(owner_client, world):
    data = {
        "name": "Colour",
        "description": "",
        "duration_minutes": 90,
        "price": "85.00",
        "buffer_before_minutes": 0,
        "buffer_after_minutes": 15,
        "active": "on",
    }
    assert owner_client.post(reverse("backoffice:settings_service_new"), data).status_code == 302
    colour = Service.objects.get(business=world.business, name="Colour")
    assert colour.currency == world.business.currency
    duplicate = owner_client.post(reverse("backoffice:settings_service_new"), data)
    assert duplicate.status_code == 200
    owner_client.post(
        reverse("backoffice:settings_service_edit", args=[colour.pk]),
        {**data, "price": "90.00"},
    )
    colour.refresh_from_db()
    assert str(colour.price) == "90.00"


def test_provider_create_with_services(owner_client, world):
    response = owner_client.post(
        reverse("backoffice:settings_provider_new"),
        {
            "name": "Cleo",
            "email": "cleo@acme.test",
            "phone": "",
            "services": [world.service.pk],
            "active": "on",
        },
    )
    cleo = Provider.objects.get(business=world.business, name="Cleo")
    assert response["Location"].endswith(f"/settings/providers/{cleo.pk}/")
    assert list(cleo.services.all()) == [world.service]
    assert cleo.receives_notifications is False  # unticked box


def hours_data(days):
    """The week form's fields: ``days`` maps a weekday to its list of (start, end) strings."""
    data = {f"d{day}-count": str(len(days.get(day, []))) for day in range(7)}
    for day, ranges in days.items():
        for i, (start, end) in enumerate(ranges):
            data[f"d{day}-{i}-start"] = start
            data[f"d{day}-{i}-end"] = end
    return data


def test_working_hours_several_intervals_per_day(owner_client, world):
    url = reverse("backoffice:settings_provider_hours", args=[world.alex.pk])
    response = owner_client.post(
        url,
        hours_data(
            {
                0: [("09:00", "12:00"), ("13:00", "17:00")],
                2: [("10:00", "14:00")],
                4: [("", "")],  # an emptied range is left out
            }
        ),
    )
    assert response.status_code == 302
    rows = list(WorkingHours.objects.filter(provider=world.alex).order_by("weekday", "start"))
    assert [(r.weekday, r.start, r.end) for r in rows] == [
        (0, time(9), time(12)),
        (0, time(13), time(17)),
        (2, time(10), time(14)),
    ]


def test_overlapping_hours_are_refused(owner_client, world):
    before = WorkingHours.objects.filter(provider=world.alex).count()
    response = owner_client.post(
        reverse("backoffice:settings_provider_hours", args=[world.alex.pk]),
        hours_data({0: [("09:00", "12:00"), ("11:00", "17:00")]}),
    )
    assert response.status_code == 422
    assert "09:00–12:00 and 11:00–17:00 overlap." in response.text
    assert WorkingHours.objects.filter(provider=world.alex).count() == before


def test_time_off_add_and_remove(owner_client, world):
    start = future_monday(world)
    day = start.astimezone(world.business.tz).date()
    owner_client.post(
        reverse("backoffice:settings_provider_time_off", args=[world.alex.pk]),
        {
            "start": f"{day}T00:00",
            "end": f"{day + timedelta(days=1)}T00:00",
            "reason": "Holiday",
        },
    )
    off = world.alex.time_off.get()
    assert off.reason == "Holiday"
    # The slot picker no longer offers that day.
    from slotwise.bookings import selectors

    assert not selectors.staff_slots(
        service=world.service, provider=world.alex, day=day, now=utcnow()
    )
    delete = reverse("backoffice:settings_time_off_delete", args=[world.alex.pk, off.pk])
    # A GET only asks; the POST removes.
    assert "Remove this time off?" in owner_client.get(delete).text
    assert world.alex.time_off.exists()
    owner_client.post(delete)
    assert not world.alex.time_off.exists()


def test_notification_settings_and_provider_opt_out(owner_client, world):
    owner_client.post(
        reverse("backoffice:settings_notifications"),
        {
            "provider_on_created": "on",
            "business_on_cancelled": "on",
            f"provider-{world.alex.pk}": "on",
        },
    )
    ns = NotificationSettings.objects.get(business=world.business)
    assert ns.provider_on_created and ns.business_on_cancelled
    assert not ns.provider_on_rescheduled and not ns.business_on_rescheduled
    world.alex.refresh_from_db()
    world.blake.refresh_from_db()
    assert world.alex.receives_notifications and not world.blake.receives_notifications


def test_reminder_rules(owner_client, world):
    owner_client.post(reverse("backoffice:settings_reminders"), {"amount": 2, "unit": 60})
    assert set(
        ReminderRule.objects.filter(business=world.business).values_list(
            "minutes_before", flat=True
        )
    ) == {1440, 120}
    body = owner_client.get(reverse("backoffice:settings_reminders")).content.decode()
    assert "2 hours before the appointment" in body
    assert "bookings made from now on" in body
    dup = owner_client.post(reverse("backoffice:settings_reminders"), {"amount": 2, "unit": 60})
    assert "already a reminder" in dup.content.decode()
    rule = ReminderRule.objects.get(business=world.business, minutes_before=120)
    owner_client.post(reverse("backoffice:settings_reminder_delete", args=[rule.pk]))
    assert not ReminderRule.objects.filter(pk=rule.pk).exists()


def test_team_invite_change_role_and_keep_an_owner(owner_client, world, owner, mailoutbox):
    response = owner_client.post(
        reverse("backoffice:settings_team"),
        {"email": "new@acme.test", "role": "staff"},
        follow=True,
    )
    body = response.content.decode()
    assert "Invitation sent to new@acme.test." in body
    assert "first password" not in body
    token = re.search(r"/backoffice/join/([^/\s]+)/", mailoutbox[-1].body).group(1)
    Client().post(
        reverse("backoffice:invitation", args=[token]),
        {"name": "New Person", "new_password1": "a-fine-pass-9", "new_password2": "a-fine-pass-9"},
    )
    new = get_user_model().objects.get(username="new@acme.test")
    membership = Membership.objects.get(business=world.business, user=new)
    assert membership.role == "staff"
    owner_client.post(
        reverse("backoffice:settings_member_role", args=[membership.pk]), {"role": "admin"}
    )
    membership.refresh_from_db()
    assert membership.role == "admin"
    mine = Membership.objects.get(business=world.business, user=owner)
    response = owner_client.post(
        reverse("backoffice:settings_member_role", args=[mine.pk]), {"role": "staff"}, follow=True
    )
    assert "at least one owner" in response.content.decode()
    mine.refresh_from_db()
    assert mine.role == "owner"
    owner_client.post(reverse("backoffice:settings_member_remove", args=[membership.pk]))
    assert not Membership.objects.filter(pk=membership.pk).exists()


def test_business_profile_and_time_zone(owner_client, world):
    response = owner_client.post(
        reverse("backoffice:settings_business"),
        {
            "name": "Acme Hair",
            "timezone": "Europe/Lisbon",
            "contact_email": "hi@acme.test",
            "phone": "",
            "address": "",
            "currency": "EUR",
            "slot_step_minutes": 15,
            "min_notice_minutes": 60,
            "max_days_ahead": 90,
        },
    )
    assert response.status_code == 302
    world.business.refresh_from_db()
    assert world.business.name == "Acme Hair" and world.business.timezone == "Europe/Lisbon"
    bad = owner_client.post(
        reverse("backoffice:settings_business"),
        {"name": "X", "timezone": "Mars/Base", "currency": "EUR"},
    )
    assert bad.status_code == 200
