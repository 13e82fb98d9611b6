"""A request body over the limit is refused with 413 and a plain reason, before any view runs."""

from __future__ import annotations

import json

from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client

from tests.security.conftest import Tenant, assert_unchanged, snapshot


def _too_big() -> int:
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1


def test_the_limit_is_explicit_and_modest() -> None:
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == 256 * 1024


def test_oversized_form_posts_are_413_and_change_nothing(ours: Tenant) -> None:
    owner = Client()
    owner.force_login(get_user_model().objects.get(username="owner@acme.test"))
    filler = "x" * _too_big()
    posts = [
        (Client(), "/book/acme/book/", {"service": ours.world.service.pk, "notes": filler}),
        (Client(), f"/manage/{ours.manage_token}/cancel/", {"version": 1, "reason": filler}),
        (owner, f"/backoffice/settings/pages/{ours.world.page.pk}/", {"intro": filler}),
        (owner, f"/backoffice/bookings/{ours.booking.reference}/cancel/", {"reason": filler}),
    ]
    before = snapshot()
    for client, url, data in posts:
        response = client.post(url, data)
        assert response.status_code == 413, url
        assert response["Content-Type"].startswith("text/html")
        assert "too large" in response.content.decode() and "256 KiB" in response.content.decode()
    assert_unchanged(before)


def test_oversized_json_is_413_in_the_api_error_shape(ours: Tenant) -> None:
    api = Client(HTTP_AUTHORIZATION=f"Bearer {ours.api_key_raw}")
    body = json.dumps({"name": "Big", "email": "big@example.test", "notes": "x" * _too_big()})
    before = snapshot()
    for client, url in [
        (api, "/api/v1/customers"),
        (Client(), "/api/v1/public/acme/pages/book/bookings"),
        (Client(), f"/api/v1/manage/{ours.manage_token}/cancel"),
    ]:
        response = client.post(url, body, "application/json")
        assert response.status_code == 413, url
        error = response.json()
        assert error["code"] == "payload_too_large"
        assert "too large" in error["message"]
        assert error["details"] == {"limit_bytes": settings.DATA_UPLOAD_MAX_MEMORY_SIZE}
    assert_unchanged(before)


def test_a_body_just_under_the_limit_reaches_the_view(ours: Tenant) -> None:
    """Below the limit the size is not what answers: the field's own length rule is (422)."""
    api = Client(HTTP_AUTHORIZATION=f"Bearer {ours.api_key_raw}")
    name = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE - 200)
    response = api.post(
        "/api/v1/customers", {"name": name, "email": "a@b.test"}, "application/json"
    )
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_input"


def test_a_garbled_length_is_400(ours: Tenant) -> None:
    response = Client().post(
        "/api/v1/public/acme/pages/book/bookings", "{}", "application/json", CONTENT_LENGTH="lots"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "bad_request"
