"""Another business's bookings, providers, pages and services are a 404, and stay unchanged."""

from __future__ import annotations

import pytest
from django.urls import reverse

from slotwise.bookings.models import Booking
from slotwise.core.clock import utcnow
from slotwise.core.models import Membership
from tests import factories
from tests.backoffice.conftest import future_monday


@pytest.fixture
def theirs(other_world) -> Booking:
    return factories.custom_booking(
        other_world.business,
        service=other_world.service,
        provider=other_world.alex,
        customer=other_world.customer,
        start=future_monday(other_world),
        now=utcnow(),
    )


@pytest.mark.parametrize(
    "name", ["booking_detail", "booking_reschedule", "booking_cancel", "booking_clone"]
)
def test_foreign_booking_pages_are_404(owner_client, theirs, name):
    response = owner_client.get(reverse(f"backoffice:{name}", args=[theirs.reference]))
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("booking_cancel", {"version": 1, "reason": "x", "notify_customer": "on"}),
        ("booking_complete", {}),
        ("booking_no_show", {}),
        ("booking_close_undo", {}),
        ("payment_add", {"amount": "10", "method": "cash", "status": "paid"}),
        ("booking_reschedule", {"version": 1, "provider": 1, "slot": "2031-01-06T10:00:00+00:00"}),
    ],
)
def test_foreign_booking_actions_are_404_and_change_nothing(owner_client, theirs, name, data):
    before = Booking.objects.values().get(pk=theirs.pk)
    response = owner_client.post(reverse(f"backoffice:{name}", args=[theirs.reference]), data)
    assert response.status_code == 404
    assert Booking.objects.values().get(pk=theirs.pk) == before
    assert not theirs.payments.exists()


def test_list_and_calendar_show_only_this_business(owner_client, booking, theirs, world):
    body = owner_client.get(reverse("backoffice:booking_list")).content.decode()
    assert booking.reference in body and theirs.reference not in body
    day = booking.start.astimezone(world.business.tz).date().isoformat()
    for view in ("day", "week"):
        cal = owner_client.get(reverse("backoffice:calendar") + f"?view={view}&date={day}")
        assert booking.reference in cal.content.decode()
        assert theirs.reference not in cal.content.decode()


def test_search_by_foreign_reference_finds_nothing(owner_client, theirs):
    response = owner_client.get(reverse("backoffice:booking_list") + f"?q={theirs.reference}")
    assert response.context["page"].paginator.count == 0
    assert "No booking matches these filters" in response.content.decode()


@pytest.mark.parametrize(
    ("name", "attr"),
    [
        ("settings_provider_edit", "alex"),
        ("settings_page_edit", "page"),
        ("settings_service_edit", "service"),
    ],
)
def test_foreign_settings_objects_are_404(owner_client, other_world, name, attr):
    obj = getattr(other_world, attr)
    assert owner_client.get(reverse(f"backoffice:{name}", args=[obj.pk])).status_code == 404
    assert owner_client.post(reverse(f"backoffice:{name}", args=[obj.pk]), {}).status_code == 404


def test_foreign_provider_hours_and_time_off_are_404(owner_client, other_world):
    alex = other_world.alex
    hours = alex.working_hours.count()
    for name in ("settings_provider_hours", "settings_provider_time_off"):
        assert (
            owner_client.post(reverse(f"backoffice:{name}", args=[alex.pk]), {}).status_code == 404
        )
    assert alex.working_hours.count() == hours


def test_foreign_membership_is_404(owner_client, other_world):
    theirs = Membership.objects.get(business=other_world.business)
    url = reverse("backoffice:settings_member_role", args=[theirs.pk])
    assert owner_client.post(url, {"role": "staff"}).status_code == 404
    url = reverse("backoffice:settings_member_remove", args=[theirs.pk])
    assert owner_client.post(url).status_code == 404
    assert Membership.objects.filter(pk=theirs.pk, role="owner").exists()


def test_foreign_reminder_rule_is_untouched(owner_client, other_world):
    rule = other_world.business.reminder_rules.get()
    owner_client.post(reverse("backoffice:settings_reminder_delete", args=[rule.pk]))
    assert other_world.business.reminder_rules.filter(pk=rule.pk).exists()


def test_page_form_offers_only_own_services_and_providers(owner_client, world, other_world):
    body = owner_client.get(reverse("backoffice:settings_page_new")).content.decode()
    assert f'value="{world.alex.pk}"' in body
    assert f'value="{other_world.alex.pk}"' not in body
    response = owner_client.post(
        reverse("backoffice:settings_page_new"),
        {
            "title": "Sneaky",
            "slug": "sneaky",
            "services": [other_world.service.pk],
            "providers": [other_world.alex.pk],
            "min_notice_minutes": 0,
            "max_days_ahead": 30,
            "slot_step_minutes": 30,
            "change_deadline_minutes": 1440,
        },
    )
    assert response.status_code == 200
    assert not world.business.booking_pages.filter(slug="sneaky").exists()
