"""The reviews section of a booking page and the public reviews page, in Chromium, on a phone
and a desktop (docs/ratings.md): stars with words for everyone, accessible, no console errors."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from slotwise.bookings import actions
from slotwise.bookings.actor import Actor
from slotwise.core.models import Membership
from tests import factories
from tests.browser.conftest import arrived, assert_accessible, follow, screenshot
from tests.conftest import build_world
from tests.support.limits import forget_limits

pytestmark = pytest.mark.django_db(transaction=True)

COMMENTS = [
    (5, "Maria Schmidt", "Lovely cut, and Alex listened to exactly what I wanted."),
    (4, "James Carter", ""),
    (2, "Aiko Tanaka", "Waited twenty minutes past my time."),
    (5, "Noah Williams", "Quick, friendly and spotless."),
]


@pytest.fixture
def shop(db):
    forget_limits()
    world = build_world()
    owner = Actor.staff(Membership.objects.get(business=world.business, role="owner").user)
    for day, (stars, name, comment) in enumerate(COMMENTS):
        customer = factories.make_customer(world.business, name, f"c{day}@example.test")
        rating = factories.rated_booking(
            world.business,
            service=world.service,
            provider=world.alex if day % 2 == 0 else world.blake,
            customer=customer,
            start=factories.local(world.business, 2029, 12, 1, 10) + timedelta(days=day),
            stars=stars,
            comment=comment,
        )
        if stars == 2:
            actions.rating_reply(
                business=world.business,
                rating_id=rating.pk,
                text="We are sorry: we have changed how we plan the afternoons.",
                actor=owner,
                now=rating.created_at + timedelta(hours=2),
            )
    actions.reviews_settings_update(business=world.business, show_on_pages=True)
    return world


def test_booking_page_shows_the_ratings_summary(live_server, phone_page, desktop_page, shop):
    for page, size in ((phone_page, "phone"), (desktop_page, "desktop")):
        console: list[str] = []
        page.on("console", lambda m, c=console: c.append(m.text) if m.type == "error" else None)
        page.goto(live_server.url + "/book/acme/book/?tz=Europe/Berlin")
        summary = page.get_by_role("img", name="4.0 out of 5 from 4 ratings").first
        arrived(summary)
        assert summary.is_visible()
        section = page.get_by_role("region", name="What customers say")
        assert section.is_visible()
        text = section.inner_text()
        assert "Noah W." in text and "Aiko T." in text and "James C." in text
        assert "Williams" not in text
        assert "We are sorry" in text  # the business's reply under the review
        # Each provider's choice carries its own stars.
        assert page.get_by_role("img", name="4.5 out of 5 from 2 ratings").is_visible()
        assert page.get_by_role("img", name="3.5 out of 5 from 2 ratings").is_visible()
        markup = json.loads(page.locator('script[type="application/ld+json"]').text_content())
        assert markup["aggregateRating"]["ratingValue"] == "4.0"
        assert markup["aggregateRating"]["ratingCount"] == 4
        assert_accessible(page)
        screenshot(page, f"booking-page-reviews-{size}")
        assert console == []

    # "Read all 4 reviews" leads to the public reviews page.
    page = desktop_page
    follow(page, page.get_by_role("link", name="Read all 4 reviews"))
    arrived(page.get_by_role("heading", name="Reviews of Acme Studio"))
    assert page.locator("article.review").count() == 4
    assert page.get_by_role("img", name="4.0 out of 5 from 4 ratings").first.is_visible()
    assert_accessible(page)
    screenshot(page, "reviews-page-desktop")
    phone_page.goto(live_server.url + "/reviews/acme/")
    assert_accessible(phone_page)
    screenshot(phone_page, "reviews-page-phone")
