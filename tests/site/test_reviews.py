"""Ratings on the booking page and the public reviews page (docs/ratings.md)."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.test import Client

from slotwise.bookings import actions
from slotwise.bookings.actor import Actor
from slotwise.bookings.models import Rating
from slotwise.core.models import Membership
from tests import factories
from tests.conftest import World

pytestmark = pytest.mark.django_db


def _rate(world: World, day: int, stars: int, comment: str = "", name: str = "Casey Lee", **kw):
    customer = factories.make_customer(world.business, name, f"c{day}@example.test")
    return factories.rated_booking(
        world.business,
        service=kw.get("service", world.service),
        provider=kw.get("provider", world.alex),
        customer=customer,
        start=factories.local(world.business, 2030, 5, 1, 10) + timedelta(days=day),
        stars=stars,
        comment=comment,
    )


def _show(world: World) -> None:
    actions.reviews_settings_update(business=world.business, show_on_pages=True)


def _owner(world: World) -> Actor:
    return Actor.staff(Membership.objects.get(business=world.business, role="owner").user)


def _book_url(world: World) -> str:
    return f"/book/{world.business.slug}/{world.page.slug}/"


def _ld(html: str) -> dict:
    found = re.findall(r'<script type="application/ld\+json"[^>]*>(.*?)</script>', html, re.S)
    assert len(found) == 1, found
    return json.loads(found[0])


def test_booking_page_shows_nothing_while_the_setting_is_off(client: Client, world: World):
    _rate(world, 0, 5, "Lovely cut")
    page = client.get(_book_url(world))
    assert page.status_code == 200
    assert "Lovely cut" not in page.text and "What customers say" not in page.text
    assert "application/ld+json" not in page.text
    assert client.get(f"/reviews/{world.business.slug}/").status_code == 404


def test_booking_page_with_ratings_on(client: Client, world: World):
    _rate(world, 0, 5, "Lovely cut", name="Maria Schmidt")
    _rate(world, 1, 4, "", name="James Carter")
    _rate(world, 2, 1, "Far too late", name="Aiko Tanaka", provider=world.blake)
    _rate(world, 3, 2, "Meh", name="Noah Williams", provider=world.blake)
    _show(world)
    page = client.get(_book_url(world)).text
    assert 'aria-label="3.0 out of 5 from 4 ratings"' in page
    assert "What customers say" in page
    # The newest three, lowest stars included, names as first name and initial.
    assert "Noah W." in page and "Aiko T." in page and "James C." in page
    assert "Maria S." not in page  # the fourth newest is on the reviews page
    assert "Far too late" in page and "Meh" in page
    assert "Williams" not in page and "c3@example.test" not in page
    assert "Read all 4 reviews" in page and f'href="/reviews/{world.business.slug}/"' in page
    markup = _ld(page)
    assert markup["@type"] == "LocalBusiness" and markup["name"] == world.business.name
    assert markup["aggregateRating"] == {
        "@type": "AggregateRating",
        "ratingValue": "3.0",
        "bestRating": "5",
        "worstRating": "1",
        "ratingCount": 4,
    }


def test_service_and_provider_choices_show_their_stars(client: Client, world: World):
    _rate(world, 0, 5, provider=world.alex)
    _rate(world, 1, 2, provider=world.blake)
    _rate(world, 2, 3, provider=world.blake)
    _show(world)
    page = client.get(_book_url(world), {"service": world.service.pk}).text
    assert 'aria-label="5.0 out of 5 from 1 rating"' in page  # Alex
    assert 'aria-label="2.5 out of 5 from 2 ratings"' in page  # Blake


def test_no_ratings_yet_shows_no_section_and_no_markup(client: Client, world: World):
    _show(world)
    page = client.get(_book_url(world)).text
    assert "What customers say" not in page and "application/ld+json" not in page
    reviews = client.get(f"/reviews/{world.business.slug}/")
    assert reviews.status_code == 200 and "No ratings yet" in reviews.text
    assert "application/ld+json" not in reviews.text


def test_reviews_page_lists_every_rating_with_reply_and_hidden_notice(client: Client, world: World):
    nice = _rate(world, 0, 5, "Lovely cut", name="Maria Schmidt")
    rude = _rate(world, 1, 1, "You are all <b>idiots</b>", name="Aiko Tanaka")
    _rate(world, 2, 3, "", name="James Carter")
    actions.rating_reply(
        business=world.business,
        rating_id=nice.pk,
        text="Thank you, Maria!",
        actor=_owner(world),
        now=factories.MONDAY,
    )
    actions.rating_hide(
        business=world.business,
        rating_id=rude.pk,
        reason="abuse",
        actor=_owner(world),
        now=factories.MONDAY,
    )
    _show(world)
    response = client.get(f"/reviews/{world.business.slug}/")
    assert response.status_code == 200
    page = response.text
    assert "Reviews of Acme Studio" in page
    assert page.count('class="review"') == 3
    assert "Lovely cut" in page and "Thank you, Maria!" in page and "Reply from Acme Studio" in page
    assert "idiots" not in page
    assert "The comment was hidden because it contained abusive language." in page
    # The hidden rating's stars still count.
    assert 'aria-label="3.0 out of 5 from 3 ratings"' in page
    assert "May 2030" in page and "Haircut with Alex" in page
    markup = _ld(page)
    assert markup["aggregateRating"]["ratingCount"] == 3
    bodies = [r.get("reviewBody") for r in markup["review"]]
    assert bodies == [None, None, "Lovely cut"]  # newest first; the hidden one has none
    assert markup["review"][2]["author"] == {"@type": "Person", "name": "Maria S."}


def test_markup_cannot_close_its_script_tag(client: Client, world: World):
    _rate(world, 0, 5, "</script><script>alert(1)</script>")
    _show(world)
    page = client.get(f"/reviews/{world.business.slug}/").text
    assert "<script>alert(1)" not in page
    assert _ld(page)["review"][0]["reviewBody"] == "</script><script>alert(1)</script>"


def test_reviews_page_pagination(client: Client, world: World):
    for day in range(23):
        _rate(world, day, 1 + day % 5, f"Visit number {day:02d}.")
    _show(world)
    url = f"/reviews/{world.business.slug}/"
    first = client.get(url).text
    assert "Visit number 22." in first and "Visit number 13." in first
    assert "Visit number 12." not in first
    assert "Page 1 of 3" in first and "?page=2" in first
    last = client.get(url, {"page": 3}).text
    assert "Visit number 02." in last and "Visit number 00." in last and "Page 3 of 3" in last
    # Past the end or not a number: the last or the first page, never an error.
    assert "Page 3 of 3" in client.get(url, {"page": 99}).text
    assert "Page 1 of 3" in client.get(url, {"page": "x"}).text


def test_reviews_page_filters_by_provider_and_service(client: Client, world: World):
    other = factories.make_service(world.business, "Colour")
    world.alex.services.add(other)
    _rate(world, 0, 5, "By Alex", provider=world.alex)
    _rate(world, 1, 2, "By Blake", provider=world.blake)
    _rate(world, 2, 4, "Colour by Alex", provider=world.alex, service=other)
    _show(world)
    url = f"/reviews/{world.business.slug}/"
    blake = client.get(url, {"provider": world.blake.pk}).text
    assert "By Blake" in blake and "By Alex" not in blake
    assert "Reviews of appointments with Blake" in blake
    colour = client.get(url, {"service": other.pk}).text
    assert "Colour by Alex" in colour and "By Blake" not in colour
    # An id of nothing rated (or of another business) is no filter at all.
    assert client.get(url, {"provider": 999999}).text.count('class="review"') == 3


def test_reviews_page_of_another_business_never_mixes(
    client: Client, world: World, other_world: World
):
    _rate(world, 0, 5, "Ours")
    _show(world)
    assert client.get(f"/reviews/{other_world.business.slug}/").status_code == 404
    assert client.get("/reviews/nobody-here/").status_code == 404
    page = client.get(f"/reviews/{world.business.slug}/").text
    assert "Ours" in page


def test_reviews_page_is_read_only(client: Client, world: World):
    _show(world)
    assert client.post(f"/reviews/{world.business.slug}/").status_code == 405


def test_the_booking_page_links_to_booking(client: Client, world: World):
    _rate(world, 0, 5, "Great")
    _show(world)
    page = client.get(f"/reviews/{world.business.slug}/").text
    assert f'href="/book/{world.business.slug}/{world.page.slug}/"' in page


def test_ratings_stay_counted_after_a_hide(world: World):
    rating = _rate(world, 0, 1, "Rude")
    actions.rating_hide(
        business=world.business,
        rating_id=rating.pk,
        reason="abuse",
        actor=_owner(world),
        now=factories.MONDAY,
    )
    assert Rating.objects.filter(business=world.business).count() == 1


@pytest.mark.parametrize(
    ("value", "shapes"),
    [
        (4.6, ["full", "full", "full", "full", "half"]),
        (4.74, ["full", "full", "full", "full", "half"]),
        (4.75, ["full"] * 5),
        (1.2, ["full", "empty", "empty", "empty", "empty"]),
        (0, ["empty"] * 5),
        (9, ["full"] * 5),
        ("", ["empty"] * 5),
        (None, ["empty"] * 5),
    ],
)
def test_stars_are_drawn_to_the_nearest_half(value, shapes):
    from slotwise.site.templatetags.site_reviews import star_shapes

    assert star_shapes(value) == shapes


@pytest.mark.parametrize(
    ("count", "total", "percent"), [(0, 10, 0), (1, 100, 5), (5, 10, 50), (10, 10, 100), (3, 0, 0)]
)
def test_distribution_bars(count, total, percent):
    from slotwise.site.templatetags.site_reviews import share_of

    assert share_of(count, total) == percent


def test_the_booking_page_reads_ratings_in_a_fixed_number_of_queries(client: Client, world: World):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _show(world)
    _rate(world, 0, 5, "One")

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(_book_url(world)).status_code == 200
        return len(captured)

    queries()  # the first request also creates the address's rate-limit counter
    few = queries()
    for day in range(1, 8):
        _rate(
            world, day, 1 + day % 5, f"More {day}", provider=world.blake if day % 2 else world.alex
        )
    assert queries() == few


def test_markup_names_the_public_address(client: Client, world: World, settings):
    settings.SITE_URL = "https://book.example.com"
    _rate(world, 0, 5, "Great")
    _show(world)
    page = client.get(_book_url(world), HTTP_HOST="127.0.0.1").text
    assert _ld(page)["url"] == f"https://book.example.com/reviews/{world.business.slug}/"
