"""Sign-in, throttling, the business switcher and roles."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from slotwise.backoffice.views.auth import LOGIN_LIMIT
from slotwise.core.models import Membership
from tests.support.limits import forget_limits

LOGIN = "/backoffice/login/"


@pytest.fixture(autouse=True)
def _fresh_cache(db):
    forget_limits()
    yield
    forget_limits()


@pytest.mark.parametrize("path", ["/backoffice/", "/backoffice/bookings/", "/backoffice/settings/"])
def test_visitor_is_sent_to_login(client, path, world):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN + "?next=")


def test_login_with_password_opens_dashboard(client, world):
    response = client.post(
        LOGIN, {"username": "owner@acme.test", "password": "a-long-test-password"}
    )
    assert response.status_code == 302 and response["Location"] == "/backoffice/"
    dashboard = client.get("/backoffice/")
    assert dashboard.status_code == 200
    assert "Acme Studio" in dashboard.content.decode()


def test_password_is_hashed_with_argon2(world):
    user = get_user_model().objects.get(username="owner@acme.test")
    assert user.password.startswith("argon2")


def test_login_follows_only_local_next(client, world):
    creds = {"username": "owner@acme.test", "password": "a-long-test-password"}
    ok = client.post(LOGIN, {**creds, "next": "/backoffice/calendar/"})
    assert ok["Location"] == "/backoffice/calendar/"
    client.logout()
    evil = client.post(LOGIN, {**creds, "next": "https://evil.example/"})
    assert evil["Location"] == "/backoffice/"


def test_failed_logins_are_throttled(world):
    client = Client()
    for _ in range(LOGIN_LIMIT):
        response = client.post(LOGIN, {"username": "owner@acme.test", "password": "wrong"})
        assert response.status_code == 200
        assert "correct" in response.content.decode()  # Django's "Please enter a correct …"
    response = client.post(
        LOGIN, {"username": "owner@acme.test", "password": "a-long-test-password"}
    )
    assert response.status_code == 429
    assert "Too many sign-in attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_throttle_is_per_account_across_addresses(world):
    for i in range(LOGIN_LIMIT):
        Client(REMOTE_ADDR=f"10.0.0.{i + 1}").post(
            LOGIN, {"username": "owner@acme.test", "password": "wrong"}
        )
    response = Client(REMOTE_ADDR="10.0.1.1").post(
        LOGIN, {"username": "owner@acme.test", "password": "a-long-test-password"}
    )
    assert response.status_code == 429


def test_logout_needs_post(owner_client):
    assert owner_client.get("/backoffice/logout/").status_code == 405
    assert owner_client.post("/backoffice/logout/").status_code == 302
    assert owner_client.get("/backoffice/").status_code == 302


def test_user_without_business_gets_a_clear_403(client, db):
    user = get_user_model().objects.create_user(username="nobody@x.test", password="pw-123456789")
    client.force_login(user)
    response = client.get("/backoffice/")
    assert response.status_code == 403
    assert "not a member of any business" in response.content.decode()


def test_switcher_changes_the_business(owner, world, other_world, client):
    Membership.objects.create(business=other_world.business, user=owner, role=Membership.Role.STAFF)
    client.force_login(owner)
    body = client.get("/backoffice/").content.decode()
    assert 'id="switch-business"' in body and "Globex Studio" in body
    client.post(reverse("backoffice:switch"), {"business": other_world.business.pk})
    body = client.get("/backoffice/").content.decode()
    assert f'<option value="{other_world.business.pk}" selected>' in body
    # In Globex the owner is only staff: no settings.
    assert client.get("/backoffice/settings/").status_code == 403


def test_switching_to_a_foreign_business_is_refused(owner_client, world, other_world):
    owner_client.post(reverse("backoffice:switch"), {"business": other_world.business.pk})
    assert owner_client.session["backoffice_business_id"] == world.business.pk


SETTINGS = [
    "settings",
    "settings_pages",
    "settings_page_new",
    "settings_services",
    "settings_providers",
    "settings_notifications",
    "settings_reminders",
    "settings_team",
    "settings_business",
]


@pytest.mark.parametrize("name", SETTINGS)
def test_staff_cannot_open_settings(staff_client, name):
    response = staff_client.get(reverse(f"backoffice:{name}"))
    assert response.status_code == 403
    assert "Only owners and admins" in response.content.decode()


@pytest.mark.parametrize("name", SETTINGS)
def test_admin_can_open_settings(client, world, name):
    admin = get_user_model().objects.create_user(username="admin@acme.test", password="x-12345678")
    Membership.objects.create(business=world.business, user=admin, role=Membership.Role.ADMIN)
    client.force_login(admin)
    assert client.get(reverse(f"backoffice:{name}")).status_code == 200


def test_staff_cannot_post_settings(staff_client, world):
    response = staff_client.post(
        reverse("backoffice:settings_page_edit", args=[world.page.pk]), {"title": "Hacked"}
    )
    assert response.status_code == 403
    world.page.refresh_from_db()
    assert world.page.title != "Hacked"


@pytest.mark.parametrize(
    "name", ["dashboard", "booking_list", "calendar", "wizard_start", "ratings"]
)
def test_staff_sees_the_calendar_and_bookings(staff_client, name):
    assert staff_client.get(reverse(f"backoffice:{name}")).status_code in (200, 302)


def test_staff_nav_has_no_settings(staff_client):
    assert "/backoffice/settings/" not in staff_client.get("/backoffice/").content.decode()
