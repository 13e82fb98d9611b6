"""``business_branding_save``: the model re-checks the colour whatever the caller, and a
refused change leaves no file behind."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings

from slotwise.core import errors
from slotwise.core.models import Business
from slotwise.core.services import business_branding_save
from tests.support.images import upload


def files() -> list[Path]:
    return sorted(p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file())


def test_a_low_contrast_colour_is_refused_by_the_model_and_the_new_logo_is_not_kept(world):
    before = files()
    with pytest.raises(errors.InvalidInput) as refused:
        business_branding_save(
            business=world.business,
            changes={"accent_color": "#ffcc00"},
            images={"logo": upload()},
        )
    assert refused.value.details["field"] == "accent_color"
    assert "1.51:1" in refused.value.message
    business = Business.objects.get(pk=world.business.pk)
    assert not business.logo and business.accent_color == ""
    assert files() == before


def test_only_the_branding_images_can_be_named(world):
    with pytest.raises(ValueError, match="not a branding image"):
        business_branding_save(business=world.business, changes={}, images={"slug": None})


def test_colours_are_stored_normalised(world):
    saved = business_branding_save(
        business=world.business, changes={"accent_color": "0B6E4F"}, images={}
    )
    assert saved.accent_color == "#0b6e4f"
