"""API keys in the backoffice: created with the secret shown once, listed, revoked, scoped."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from slotwise.api.models import ApiKey
from slotwise.core.api_keys import api_key_authenticate, api_key_create
from slotwise.core.clock import utcnow

URL = "/backoffice/settings/api-keys/"


def test_create_shows_the_key_once_and_it_works(owner_client, world):
    response = owner_client.post(URL, {"name": "Website widget"}, follow=True)
    assert response.status_code == 200
    shown = re.search(r'value="(sw_[^"]+)"', response.text)
    assert shown, "the new key is shown on the page"
    raw = shown.group(1)
    key = ApiKey.objects.get(business=world.business)
    assert key.name == "Website widget" and raw not in key.key_hash
    assert api_key_authenticate(raw=raw, now=utcnow()) == key
    # The next visit no longer shows it, but lists the key by its prefix.
    again = owner_client.get(URL)
    assert raw not in again.text and f"sw_{key.prefix}_" in again.text
    # The API accepts it.
    api = Client().get("/api/v1/services", headers={"Authorization": f"Bearer {raw}"})
    assert api.status_code == 200


def test_empty_name_is_a_form_error(owner_client, world):
    response = owner_client.post(URL, {"name": "  "})
    assert response.status_code == 200
    assert not ApiKey.objects.exists()
    assert "This field is required." in response.text


def test_revoke_stops_the_key(owner_client, world):
    key, raw = api_key_create(business=world.business, name="CRM", now=utcnow())
    response = owner_client.post(f"{URL}{key.pk}/revoke/", follow=True)
    assert "revoked" in response.text.lower()
    key.refresh_from_db()
    assert key.revoked_at is not None
    api = Client().get("/api/v1/services", headers={"Authorization": f"Bearer {raw}"})
    assert api.status_code == 401


def test_staff_cannot_manage_keys(staff_client, world):
    assert staff_client.get(URL).status_code == 403
    assert staff_client.post(URL, {"name": "x"}).status_code == 403
    assert not ApiKey.objects.exists()


@pytest.mark.usefixtures("other_world")
def test_another_business_key_cannot_be_revoked(owner_client, other_world):
    key, _ = api_key_create(business=other_world.business, name="Theirs", now=utcnow())
    owner_client.post(f"{URL}{key.pk}/revoke/")
    key.refresh_from_db()
    assert key.revoked_at is None
    assert "Theirs" not in owner_client.get(URL).text
