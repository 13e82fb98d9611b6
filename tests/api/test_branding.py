"""The public page endpoint tells a booking widget the business's branding (docs/api.md)."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings

from slotwise.core.services import business_branding_save
from tests.api.conftest import Api
from tests.support.images import upload

pytestmark = pytest.mark.django_db

PAGE = "/api/v1/public/acme/pages/book"


def test_page_info_has_the_branding_with_absolute_urls(anon: Api, world: Any) -> None:
    business = business_branding_save(
        business=world.business,
        changes={"accent_color": "#0b6e4f", "description": "Since 1998"},
        images={"logo": upload(), "cover_image": upload("c.jpg", "JPEG")},
    )
    world.alex.photo.save("a.png", upload(), save=True)
    body = anon.get(PAGE).json()
    info = body["business"]
    assert info["logo_url"] == f"{settings.SITE_URL}{business.logo.url}"
    assert info["cover_image_url"] == f"{settings.SITE_URL}{business.cover_image.url}"
    assert info["accent_color"] == "#0b6e4f" and info["description"] == "Since 1998"
    photos = {p["name"]: p["photo_url"] for p in body["providers"]}
    assert photos == {"Alex": f"{settings.SITE_URL}{world.alex.photo.url}", "Blake": None}
    assert body["services"][0]["photo_url"] is None


def test_page_info_without_branding_says_null(anon: Api, world: Any) -> None:
    info = anon.get(PAGE).json()["business"]
    assert info["logo_url"] is None and info["cover_image_url"] is None
    assert info["accent_color"] is None and info["description"] == ""
