"""Every main screen renders for an owner."""

import pytest
from django.urls import reverse


@pytest.mark.parametrize(
    "name",
    [
        "dashboard",
        "booking_list",
        "calendar",
        "ratings",
        "settings",
        "settings_pages",
        "settings_page_new",
        "settings_services",
        "settings_service_new",
        "settings_providers",
        "settings_provider_new",
        "settings_notifications",
        "settings_reminders",
        "settings_team",
        "settings_business",
        "settings_branding",
    ],
)
def test_screen_renders(owner_client, booking, name):
    response = owner_client.get(reverse(f"backoffice:{name}"))
    assert response.status_code == 200, response.content[:2000]


def test_detail_screens_render(owner_client, booking, world):
    for url in [
        reverse("backoffice:booking_detail", args=[booking.reference]),
        reverse("backoffice:booking_reschedule", args=[booking.reference]),
        reverse("backoffice:booking_cancel", args=[booking.reference]),
        reverse("backoffice:settings_provider_edit", args=[world.alex.pk]),
        reverse("backoffice:settings_page_edit", args=[world.page.pk]),
        reverse("backoffice:settings_service_edit", args=[world.service.pk]),
        reverse("backoffice:calendar") + "?view=week",
    ]:
        response = owner_client.get(url)
        assert response.status_code == 200, (url, response.content[:3000])
