"""A staff member (not owner or admin) can change no setting: every settings URL under
/backoffice/ answers a POST with 403 ("Only owners and admins…") and nothing changes."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import get_resolver

from slotwise.core.models import Membership
from tests.security.conftest import Tenant, assert_unchanged, snapshot
from tests.security.test_tenant_walk import BACKOFFICE_DATA, _backoffice_url, walk


def _own_values(ours: Tenant) -> dict[str, object]:
    """Every settings URL parameter, filled with the staff member's own business's objects."""
    return {
        "settings_page_edit": {"pk": ours.world.page.pk},
        "settings_service_edit": {"pk": ours.world.service.pk},
        "settings_provider_edit": {"pk": ours.world.alex.pk},
        "settings_provider_hours": {"pk": ours.world.alex.pk},
        "settings_provider_time_off": {"pk": ours.world.alex.pk},
        "settings_provider_feed": {"pk": ours.world.alex.pk},
        "settings_provider_photo": {"pk": ours.world.alex.pk},
        "settings_service_photo": {"pk": ours.world.service.pk},
        "settings_provider_calendars": {"pk": ours.world.alex.pk},
        "settings_calendar_connect": {"pk": ours.world.alex.pk},
        **{
            name: {"pk": ours.world.alex.pk, "connection_id": ours.calendar_connection.pk}
            for name in (
                "settings_calendar_choose",
                "settings_calendar_sync",
                "settings_calendar_delete",
            )
        },
        "settings_time_off_delete": {"pk": ours.world.alex.pk, "time_off_id": ours.time_off.pk},
        "settings_reminder_delete": {"pk": ours.reminder_rule.pk},
        "settings_api_key_revoke": {"pk": ours.api_key.pk},
        "settings_member_role": {"pk": ours.membership.pk},
        "settings_member_remove": {"pk": ours.membership.pk},
        "settings_invitation_resend": {"pk": ours.invitation.pk},
        "settings_invitation_revoke": {"pk": ours.invitation.pk},
    }


#: Form data for the settings pages without parameters (valid for an owner).
DATA = {
    **BACKOFFICE_DATA,
    "settings_page_new": {"title": "New", "slug": "new", "max_days_ahead": 30},
    "settings_service_new": {"name": "New", "duration_minutes": 30, "price": "1"},
    "settings_provider_new": {"name": "New", "email": "n@example.test"},
    "settings_notifications": {},
    "settings_reminders": {"minutes_before": 120},
    "settings_api_keys": {"name": "Mine now"},
    "settings_team": {"email": "friend@example.test", "role": "owner"},
    "settings_business": {"name": "Taken over", "timezone": "UTC"},
    "settings_branding": {"accent_color": "#000000", "description": "Taken over"},
    "settings_member_role": {"role": "staff"},
}


def test_staff_cannot_change_any_setting(ours: Tenant) -> None:
    user = get_user_model().objects.create_user(
        username="desk@acme.test", email="desk@acme.test", password="another-long-password"
    )
    Membership.objects.create(business=ours.world.business, user=user, role="staff")
    staff = Client()
    staff.force_login(user)
    values = _own_values(ours)
    before = snapshot()
    walked = []
    for route, namespace, name, params in walk(get_resolver().url_patterns):
        if namespace != "backoffice" or not route.startswith("backoffice/settings/"):
            continue
        assert set(params) == set(values.get(name, {})), f"fill the parameters of {name}"
        url = _backoffice_url(route, values.get(name, {}))  # type: ignore[arg-type]
        response = staff.post(url, DATA.get(name, {}))
        assert response.status_code == 403, (url, response.status_code)
        assert "Only owners and admins" in response.content.decode(), url
        assert staff.get(url).status_code in (403, 405), url
        walked.append(name)
    assert len(walked) >= 22
    assert_unchanged(before)
