"""Rating by link: 1–5 stars and a comment, once, only for a completed booking."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from slotwise.bookings import actions
from slotwise.bookings.actor import Actor
from slotwise.bookings.models import BookingToken, Rating
from tests import factories
from tests.site.conftest import NOW

pytestmark = pytest.mark.django_db

START = datetime(2030, 5, 31, 8, 0, tzinfo=UTC)  # yesterday, 10:00 in Berlin


@pytest.fixture
def visit(world):
    booking = factories.custom_booking(
        world.business,
        service=world.service,
        provider=world.alex,
        customer=world.customer,
        start=START,
        now=START - timedelta(days=2),
    )
    return booking


def _rate_url(booking) -> str:
    token = actions.token_issue(booking=booking, purpose=BookingToken.Purpose.RATE, now=NOW)
    return f"/rate/{token}/"


def _complete(booking) -> None:
    actions.booking_complete(booking_id=booking.pk, actor=Actor.system("desk"), now=NOW)


def test_rate_once_then_thank_you(client, visit):
    _complete(visit)
    url = _rate_url(visit)
    page = client.get(url)
    assert page.status_code == 200
    assert "How was your visit?" in page.text
    assert page.text.count('type="radio"') == 5
    assert "4 stars, very good" in page.text
    assert not Rating.objects.exists()  # opening the link rates nothing

    response = client.post(url, {"stars": "4", "comment": "Lovely cut"})
    assert response.status_code == 302
    rating = Rating.objects.get()
    assert rating.stars == 4 and rating.comment == "Lovely cut"
    follow = client.get(url)
    assert "Thank you for your rating" in follow.text
    assert "4 stars" in follow.text
    assert "Lovely cut" in follow.text
    assert 'type="radio"' not in follow.text

    # A second submit: no second rating, the thank-you page, no error.
    response = client.post(url, {"stars": "1"}, follow=True)
    assert response.status_code == 200
    assert "Thank you for your rating" in response.text
    assert Rating.objects.get().stars == 4


def test_stars_are_required_and_bounded(client, visit):
    _complete(visit)
    url = _rate_url(visit)
    for stars in ("", "0", "6", "x"):
        response = client.post(url, {"stars": stars})
        assert response.status_code == 200
        assert 'class="error"' in response.text
    assert not Rating.objects.exists()


def test_not_completed_cannot_be_rated(client, visit):
    url = _rate_url(visit)
    response = client.get(url)
    assert "has not taken place yet" in response.text
    assert 'type="radio"' not in response.text
    response = client.post(url, {"stars": "5"}, follow=True)
    assert "Only a completed appointment can be rated." in response.text
    assert not Rating.objects.exists()


def test_manage_token_does_not_open_the_rating(client, visit):
    token = actions.token_issue(booking=visit, purpose=BookingToken.Purpose.MANAGE, now=NOW)
    assert client.get(f"/rate/{token}/").status_code == 404
    assert client.get("/rate/nonsense/").status_code == 404


def test_rating_needs_csrf(visit):
    _complete(visit)
    url = _rate_url(visit)
    assert Client(enforce_csrf_checks=True).post(url, {"stars": "5"}).status_code == 403
    assert not Rating.objects.exists()
