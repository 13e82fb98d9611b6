"""Ratings shown to future customers (docs/ratings.md): who may reply and hide, what is public,
and that every rating counts whatever its stars or its hidden comment."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model

from slotwise.bookings import actions, policy, reviews
from slotwise.bookings.actor import Actor
from slotwise.bookings.models import BookingEvent, Rating
from slotwise.core import errors
from slotwise.core.models import Membership
from tests import factories
from tests.conftest import World

pytestmark = pytest.mark.django_db

NOW = factories.MONDAY + timedelta(days=40)


def _rate(
    world: World,
    day: int,
    stars: int,
    comment: str = "",
    *,
    name: str = "Casey Lee",
    provider=None,
    service=None,
) -> Rating:
    customer = factories.make_customer(world.business, name, f"c{day}@example.test")
    return factories.rated_booking(
        world.business,
        service=service or world.service,
        provider=provider or world.alex,
        customer=customer,
        start=factories.local(world.business, 2030, 6, 3, 10) + timedelta(days=day),
        stars=stars,
        comment=comment,
    )


def _member(world: World, role: str, email: str = "m@acme.test") -> Actor:
    user = get_user_model().objects.create_user(username=email, email=email, password="x" * 20)
    Membership.objects.create(business=world.business, user=user, role=role)
    return Actor.staff(user)


def _owner(world: World) -> Actor:
    return Actor.staff(Membership.objects.get(business=world.business, role="owner").user)


# --- the pure rules --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("Casey Lee", "Casey L."),
        ("casey lee", "casey L."),
        ("Maria de la Cruz", "Maria C."),
        ("Aiko", "Aiko"),
        ("  Émile   Zola ", "Émile Z."),
        ("", "A customer"),
        ("   ", "A customer"),
        ("casey@example.com", "A customer"),
        ("Casey casey@example.com", "Casey"),
        ("Casey +49 30 555", "Casey"),
        ("Dr. Casey Lee", "Dr. L."),
    ],
)
def test_public_name_is_first_name_and_initial(name: str, shown: str) -> None:
    assert policy.public_name(name) == shown


@pytest.mark.parametrize(
    ("actor_kind", "role", "allowed"),
    [
        ("staff", "owner", True),
        ("staff", "admin", True),
        ("staff", "staff", False),
        ("staff", None, False),
        ("api", None, True),
        ("customer", None, False),
        ("system", None, False),
    ],
)
def test_who_may_reply_or_hide(actor_kind: str, role: str | None, allowed: bool) -> None:
    refusal = policy.rating_moderation_refusal(actor_kind=actor_kind, role=role)
    assert (refusal is None) is allowed
    if refusal is not None:
        assert refusal.code == "not_allowed"


REASONS = frozenset(Rating.HideReason.values)


@pytest.mark.parametrize(
    ("comment", "hidden", "reason", "code"),
    [
        ("Rude words", False, "abuse", None),
        ("My number is 555", False, "personal_data", None),
        ("Buy pills", False, "spam", None),
        ("Too slow", False, "i_dislike_it", "invalid_input"),
        ("Too slow", False, "", "invalid_input"),
        ("", False, "abuse", "invalid_input"),
        ("  ", False, "abuse", "invalid_input"),
        ("Rude words", True, "abuse", "already_hidden"),
    ],
)
def test_hide_rule(comment: str, hidden: bool, reason: str, code: str | None) -> None:
    refusal = policy.rating_hide_refusal(
        comment=comment, hidden=hidden, reason=reason, reasons=REASONS
    )
    assert (refusal.code if refusal else None) == code


@pytest.mark.parametrize(
    ("text", "ok"),
    [("Thank you!", True), ("", False), ("   \n", False), ("x" * 2000, True), ("x" * 2001, False)],
)
def test_reply_text_rule(text: str, ok: bool) -> None:
    assert (policy.reply_text_refusal(text) is None) is ok


# --- replying ----------------------------------------------------------------------------------


def test_reply_once_then_edit(world: World) -> None:
    rating = _rate(world, 0, 2, "Too slow")
    owner = _owner(world)
    actions.rating_reply(
        business=world.business, rating_id=rating.pk, text=" Sorry! ", actor=owner, now=NOW
    )
    rating.refresh_from_db()
    assert rating.reply == "Sorry!" and rating.replied_at == NOW and rating.reply_edited_at is None
    assert rating.replied_by == owner.user and rating.replied_by_label == owner.label

    with pytest.raises(errors.AlreadyReplied):
        actions.rating_reply(
            business=world.business, rating_id=rating.pk, text="Again", actor=owner, now=NOW
        )
    rating.refresh_from_db()
    assert rating.reply == "Sorry!"

    later = NOW + timedelta(hours=1)
    actions.rating_reply_edit(
        business=world.business, rating_id=rating.pk, text="Sorry, fixed.", actor=owner, now=later
    )
    rating.refresh_from_db()
    assert rating.reply == "Sorry, fixed." and rating.replied_at == NOW
    assert rating.reply_edited_at == later
    kinds = list(
        BookingEvent.objects.filter(booking=rating.booking, kind="rating_replied").values_list(
            "new", flat=True
        )
    )
    assert kinds == [{"edited": False}, {"edited": True}]


def test_edit_without_a_reply_is_refused(world: World) -> None:
    rating = _rate(world, 0, 4)
    with pytest.raises(errors.NoReply):
        actions.rating_reply_edit(
            business=world.business, rating_id=rating.pk, text="Hi", actor=_owner(world), now=NOW
        )


def test_an_empty_reply_changes_nothing(world: World) -> None:
    rating = _rate(world, 0, 4)
    with pytest.raises(errors.InvalidInput):
        actions.rating_reply(
            business=world.business, rating_id=rating.pk, text=" ", actor=_owner(world), now=NOW
        )
    rating.refresh_from_db()
    assert not rating.has_reply
    assert not BookingEvent.objects.filter(kind="rating_replied").exists()


@pytest.mark.parametrize("role", ["staff"])
def test_front_desk_staff_may_not_reply_or_hide(world: World, role: str) -> None:
    rating = _rate(world, 0, 1, "Awful")
    desk = _member(world, role)
    with pytest.raises(errors.NotAllowed):
        actions.rating_reply(
            business=world.business, rating_id=rating.pk, text="Hm", actor=desk, now=NOW
        )
    with pytest.raises(errors.NotAllowed):
        actions.rating_hide(
            business=world.business, rating_id=rating.pk, reason="abuse", actor=desk, now=NOW
        )
    rating.refresh_from_db()
    assert not rating.has_reply and not rating.comment_hidden


def test_the_role_is_read_when_the_action_runs(world: World) -> None:
    rating = _rate(world, 0, 1, "Awful")
    admin = _member(world, "admin")
    Membership.objects.filter(user=admin.user).update(role="staff")  # demoted meanwhile
    with pytest.raises(errors.NotAllowed):
        actions.rating_reply(
            business=world.business, rating_id=rating.pk, text="Hm", actor=admin, now=NOW
        )


def test_a_member_of_another_business_may_not_moderate(world: World, other_world: World) -> None:
    rating = _rate(world, 0, 1, "Awful")
    their_owner = Actor.staff(
        Membership.objects.get(business=other_world.business, role="owner").user
    )
    with pytest.raises(errors.NotAllowed):
        actions.rating_reply(
            business=world.business, rating_id=rating.pk, text="Hm", actor=their_owner, now=NOW
        )


def test_another_business_rating_is_not_found(world: World, other_world: World) -> None:
    theirs = _rate(other_world, 0, 5, "Great")
    for call in (
        lambda: actions.rating_reply(
            business=world.business, rating_id=theirs.pk, text="Hi", actor=_owner(world), now=NOW
        ),
        lambda: actions.rating_hide(
            business=world.business,
            rating_id=theirs.pk,
            reason="abuse",
            actor=_owner(world),
            now=NOW,
        ),
        lambda: actions.rating_unhide(
            business=world.business, rating_id=theirs.pk, actor=_owner(world), now=NOW
        ),
        lambda: reviews.access_rating(world.business, theirs.pk),
    ):
        with pytest.raises(errors.NotFound):
            call()
    theirs.refresh_from_db()
    assert not theirs.has_reply and not theirs.comment_hidden


def test_the_api_may_reply(world: World) -> None:
    rating = _rate(world, 0, 5, "Great")
    actions.rating_reply(
        business=world.business,
        rating_id=rating.pk,
        text="Thanks!",
        actor=Actor.api("Website"),
        now=NOW,
    )
    rating.refresh_from_db()
    assert rating.replied_by is None and rating.replied_by_label == "Website"


# --- hiding --------------------------------------------------------------------------------


def test_hide_records_who_and_why_and_unhide_restores(world: World) -> None:
    rating = _rate(world, 0, 1, "Call me on 0170 5551234, Alex is rude")
    owner = _owner(world)
    actions.rating_hide(
        business=world.business,
        rating_id=rating.pk,
        reason="personal_data",
        note="phone number",
        actor=owner,
        now=NOW,
    )
    rating.refresh_from_db()
    assert rating.comment_hidden and rating.comment_hidden_at == NOW
    assert rating.comment_hidden_reason == "personal_data"
    assert rating.comment_hidden_note == "phone number"
    assert rating.comment_hidden_by == owner.user
    assert rating.comment == "Call me on 0170 5551234, Alex is rude"  # kept, never deleted
    event = BookingEvent.objects.get(booking=rating.booking, kind="rating_hidden")
    assert event.new == {"reason": "personal_data", "note": "phone number"}
    assert event.actor_user == owner.user

    with pytest.raises(errors.CommentAlreadyHidden):
        actions.rating_hide(
            business=world.business, rating_id=rating.pk, reason="abuse", actor=owner, now=NOW
        )

    actions.rating_unhide(business=world.business, rating_id=rating.pk, actor=owner, now=NOW)
    rating.refresh_from_db()
    assert not rating.comment_hidden and rating.comment_hidden_reason == ""
    assert BookingEvent.objects.get(booking=rating.booking, kind="rating_shown").new == {
        "was": "personal_data"
    }
    with pytest.raises(errors.CommentNotHidden):
        actions.rating_unhide(business=world.business, rating_id=rating.pk, actor=owner, now=NOW)


def test_hiding_needs_a_content_reason(world: World) -> None:
    rating = _rate(world, 0, 1, "Too slow")
    with pytest.raises(errors.InvalidInput):
        actions.rating_hide(
            business=world.business,
            rating_id=rating.pk,
            reason="negative",
            actor=_owner(world),
            now=NOW,
        )
    rating.refresh_from_db()
    assert not rating.comment_hidden


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "twin",
    [
        actions.rating_reply_in_transaction,
        actions.rating_reply_edit_in_transaction,
        actions.rating_hide_in_transaction,
        actions.rating_unhide_in_transaction,
    ],
)
def test_the_twins_refuse_to_run_outside_a_transaction(twin) -> None:
    kwargs = {"business": None, "rating_id": 1, "actor": Actor.api("x"), "now": NOW}
    extra = {"text": "x"} if "reply" in twin.__name__ else {}
    extra |= {"reason": "abuse"} if "hide" in twin.__name__ and "un" not in twin.__name__ else {}
    with pytest.raises(RuntimeError, match="write_transaction"):
        twin(**kwargs, **extra)


# --- what is public ------------------------------------------------------------------------


def test_every_rating_counts_hidden_comments_and_low_stars_included(world: World) -> None:
    _rate(world, 0, 5, "Great")
    _rate(world, 1, 1, "Rude!", provider=world.blake)
    low = _rate(world, 2, 2, "Idiots", provider=world.blake)
    actions.rating_hide(
        business=world.business, rating_id=low.pk, reason="abuse", actor=_owner(world), now=NOW
    )
    summary = reviews.review_summary(business=world.business)
    assert summary.overall.count == 3
    assert summary.overall.rounded == round(8 / 3, 1)
    assert summary.distribution == ((5, 1), (4, 0), (3, 0), (2, 1), (1, 1))
    assert summary.provider(world.alex.pk) == reviews.Stars(5.0, 1)
    assert summary.provider(world.blake.pk) == reviews.Stars(1.5, 2)
    assert summary.service(world.service.pk).count == 3  # type: ignore[union-attr]
    assert summary.service(999_999) is None

    shown, count = reviews.public_reviews(business=world.business)
    assert count == 3 and [r.stars for r in shown] == [2, 1, 5]  # newest first
    hidden = shown[0]
    assert hidden.comment == "" and hidden.comment_hidden
    assert hidden.hidden_notice == "The comment was hidden because it contained abusive language."
    assert shown[1].comment == "Rude!"


def test_public_reviews_name_month_and_reply(world: World) -> None:
    rating = _rate(world, 0, 4, "Nice", name="Casey Lee")
    actions.rating_reply(
        business=world.business, rating_id=rating.pk, text="Thanks", actor=_owner(world), now=NOW
    )
    (review,) = reviews.latest_reviews(business=world.business)
    assert review.author == "Casey L."
    assert review.service == world.service.name and review.provider == "Alex"
    assert review.month.isoformat() == "2030-06-01" and review.month_text == "June 2030"
    assert review.reply == "Thanks" and review.replied_at == NOW
    assert review.stars_label == "4 out of 5 stars"


def test_stars_in_words() -> None:
    assert reviews.Stars(4.5833, 23).label == "4.6 out of 5 from 23 ratings"
    assert reviews.Stars(5.0, 1).label == "5.0 out of 5 from 1 rating"
    assert reviews.Stars(4.25, 4).rounded == 4.3  # halves round up, as people expect
    assert reviews.Stars(3.0, 2).percent == 60


def test_reads_never_leave_the_business(world: World, other_world: World) -> None:
    _rate(world, 0, 5, "Ours")
    _rate(other_world, 0, 1, "Theirs")
    assert reviews.review_summary(business=world.business).overall == reviews.Stars(5.0, 1)
    assert [r.comment for r in reviews.public_reviews(business=world.business)[0]] == ["Ours"]
    assert [r.comment for r in reviews.staff_ratings(business=world.business)] == ["Ours"]


def test_pagination_and_filters(world: World) -> None:
    for day in range(12):
        _rate(
            world, day, 1 + day % 5, f"Visit {day}", provider=world.alex if day % 2 else world.blake
        )
    page, count = reviews.public_reviews(business=world.business, offset=10, limit=10)
    assert count == 12 and [r.comment for r in page] == ["Visit 1", "Visit 0"]
    alex, alex_count = reviews.public_reviews(business=world.business, provider_id=world.alex.pk)
    assert alex_count == 6 and all(r.provider == "Alex" for r in alex)
    assert reviews.review_count(business=world.business, service_id=world.service.pk) == 12
    staff = reviews.staff_ratings(business=world.business, stars=1)
    assert sorted(r.comment for r in staff) == ["Visit 0", "Visit 10", "Visit 5"]


def test_public_business_needs_the_setting(world: World) -> None:
    with pytest.raises(errors.ReviewsNotShown) as caught:
        reviews.public_business(business_slug=world.business.slug)
    assert caught.value.code == "reviews_not_shown" and caught.value.http_status == 404
    with pytest.raises(errors.NotFound):
        reviews.public_business(business_slug="nobody")
    actions.reviews_settings_update(business=world.business, show_on_pages=True)
    assert reviews.public_business(business_slug=world.business.slug) == world.business


def test_the_setting_is_off_for_a_new_business(world: World) -> None:
    assert world.business.show_ratings_on_pages is False
    assert not reviews.reviews_shown(world.business)
