"""Ratings in the API: the staff's list, reply (once, editable), hide and unhide, the public
setting, and the public reviews (docs/api.md, "Ratings")."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from slotwise.bookings.models import BookingEvent, Rating
from tests import factories
from tests.api.conftest import Api, assert_error

pytestmark = pytest.mark.django_db


def _rate(world: Any, day: int, stars: int, comment: str = "", name: str = "Casey Lee", **kw):
    customer = factories.make_customer(world.business, name, f"c{day}@example.test")
    return factories.rated_booking(
        world.business,
        service=world.service,
        provider=kw.get("provider", world.alex),
        customer=customer,
        start=factories.local(world.business, 2030, 5, 1, 10) + timedelta(days=day),
        stars=stars,
        comment=comment,
    )


@pytest.fixture
def rating(world: Any) -> Rating:
    return _rate(world, 0, 2, "Too slow, and Alex was rude.")


def test_list_ratings_with_filters(api: Api, world: Any) -> None:
    _rate(world, 0, 5, "Great", name="Maria Schmidt")
    low = _rate(world, 1, 1, "Awful", name="Aiko Tanaka", provider=world.blake)
    response = api.get("ratings")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    newest = body["items"][0]
    assert newest["id"] == low.pk and newest["stars"] == 1 and newest["comment"] == "Awful"
    assert newest["customer"]["name"] == "Aiko Tanaka"
    assert newest["customer"]["public_name"] == "Aiko T."
    assert newest["provider_id"] == world.blake.pk and newest["provider_name"] == "Blake"
    assert newest["booking_reference"] == low.booking.reference
    assert newest["hidden"] is None and newest["reply"] is None
    assert newest["created_at"].endswith("+02:00")  # the business's zone
    assert api.get("ratings", stars=5).json()["count"] == 1
    assert api.get("ratings", provider_id=world.blake.pk).json()["count"] == 1
    assert api.get("ratings", hidden="true").json()["count"] == 0
    assert api.get("ratings", replied="false").json()["count"] == 2
    assert api.get("ratings", limit=1, offset=1).json()["items"][0]["stars"] == 5
    assert_error(api.get("ratings", stars=6), 422, "invalid_input")


def test_get_one_rating(api: Api, rating: Rating) -> None:
    assert api.get(f"ratings/{rating.pk}").json()["id"] == rating.pk
    assert_error(api.get("ratings/999999"), 404, "not_found")


def test_reply_once_then_edit(api: Api, rating: Rating) -> None:
    created = api.post(f"ratings/{rating.pk}/reply", {"text": "We are sorry."})
    assert created.status_code == 201, created.content
    reply = created.json()["reply"]
    assert reply["text"] == "We are sorry." and reply["edited_at"] is None
    assert reply["replied_by"] == "Test integration"
    body = assert_error(
        api.post(f"ratings/{rating.pk}/reply", {"text": "Again"}), 409, "already_replied"
    )
    assert "Edit the reply" in body["message"]
    edited = api.put(f"ratings/{rating.pk}/reply", {"text": "We are very sorry."})
    assert edited.status_code == 200
    assert edited.json()["reply"]["text"] == "We are very sorry."
    assert edited.json()["reply"]["edited_at"] is not None
    history = BookingEvent.objects.filter(booking=rating.booking, kind="rating_replied")
    assert [e.actor_kind for e in history] == ["api", "api"]


def test_edit_without_a_reply_and_bad_replies(api: Api, rating: Rating) -> None:
    assert_error(api.put(f"ratings/{rating.pk}/reply", {"text": "Hi"}), 409, "no_reply")
    assert_error(api.post(f"ratings/{rating.pk}/reply", {"text": "   "}), 422, "invalid_input")
    assert_error(api.post(f"ratings/{rating.pk}/reply", {"text": "x" * 2001}), 422, "invalid_input")
    assert_error(api.post(f"ratings/{rating.pk}/reply", {"text": "a\x00b"}), 422, "invalid_input")
    assert_error(api.post(f"ratings/{rating.pk}/reply", {}), 422, "invalid_input")
    rating.refresh_from_db()
    assert not rating.has_reply


def test_hide_and_unhide(api: Api, rating: Rating) -> None:
    hidden = api.post(f"ratings/{rating.pk}/hide", {"reason": "abuse", "note": "insult"})
    assert hidden.status_code == 200, hidden.content
    facts = hidden.json()["hidden"]
    assert facts["reason"] == "abuse" and facts["note"] == "insult"
    assert facts["hidden_by"] == "Test integration"
    assert facts["public_notice"] == "The comment was hidden because it contained abusive language."
    assert hidden.json()["comment"] == "Too slow, and Alex was rude."  # staff still read it
    assert_error(api.post(f"ratings/{rating.pk}/hide", {"reason": "spam"}), 409, "already_hidden")
    shown = api.post(f"ratings/{rating.pk}/unhide")
    assert shown.status_code == 200 and shown.json()["hidden"] is None
    assert_error(api.post(f"ratings/{rating.pk}/unhide"), 409, "not_hidden")


def test_hide_refusals(api: Api, world: Any, rating: Rating) -> None:
    assert_error(
        api.post(f"ratings/{rating.pk}/hide", {"reason": "negative"}), 422, "invalid_input"
    )
    assert_error(api.post(f"ratings/{rating.pk}/hide", {}), 422, "invalid_input")
    bare = _rate(world, 3, 1)
    body = assert_error(
        api.post(f"ratings/{bare.pk}/hide", {"reason": "abuse"}), 422, "invalid_input"
    )
    assert body["message"] == "This rating has no comment to hide."
    rating.refresh_from_db()
    assert not rating.comment_hidden


def test_another_business_rating_is_not_found(other_api: Api, rating: Rating) -> None:
    for call in (
        lambda: other_api.get(f"ratings/{rating.pk}"),
        lambda: other_api.post(f"ratings/{rating.pk}/reply", {"text": "Hi"}),
        lambda: other_api.put(f"ratings/{rating.pk}/reply", {"text": "Hi"}),
        lambda: other_api.post(f"ratings/{rating.pk}/hide", {"reason": "abuse"}),
        lambda: other_api.post(f"ratings/{rating.pk}/unhide"),
    ):
        assert_error(call(), 404, "not_found")
    assert other_api.get("ratings").json() == {"items": [], "count": 0}
    rating.refresh_from_db()
    assert not rating.has_reply and not rating.comment_hidden


def test_reviews_setting(api: Api, world: Any) -> None:
    assert api.get("settings/reviews").json() == {"show_on_pages": False}
    assert api.put("settings/reviews", {"show_on_pages": True}).json() == {"show_on_pages": True}
    world.business.refresh_from_db()
    assert world.business.show_ratings_on_pages is True
    assert_error(api.put("settings/reviews", {"show_on_pages": "maybe"}), 422, "invalid_input")
    assert_error(api.put("settings/reviews", {"show": True}), 422, "invalid_input")
    assert api.put("settings/reviews", {"show_on_pages": False}).json() == {"show_on_pages": False}


def test_public_reviews(anon: Api, api: Api, world: Any) -> None:
    nice = _rate(world, 0, 5, "Lovely", name="Maria Schmidt")
    rude = _rate(world, 1, 1, "Idiots!", name="Aiko Tanaka", provider=world.blake)
    _rate(world, 2, 3, "", name="James Carter")
    api.post(f"ratings/{nice.pk}/reply", {"text": "Thank you!"})
    api.post(f"ratings/{rude.pk}/hide", {"reason": "abuse"})

    assert_error(anon.get("public/acme/reviews"), 404, "reviews_not_shown")
    assert_error(anon.get("public/nobody/reviews"), 404, "not_found")
    assert_error(anon.get("public/NOT_A_SLUG/reviews"), 404, "not_found")
    api.put("settings/reviews", {"show_on_pages": True})

    response = anon.get("public/acme/reviews")
    assert response.status_code == 200
    body = response.json()
    assert body["business"]["slug"] == "acme" and body["count"] == 3
    summary = body["summary"]
    assert summary["average"] == 3.0 and summary["count"] == 3  # the hidden one counts
    assert summary["distribution"] == {"5": 1, "4": 0, "3": 1, "2": 0, "1": 1}
    assert {g["name"]: g["count"] for g in summary["by_provider"]} == {"Alex": 2, "Blake": 1}
    items = body["items"]
    assert [i["author"] for i in items] == ["James C.", "Aiko T.", "Maria S."]
    assert items[1]["comment"] == "" and items[1]["comment_hidden"] is True
    assert items[1]["hidden_notice"].startswith("The comment was hidden")
    assert items[2]["reply"]["text"] == "Thank you!" and items[2]["month"] == "2030-05"
    assert "Schmidt" not in response.text and "example.test" not in response.text
    page = anon.get("public/acme/reviews", limit=1, offset=2).json()
    assert page["count"] == 3 and [i["author"] for i in page["items"]] == ["Maria S."]
    blake = anon.get("public/acme/reviews", provider_id=world.blake.pk).json()
    assert blake["count"] == 1 and blake["summary"]["count"] == 3


def test_public_reviews_of_one_business_only(anon: Api, world: Any, other_world: Any) -> None:
    _rate(world, 0, 5, "Ours")
    world.business.show_ratings_on_pages = True
    world.business.save(update_fields=["show_ratings_on_pages"])
    assert_error(anon.get("public/globex/reviews"), 404, "reviews_not_shown")
    body = anon.get("public/acme/reviews").json()
    assert [i["comment"] for i in body["items"]] == ["Ours"]


def test_staff_endpoints_need_a_key(anon: Api, rating: Rating) -> None:
    for call in (
        lambda: anon.get("ratings"),
        lambda: anon.post(f"ratings/{rating.pk}/reply", {"text": "Hi"}),
        lambda: anon.put("settings/reviews", {"show_on_pages": True}),
    ):
        assert_error(call(), 401, "unauthorized")
