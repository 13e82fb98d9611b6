"""The business's branding on the customer pages (docs/guide.md, "Branding"): logo and name in
the header, the accent colour through a stylesheet of its own (the CSP stays as strict),
cover, description and photos on the booking page, and the Slotwise look when unset."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from slotwise.bookings import actions
from slotwise.bookings.actor import Actor
from slotwise.bookings.models import BookingToken
from slotwise.core.models import Business
from slotwise.core.services import business_branding_save
from tests import factories
from tests.site.conftest import NOW
from tests.support.images import upload

pytestmark = pytest.mark.django_db

START = datetime(2030, 5, 31, 8, 0, tzinfo=UTC)


def brand(world, **changes: object) -> Business:
    images = {k: changes.pop(k) for k in ("logo", "cover_image") if k in changes}
    return business_branding_save(business=world.business, changes=changes, images=images)


def book_url(world) -> str:
    return f"/book/{world.business.slug}/{world.page.slug}/"


def page_urls(world) -> dict[str, str]:
    """One URL of each kind of customer page."""
    booking = factories.custom_booking(
        world.business,
        service=world.service,
        provider=world.alex,
        customer=world.customer,
        start=START,
        now=START - timedelta(days=2),
    )
    manage = actions.token_issue(booking=booking, purpose=BookingToken.Purpose.MANAGE, now=NOW)
    actions.booking_complete(booking_id=booking.pk, actor=Actor.system("desk"), now=NOW)
    rate = actions.token_issue(booking=booking, purpose=BookingToken.Purpose.RATE, now=NOW)
    world.page.waitlist = True
    world.page.save()
    actions.reviews_settings_update(business=world.business, show_on_pages=True)
    return {
        "book": book_url(world),
        "manage": f"/manage/{manage}/",
        "rate": f"/rate/{rate}/",
        "waitlist": f"{book_url(world)}waitlist/?service={world.service.pk}&provider=any",
        "reviews": f"/reviews/{world.business.slug}/",
    }


def test_every_customer_page_carries_the_logo_name_and_colour(world):
    business = brand(world, logo=upload(), accent_color="#0b6e4f")
    client = Client()
    for kind, url in page_urls(world).items():
        response = client.get(url)
        assert response.status_code == 200, kind
        body = response.text
        header = re.search(r'<header class="top">(.*?)</header>', body, re.S)
        assert header, kind
        assert f'<img class="brand-logo" src="{business.logo.url}" alt="">' in header.group(1)
        assert business.name in header.group(1), kind
        assert '<link rel="stylesheet" href="/brand/acme.css?v=0b6e4f">' in body, kind
        # Never inline: the policy allows styles from this site only.
        assert " style=" not in body and "<style" not in body, kind
        csp = response["Content-Security-Policy"]
        style_src = next(p for p in csp.split(";") if p.strip().startswith("style-src"))
        assert style_src.strip() == "style-src 'self'", kind
        assert "unsafe-inline" not in csp


def test_unbranded_pages_look_as_before(world):
    client = Client()
    for kind, url in page_urls(world).items():
        body = client.get(url).text
        assert '<span class="brand-business"><span>Acme Studio</span></span>' in body, kind
        assert "/brand/" not in body and "brand-logo" not in body, kind
    body = client.get(book_url(world)).text
    assert 'class="cover"' not in body and "business-description" not in body
    assert "option-photo" not in body


def test_the_stylesheet_sets_the_accent_and_its_tints(world):
    brand(world, accent_color="#0b6e4f")
    response = Client().get("/brand/acme.css?v=0b6e4f")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/css; charset=utf-8"
    css = response.content.decode()
    assert css.startswith(":root {") and "--accent: #0b6e4f;" in css
    assert "--accent-soft:" in css and "--accent-dark:" in css
    assert "public" in response["Cache-Control"]


def test_the_stylesheet_is_empty_without_a_colour_and_only_ever_holds_a_hex_code(world):
    assert Client().get("/brand/acme.css").content == b""
    # A row written around the checks (a raw update) still cannot inject CSS.
    Business.objects.filter(pk=world.business.pk).update(accent_color="red;}")
    assert Client().get("/brand/acme.css").content == b""
    assert Client().get("/brand/nobody.css").status_code == 404


def test_the_booking_page_shows_the_cover_description_and_photos(world):
    business = brand(
        world, cover_image=upload("c.jpg", "JPEG"), description="Haircuts & colour since 1998."
    )
    world.service.photo.save("s.png", upload(), save=True)
    world.alex.photo.save("a.png", upload(), save=True)
    # A second service, so that the page asks which one (with one, it skips the question).
    world.page.services.add(factories.make_service(world.business, "Colour"))
    client = Client()
    body = client.get(book_url(world)).text
    assert f'<div class="cover"><img src="{business.cover_image.url}" alt=""></div>' in body
    assert '<p class="business-description">Haircuts &amp; colour since 1998.</p>' in body
    assert f'<img class="option-photo" src="{world.service.photo.url}" alt="">' in body
    body = client.get(f"{book_url(world)}?service={world.service.pk}").text
    assert (
        f'<img class="option-photo option-photo-person" src="{world.alex.photo.url}" alt="">'
        in body
    )


def test_the_site_css_defaults_are_the_slotwise_blue():
    from pathlib import Path

    import slotwise.site

    css = (Path(slotwise.site.__file__).parent / "static/slotwise/site.css").read_text()
    root = css.split("}", 1)[0]
    assert "--accent: #2451c7;" in root and "--accent-tint: #f7f9ff;" in root
    # Below the defaults, the blue's tints are used only through their variables.
    rest = css.split("}", 1)[1]
    for tint in ("#f7f9ff", "#d4e0fb", "#9fb3e6", "#8aa5e8", "#b8c8f2", "#5b85f0", "#2451c7"):
        assert tint not in rest, tint
