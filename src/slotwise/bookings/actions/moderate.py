"""The business's side of a rating: one public reply (editable), and hiding a comment's text.

Hiding is for a content reason only (abuse, personal data, spam), recorded with who and why; the
rating's stars still count everywhere and the public pages say a comment was hidden. Only the
business's owners and admins (and its API keys) may do either
(``policy.rating_moderation_refusal``), checked here, under the rating's row lock, with the
member's role as it is now.
"""

from __future__ import annotations

from datetime import datetime

from django.utils.translation import gettext as _

from slotwise.bookings import policy
from slotwise.bookings.actions import _common
from slotwise.bookings.actor import Actor
from slotwise.bookings.models import BookingEvent, Rating
from slotwise.core import errors
from slotwise.core.models import Business, Membership

HIDE_REASONS = frozenset(Rating.HideReason.values)


def _locked(business: Business, rating_id: int, actor: Actor) -> Rating:
    """The business's rating, locked; refused unless the actor may moderate it."""
    rating = (
        Rating.objects.select_for_update(of=("self",))
        .select_related("booking", "booking__service", "booking__provider", "booking__customer")
        .filter(business_id=business.pk, pk=rating_id)
        .first()
    )
    if rating is None:
        raise errors.NotFound(_("Rating not found."))
    role = None
    if actor.kind == "staff" and actor.user is not None:
        # The role as it is now: a member demoted since the page was loaded is refused.
        role = (
            Membership.objects.filter(business_id=business.pk, user=actor.user)
            .values_list("role", flat=True)
            .first()
        )
    refusal = policy.rating_moderation_refusal(actor_kind=actor.kind, role=role)
    if refusal is not None:
        raise refusal
    return rating


def _who(rating: Rating, actor: Actor) -> tuple[object, str]:
    return (actor.user if actor.kind == "staff" else None), actor.label[:200]


def _history(rating: Rating, *, kind: str, actor: Actor, now: datetime, **new: object) -> None:
    _common.record(rating.booking, kind=kind, actor=actor, now=now, new=dict(new))


def rating_reply(
    *, business: Business, rating_id: int, text: str, actor: Actor, now: datetime
) -> Rating:
    """Publish the business's reply to a rating; a second reply is ``already_replied``."""
    with _common.write_transaction():
        return rating_reply_in_transaction(
            business=business, rating_id=rating_id, text=text, actor=actor, now=now
        )


def rating_reply_in_transaction(
    *, business: Business, rating_id: int, text: str, actor: Actor, now: datetime
) -> Rating:
    """``rating_reply`` in the caller's transaction (see ``write_transaction``)."""
    _common.require_transaction()
    rating = _locked(business, rating_id, actor)
    if rating.has_reply:
        raise errors.AlreadyReplied()
    refusal = policy.reply_text_refusal(text)
    if refusal is not None:
        raise refusal
    rating.reply = text.strip()
    rating.replied_at = now
    rating.reply_edited_at = None
    rating.replied_by, rating.replied_by_label = _who(rating, actor)  # type: ignore[assignment]
    rating.save(
        update_fields=["reply", "replied_at", "reply_edited_at", "replied_by", "replied_by_label"]
    )
    _history(rating, kind=BookingEvent.Kind.RATING_REPLIED, actor=actor, now=now, edited=False)
    return rating


def rating_reply_edit(
    *, business: Business, rating_id: int, text: str, actor: Actor, now: datetime
) -> Rating:
    """Change the text of the business's reply (``no_reply`` when there is none yet)."""
    with _common.write_transaction():
        return rating_reply_edit_in_transaction(
            business=business, rating_id=rating_id, text=text, actor=actor, now=now
        )


def rating_reply_edit_in_transaction(
    *, business: Business, rating_id: int, text: str, actor: Actor, now: datetime
) -> Rating:
    """``rating_reply_edit`` in the caller's transaction (see ``write_transaction``)."""
    _common.require_transaction()
    rating = _locked(business, rating_id, actor)
    if not rating.has_reply:
        raise errors.NoReply()
    refusal = policy.reply_text_refusal(text)
    if refusal is not None:
        raise refusal
    rating.reply = text.strip()
    rating.reply_edited_at = now
    rating.replied_by, rating.replied_by_label = _who(rating, actor)  # type: ignore[assignment]
    rating.save(update_fields=["reply", "reply_edited_at", "replied_by", "replied_by_label"])
    _history(rating, kind=BookingEvent.Kind.RATING_REPLIED, actor=actor, now=now, edited=True)
    return rating


def rating_hide(
    *,
    business: Business,
    rating_id: int,
    reason: str,
    note: str = "",
    actor: Actor,
    now: datetime,
) -> Rating:
    """Hide a rating's comment from the public pages for a content reason; its stars still
    count. Recorded with who, when and why; the comment itself is kept."""
    with _common.write_transaction():
        return rating_hide_in_transaction(
            business=business, rating_id=rating_id, reason=reason, note=note, actor=actor, now=now
        )


def rating_hide_in_transaction(
    *, business: Business, rating_id: int, reason: str, note: str = "", actor: Actor, now: datetime
) -> Rating:
    """``rating_hide`` in the caller's transaction (see ``write_transaction``)."""
    _common.require_transaction()
    rating = _locked(business, rating_id, actor)
    refusal = policy.rating_hide_refusal(
        comment=rating.comment,
        hidden=rating.comment_hidden,
        reason=reason,
        reasons=HIDE_REASONS,
    )
    if refusal is not None:
        raise refusal
    rating.comment_hidden_at = now
    rating.comment_hidden_reason = reason
    rating.comment_hidden_note = note.strip()[:300]
    rating.comment_hidden_by, rating.comment_hidden_by_label = _who(rating, actor)  # type: ignore[assignment]
    rating.save(
        update_fields=[
            "comment_hidden_at",
            "comment_hidden_reason",
            "comment_hidden_note",
            "comment_hidden_by",
            "comment_hidden_by_label",
        ]
    )
    _history(
        rating,
        kind=BookingEvent.Kind.RATING_HIDDEN,
        actor=actor,
        now=now,
        reason=reason,
        note=rating.comment_hidden_note,
    )
    return rating


def rating_unhide(*, business: Business, rating_id: int, actor: Actor, now: datetime) -> Rating:
    """Show a hidden comment again (``not_hidden`` when it is shown already)."""
    with _common.write_transaction():
        return rating_unhide_in_transaction(
            business=business, rating_id=rating_id, actor=actor, now=now
        )


def rating_unhide_in_transaction(
    *, business: Business, rating_id: int, actor: Actor, now: datetime
) -> Rating:
    """``rating_unhide`` in the caller's transaction (see ``write_transaction``)."""
    _common.require_transaction()
    rating = _locked(business, rating_id, actor)
    if not rating.comment_hidden:
        raise errors.CommentNotHidden()
    old_reason = rating.comment_hidden_reason
    rating.comment_hidden_at = None
    rating.comment_hidden_reason = ""
    rating.comment_hidden_note = ""
    rating.comment_hidden_by = None
    rating.comment_hidden_by_label = ""
    rating.save(
        update_fields=[
            "comment_hidden_at",
            "comment_hidden_reason",
            "comment_hidden_note",
            "comment_hidden_by",
            "comment_hidden_by_label",
        ]
    )
    _history(rating, kind=BookingEvent.Kind.RATING_SHOWN, actor=actor, now=now, was=old_reason)
    return rating


def reviews_settings_update(*, business: Business, show_on_pages: bool) -> Business:
    """Turn the public ratings on or off: the booking pages, the reviews page and the public
    API follow at once. Ratings themselves are never changed by it."""
    with _common.write_transaction():
        Business.objects.filter(pk=business.pk).update(show_ratings_on_pages=show_on_pages)
    business.show_ratings_on_pages = show_on_pages
    return business
