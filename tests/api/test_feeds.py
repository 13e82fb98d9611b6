"""POST/DELETE /api/v1/providers/{id}/feed (docs/api.md, "Calendar feeds")."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.test import Client

from slotwise.calendars.models import ProviderFeed
from tests.api.conftest import assert_error

pytestmark = pytest.mark.django_db


def test_create_shows_the_address_once_and_delete_stops_it(api, world):
    created = api.post(f"providers/{world.alex.pk}/feed", {})
    assert created.status_code == 201
    body = created.json()
    assert body["url"].endswith(".ics") and "/feeds/" in body["url"]
    assert body["include_customer_contact"] is False
    token = urlsplit(body["url"]).path.rsplit("/", 1)[1].removesuffix(".ics")
    assert token not in ProviderFeed.objects.get().token_hash
    assert Client().get(urlsplit(body["url"]).path).status_code == 200

    again = api.post(f"providers/{world.alex.pk}/feed", {"include_customer_contact": True})
    assert again.status_code == 201 and again.json()["include_customer_contact"] is True
    assert Client().get(urlsplit(body["url"]).path).status_code == 404  # the old one is revoked

    assert api.delete(f"providers/{world.alex.pk}/feed").status_code == 204
    assert Client().get(urlsplit(again.json()["url"]).path).status_code == 404
    assert api.delete(f"providers/{world.alex.pk}/feed").status_code == 204


def test_without_a_body_and_for_an_unknown_provider(api, world):
    assert api.request("post", f"providers/{world.alex.pk}/feed", "").status_code == 201
    assert_error(api.post("providers/999999/feed", {}), 404, "not_found")
    assert_error(api.delete("providers/999999/feed"), 404, "not_found")


def test_another_business_cannot_touch_the_feed(api, other_api, world):
    assert api.post(f"providers/{world.alex.pk}/feed", {}).status_code == 201
    assert_error(other_api.post(f"providers/{world.alex.pk}/feed", {}), 404, "not_found")
    assert_error(other_api.delete(f"providers/{world.alex.pk}/feed"), 404, "not_found")
    assert ProviderFeed.objects.filter(revoked_at=None).count() == 1
