"""Branding end to end, on a laptop and a phone: an owner uploads a logo and a cover, sets a
colour and a description in Settings → Branding, and the booking page shows them
(docs/guide.md, "Branding"). Screenshots: branding-settings-*, branding-booking-page-*."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from slotwise.core.models import Business
from tests.browser._backoffice import sign_in, world_with_history
from tests.browser.conftest import arrived, assert_accessible, follow, screenshot

pytestmark = pytest.mark.django_db(transaction=True)

ACCENT = "#0b6e4f"  # a deep green: 6.25:1 against white


#: An image's width once it has loaded (``decode`` waits for it; a page can be read before
#: its images arrive).
LOADED_WIDTH = "i => i.decode().then(() => i.naturalWidth)"


def _logo(path: Path) -> Path:
    """A small PNG logo: a green disc with a white bar, then a dark wordmark bar."""
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (240, 80), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((4, 4, 76, 76), fill=(11, 110, 79, 255))
    draw.rounded_rectangle((24, 34, 56, 46), radius=6, fill=(255, 255, 255, 255))
    draw.rounded_rectangle((90, 22, 232, 38), radius=8, fill=(29, 36, 51, 255))
    draw.rounded_rectangle((90, 46, 190, 58), radius=6, fill=(11, 110, 79, 255))
    image.save(path, format="PNG")
    return path


def _cover(path: Path) -> Path:
    """A wide JPEG: a soft green gradient with a few circles, like a salon photo's colours."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (1200, 400))
    draw = ImageDraw.Draw(image)
    for x in range(1200):
        t = x / 1199
        draw.line(
            [(x, 0), (x, 400)], fill=(int(208 - 90 * t), int(232 - 60 * t), int(220 - 70 * t))
        )
    for cx, cy, r in ((180, 120, 90), (520, 300, 140), (950, 140, 110)):
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=(240, 248, 244))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=85)
    path.write_bytes(buffer.getvalue())
    return path


def _portrait(path: Path) -> Path:
    """A square WebP "portrait": a head and shoulders in soft colours."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (160, 160), (226, 238, 232))
    draw = ImageDraw.Draw(image)
    draw.ellipse((50, 28, 110, 88), fill=(196, 150, 120))
    draw.ellipse((20, 96, 140, 220), fill=(11, 110, 79))
    image.save(path, format="WEBP")
    return path


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_owner_brands_the_booking_page(
    live_server: Any, request: pytest.FixtureRequest, tmp_path: Path, device: str
) -> None:
    page = request.getfixturevalue(f"{device}_page")
    world = world_with_history()
    base = live_server.url
    sign_in(page, base)

    page.goto(base + "/backoffice/settings/")
    page.get_by_role("link", name="Branding", exact=True).first.click()
    arrived(page.get_by_role("heading", name="Branding"))
    assert_accessible(page)

    # A colour too light for white text is refused, with its ratio and a darker suggestion.
    page.get_by_label("Accent colour").fill("#7fd1ae")
    follow(page, page.get_by_role("button", name="Save branding"))
    error = page.locator(".field.has-error .error")
    assert "contrast of 1.80:1 against white" in error.inner_text()
    assert "Try #4c7d68" in error.inner_text()
    assert not Business.objects.get(pk=world.business.pk).accent_color

    page.get_by_label("Upload a logo").set_input_files(str(_logo(tmp_path / "logo.png")))
    page.get_by_label("Accent colour").fill(ACCENT)
    page.get_by_label("Short description").fill("Cuts, colour and calm in Kreuzberg since 1998.")
    page.get_by_label("Upload a cover image").set_input_files(str(_cover(tmp_path / "cover.jpg")))
    page.get_by_role("button", name="Save branding").click()
    arrived(page.get_by_text("Branding saved."))
    business = Business.objects.get(pk=world.business.pk)
    assert business.accent_color == ACCENT and business.logo and business.cover_image
    assert page.locator("img.branding-logo-preview").evaluate(LOADED_WIDTH) == 240
    assert_accessible(page)
    screenshot(page, f"branding-settings-{device}")

    # Alex has a photo (uploaded on the provider's photo page); Blake has none.
    page.goto(f"{base}/backoffice/settings/providers/{world.alex.pk}/")
    page.get_by_role("link", name="Add a photo to show on booking pages").click()
    page.get_by_label("Upload a photo").set_input_files(str(_portrait(tmp_path / "alex.webp")))
    page.get_by_role("button", name="Save photo").click()
    arrived(page.get_by_text("Photo saved."))

    page.goto(f"{base}/book/{world.business.slug}/{world.page.slug}/")
    photos = page.locator("img.option-photo")
    assert photos.count() == 1 and photos.evaluate(LOADED_WIDTH) == 160
    logo = page.locator("header img.brand-logo")
    assert logo.is_visible() and logo.evaluate(LOADED_WIDTH) == 240
    assert page.locator("header").inner_text().strip().startswith(world.business.name)
    assert page.locator(".cover img").evaluate(LOADED_WIDTH) == 1200
    assert page.get_by_text("Cuts, colour and calm in Kreuzberg since 1998.").is_visible()
    button = page.locator("form button.button").first
    assert button.evaluate("b => getComputedStyle(b).backgroundColor") == "rgb(11, 110, 79)"
    accent = page.evaluate(
        "getComputedStyle(document.documentElement).getPropertyValue('--accent').trim()"
    )
    assert accent == ACCENT
    # Nothing sideways on a phone: the logo and cover fit the width.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert_accessible(page)
    screenshot(page, f"branding-booking-page-{device}")
