"""The backoffice's ratings page: the public setting, replies and hidden comments
(docs/ratings.md). Owners and admins moderate; front-desk staff only read."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from slotwise.bookings.models import Rating
from slotwise.core.models import Business
from tests import factories
from tests.conftest import World

pytestmark = pytest.mark.django_db


@pytest.fixture
def rating(world: World) -> Rating:
    customer = factories.make_customer(world.business, "Casey Lee", "casey.lee@example.test")
    return factories.rated_booking(
        world.business,
        service=world.service,
        provider=world.alex,
        customer=customer,
        start=factories.local(world.business, 2030, 1, 6, 10),
        stars=1,
        comment="Alex was rude. Call me: 0170 5551234",
    )


def _url(name: str, rating: Rating) -> str:
    return reverse(f"backoffice:{name}", args=[rating.pk])


def test_owner_turns_the_public_ratings_on_and_off(owner_client: Client, world: World):
    page = owner_client.get(reverse("backoffice:ratings")).text
    assert (
        'name="show_on_pages"' in page
        and "checked" not in page.split('name="show_on_pages"')[1][:40]
    )
    response = owner_client.post(reverse("backoffice:ratings_settings"), {"show_on_pages": "on"})
    assert response.status_code == 302
    assert Business.objects.get(pk=world.business.pk).show_ratings_on_pages is True
    page = owner_client.get(reverse("backoffice:ratings")).text
    assert "Ratings are now shown on your booking pages." in page
    assert f'href="/reviews/{world.business.slug}/"' in page
    owner_client.post(reverse("backoffice:ratings_settings"), {})
    assert Business.objects.get(pk=world.business.pk).show_ratings_on_pages is False


def test_front_desk_staff_cannot_change_the_setting(staff_client: Client, world: World):
    response = staff_client.post(reverse("backoffice:ratings_settings"), {"show_on_pages": "on"})
    assert response.status_code == 403
    assert Business.objects.get(pk=world.business.pk).show_ratings_on_pages is False
    page = staff_client.get(reverse("backoffice:ratings")).text
    assert 'name="show_on_pages"' not in page
    assert "Owners and admins can change this" in page


def test_owner_replies_then_edits(owner_client: Client, rating: Rating):
    response = owner_client.post(_url("rating_reply", rating), {"text": "We are sorry."})
    assert response.status_code == 302 and response["Location"].endswith(f"#rating-{rating.pk}")
    rating.refresh_from_db()
    assert rating.reply == "We are sorry."
    page = owner_client.get(reverse("backoffice:ratings")).text
    assert "Reply published." in page and "Edit reply" in page
    # A second "reply" (a stale page) is refused with the domain's message; nothing changes.
    owner_client.post(_url("rating_reply", rating), {"text": "Again"})
    page = owner_client.get(reverse("backoffice:ratings")).text
    assert "This rating already has a reply. Edit the reply instead." in page
    rating.refresh_from_db()
    assert rating.reply == "We are sorry."
    owner_client.post(_url("rating_reply_edit", rating), {"text": "We are very sorry."})
    rating.refresh_from_db()
    assert rating.reply == "We are very sorry." and rating.reply_edited_at is not None


def test_an_empty_reply_is_refused(owner_client: Client, rating: Rating):
    owner_client.post(_url("rating_reply", rating), {"text": "  "})
    assert "Write a reply." in owner_client.get(reverse("backoffice:ratings")).text
    rating.refresh_from_db()
    assert not rating.has_reply


def test_owner_hides_and_shows_a_comment(owner_client: Client, rating: Rating):
    owner_client.post(
        _url("rating_hide", rating), {"reason": "personal_data", "note": "phone number"}
    )
    rating.refresh_from_db()
    assert rating.comment_hidden and rating.comment_hidden_reason == "personal_data"
    page = owner_client.get(reverse("backoffice:ratings")).text
    assert "Hidden from the public" in page and "phone number" in page
    assert "The comment was hidden because it contained personal data." in page
    assert "Show comment again" in page
    owner_client.post(_url("rating_unhide", rating))
    rating.refresh_from_db()
    assert not rating.comment_hidden


def test_front_desk_staff_see_ratings_but_cannot_moderate(staff_client: Client, rating: Rating):
    page = staff_client.get(reverse("backoffice:ratings")).text
    assert "Casey Lee" in page and "Alex was rude" in page
    assert 'name="text"' not in page and "Hide comment" not in page
    staff_client.post(_url("rating_reply", rating), {"text": "Hm"})
    staff_client.post(_url("rating_hide", rating), {"reason": "abuse"})
    rating.refresh_from_db()
    assert not rating.has_reply and not rating.comment_hidden
    page = staff_client.get(reverse("backoffice:ratings")).text
    assert "owners and admins can reply to or hide ratings." in page


@pytest.mark.parametrize(
    "name", ["rating_reply", "rating_reply_edit", "rating_hide", "rating_unhide"]
)
def test_moderation_urls_take_only_posts(owner_client: Client, rating: Rating, name: str):
    assert owner_client.get(_url(name, rating)).status_code == 405


def test_ratings_list_is_paginated(owner_client: Client, world: World):
    for day in range(23):
        customer = factories.make_customer(world.business, f"Person {day}", f"p{day}@example.test")
        factories.rated_booking(
            world.business,
            service=world.service,
            provider=world.alex,
            customer=customer,
            start=factories.local(world.business, 2030, 1, 1, 10) - timedelta(days=day),
            stars=5,
        )
    first = owner_client.get(reverse("backoffice:ratings")).text
    assert first.count('class="rating-row"') == 20 and "Page 1 of 2" in first
    second = owner_client.get(reverse("backoffice:ratings"), {"page": 2}).text
    assert second.count('class="rating-row"') == 3


def test_booking_detail_shows_the_moderation(owner_client: Client, rating: Rating):
    owner_client.post(_url("rating_reply", rating), {"text": "We are sorry."})
    owner_client.post(_url("rating_hide", rating), {"reason": "abuse"})
    page = owner_client.get(
        reverse("backoffice:booking_detail", args=[rating.booking.reference])
    ).text
    assert "Comment hidden from the public" in page and "We are sorry." in page
    assert f"#rating-{rating.pk}" in page
