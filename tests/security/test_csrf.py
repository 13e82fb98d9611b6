"""Without a CSRF token, no form changes anything: customer, manage and backoffice forms
answer 403. The API uses no cookies, so it needs no CSRF token and accepts none in their place.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.test import Client

from tests.security.conftest import Tenant, assert_unchanged, snapshot


def _strict_owner() -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(get_user_model().objects.get(username="owner@acme.test"))
    return client


def test_forms_without_a_csrf_token_are_403_and_change_nothing(ours: Tenant) -> None:
    anon = Client(enforce_csrf_checks=True)
    staff = _strict_owner()
    token, ref = ours.manage_token, ours.booking.reference
    posts = [
        (anon, "/book/acme/book/", {"service": ours.world.service.pk, "name": "X"}),
        (anon, f"/manage/{token}/cancel/", {"version": ours.booking.version}),
        (anon, f"/manage/{token}/reschedule/", {"version": 1, "start": "2031-01-06T09:00Z"}),
        (anon, f"/rate/{ours.rate_token}/", {"stars": 5}),
        (anon, "/backoffice/login/", {"username": "owner@acme.test", "password": "x"}),
        (staff, f"/backoffice/bookings/{ref}/cancel/", {"version": 1, "reason": "x"}),
        (staff, f"/backoffice/bookings/{ref}/payments/", {"amount": "5", "method": "cash"}),
        (staff, "/backoffice/bookings/new/customer/", {"action": "pick"}),
        (staff, f"/backoffice/settings/pages/{ours.world.page.pk}/", {"title": "Changed"}),
        (staff, "/backoffice/settings/business/", {"name": "Changed"}),
        (staff, "/backoffice/settings/api-keys/", {"name": "Sneaky"}),
        (staff, f"/backoffice/settings/api-keys/{ours.api_key.pk}/revoke/", {}),
        (staff, "/backoffice/logout/", {}),
    ]
    before = snapshot()
    for client, url, data in posts:
        response = client.post(url, data)
        assert response.status_code == 403, url
        assert "CSRF" in response.content.decode(), url
    assert_unchanged(before)
    assert staff.get("/backoffice/").status_code == 200  # logout was refused too


def test_the_same_form_with_its_token_works(ours: Tenant) -> None:
    """The 403s above are the CSRF check: with the form's token the cancel goes through."""
    client = Client(enforce_csrf_checks=True)
    page = client.get(f"/manage/{ours.manage_token}/cancel/")
    assert page.status_code == 200
    csrf = client.cookies["csrftoken"].value
    response = client.post(
        f"/manage/{ours.manage_token}/cancel/",
        {"version": ours.booking.version, "csrfmiddlewaretoken": csrf},
    )
    assert response.status_code == 302
    ours.booking.refresh_from_db()
    assert ours.booking.status == "cancelled"


def test_api_key_requests_need_no_csrf_token(ours: Tenant) -> None:
    """A Bearer key is sent on purpose by a program, never by a browser on its own."""
    api = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Bearer {ours.api_key_raw}")
    response = api.post(
        "/api/v1/customers", {"name": "Kim", "email": "kim@example.test"}, "application/json"
    )
    assert response.status_code == 201


def test_a_backoffice_session_does_not_open_the_api(ours: Tenant) -> None:
    """The browser's session cookie is no credential for the API, so a forged cross-site
    request riding on it gets nowhere: 401, nothing written."""
    staff = _strict_owner()
    before = snapshot()
    response = staff.post(
        "/api/v1/customers", {"name": "Kim", "email": "kim@example.test"}, "application/json"
    )
    assert response.status_code == 401
    assert staff.get("/api/v1/bookings").status_code == 401
    assert_unchanged(before)


def test_public_api_endpoints_take_no_csrf_token(ours: Tenant) -> None:
    """Public and manage endpoints use no cookie: the slug is published and the manage token
    travels in the URL, so a cross-site request can do nothing its sender could not do
    directly. They answer without a CSRF token, as designed."""
    anon = Client(enforce_csrf_checks=True)
    response = anon.post(
        f"/api/v1/manage/{ours.manage_token}/cancel", {"reason": ""}, "application/json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["booking"]["status"] == "cancelled"
