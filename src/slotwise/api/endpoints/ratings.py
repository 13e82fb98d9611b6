"""Ratings: the staff's list, a reply (once, editable), hiding a comment; the public reviews.

The rules (who may reply or hide, what is public, how a customer is named) are in
``bookings/policy.py`` and ``bookings/reviews.py``; see docs/ratings.md.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field

from slotwise.api import present
from slotwise.api.auth import business_of, key_of
from slotwise.api.endpoints._common import PageQuery, PathId, check_slug, paginate, responses
from slotwise.api.schemas import Id, In, ListOut, Note, PublicBusinessOut
from slotwise.bookings import actions, policy, reviews
from slotwise.bookings.actor import Actor
from slotwise.bookings.models import Rating
from slotwise.core.clock import utcnow
from slotwise.core.models import Business

router = Router(tags=["ratings"])
public_router = Router(auth=None, tags=["public"])

HideReason = Literal["abuse", "personal_data", "spam"]


# --- shapes -----------------------------------------------------------------------------------


class RatingCustomerOut(Schema):
    id: int
    name: str = Field(description="The customer's full name (staff only).")
    public_name: str = Field(description="How the public pages name them: first name, initial.")


class HiddenOut(Schema):
    reason: HideReason
    note: str
    hidden_at: datetime
    hidden_by: str
    public_notice: str = Field(description="What the public pages say instead of the comment.")


class ReplyOut(Schema):
    text: str
    replied_at: datetime
    edited_at: datetime | None
    replied_by: str


class RatingOut(Schema):
    id: int
    booking_reference: str
    stars: int
    comment: str = Field(description="The comment as written, also when it is hidden.")
    created_at: datetime
    customer: RatingCustomerOut
    service_id: int
    service_name: str
    provider_id: int
    provider_name: str
    hidden: HiddenOut | None = Field(description="Set when the comment is hidden from the public.")
    reply: ReplyOut | None


class RatingList(ListOut):
    items: list[RatingOut]


class ReplyIn(In):
    text: Annotated[str, Note(policy.REPLY_MAX_LENGTH)] = Field(
        description="The public reply, shown under the review in the business's name."
    )


class HideIn(In):
    reason: HideReason = Field(description="Why: abuse, personal_data or spam.")
    note: Annotated[str, Note(300)] = Field("", description="For the team; never shown.")


class ReviewsSettingsOut(Schema):
    show_on_pages: bool


class ReviewsSettingsIn(In):
    show_on_pages: bool = Field(
        description="Show the ratings on the booking pages and the public reviews page."
    )


class StarsOut(Schema):
    average: float = Field(description="To one decimal; 0 when there are no ratings.")
    count: int


class GroupOut(StarsOut):
    id: int
    name: str


class SummaryOut(StarsOut):
    by_service: list[GroupOut]
    by_provider: list[GroupOut]
    distribution: dict[str, int] = Field(description='Ratings per number of stars, "1" to "5".')


class PublicReplyOut(Schema):
    text: str
    replied_at: datetime


class PublicReviewOut(Schema):
    id: int
    stars: int
    author: str = Field(description="First name and initial, e.g. 'Casey L.'.")
    service_id: int
    service: str
    provider_id: int
    provider: str
    month: str = Field(description="The month of the visit, YYYY-MM.")
    comment: str = Field(description="Empty when there is none or it is hidden.")
    comment_hidden: bool
    hidden_notice: str
    reply: PublicReplyOut | None


class PublicReviewsOut(ListOut):
    business: PublicBusinessOut
    summary: SummaryOut
    items: list[PublicReviewOut]


class PublicReviewFilters(Schema):
    service_id: Id | None = None
    provider_id: Id | None = None


class RatingFilters(Schema):
    service_id: Id | None = None
    provider_id: Id | None = None
    stars: int | None = Field(None, ge=1, le=5)
    hidden: bool | None = Field(None, description="Only ratings whose comment is (not) hidden.")
    replied: bool | None = Field(None, description="Only ratings with (without) a reply.")


# --- bodies -----------------------------------------------------------------------------------


def _local(value: datetime | None, tz: ZoneInfo) -> datetime | None:
    return value.astimezone(tz) if value is not None else None


def rating_body(r: Rating, tz: ZoneInfo) -> dict[str, Any]:
    booking = r.booking
    return {
        "id": r.pk,
        "booking_reference": booking.reference,
        "stars": r.stars,
        "comment": r.comment,
        "created_at": _local(r.created_at, tz),
        "customer": {
            "id": booking.customer_id,
            "name": booking.contact.name,
            "public_name": policy.public_name(booking.contact.name),
        },
        "service_id": booking.service_id,
        "service_name": booking.service.name,
        "provider_id": booking.provider_id,
        "provider_name": booking.provider.name,
        "hidden": {
            "reason": r.comment_hidden_reason,
            "note": r.comment_hidden_note,
            "hidden_at": _local(r.comment_hidden_at, tz),
            "hidden_by": r.comment_hidden_by_label,
            "public_notice": reviews.hidden_notice(r.comment_hidden_reason),
        }
        if r.comment_hidden
        else None,
        "reply": {
            "text": r.reply,
            "replied_at": _local(r.replied_at, tz),
            "edited_at": _local(r.reply_edited_at, tz),
            "replied_by": r.replied_by_label,
        }
        if r.has_reply
        else None,
    }


def _stars(stars: reviews.Stars) -> dict[str, Any]:
    return {"average": stars.rounded, "count": stars.count}


def summary_body(summary: reviews.ReviewSummary) -> dict[str, Any]:
    return {
        **_stars(summary.overall),
        "by_service": [{"id": g.id, "name": g.name, **_stars(g.stars)} for g in summary.by_service],
        "by_provider": [
            {"id": g.id, "name": g.name, **_stars(g.stars)} for g in summary.by_provider
        ],
        "distribution": {str(n): count for n, count in summary.distribution},
    }


def public_review_body(r: reviews.PublicReview, tz: ZoneInfo) -> dict[str, Any]:
    return {
        "id": r.id,
        "stars": r.stars,
        "author": r.author,
        "service_id": r.service_id,
        "service": r.service,
        "provider_id": r.provider_id,
        "provider": r.provider,
        "month": r.month.strftime("%Y-%m"),
        "comment": r.comment,
        "comment_hidden": r.comment_hidden,
        "hidden_notice": r.hidden_notice,
        "reply": {"text": r.reply, "replied_at": _local(r.replied_at, tz)} if r.reply else None,
    }


def _actor(request: HttpRequest) -> Actor:
    return Actor.api(key_of(request).name)


def _settings(business: Business) -> dict[str, bool]:
    return {"show_on_pages": reviews.reviews_shown(business)}


# --- staff ------------------------------------------------------------------------------------


@router.get("/ratings", response=responses(RatingList))
def list_ratings(
    request: HttpRequest, page: PageQuery, filters: Query[RatingFilters]
) -> dict[str, Any]:
    """Every rating of the business, newest first, with full names and hidden comments."""
    business = business_of(request)
    qs = reviews.staff_ratings(business=business, **filters.model_dump())
    return paginate(qs, page, lambda r: rating_body(r, business.tz))


@router.get("/ratings/{rating_id}", response=responses(RatingOut))
def get_rating(request: HttpRequest, rating_id: PathId) -> dict[str, Any]:
    business = business_of(request)
    return rating_body(reviews.access_rating(business, rating_id), business.tz)


@router.post("/ratings/{rating_id}/reply", response=responses(RatingOut, 201))
def reply_to_rating(
    request: HttpRequest, rating_id: PathId, payload: ReplyIn
) -> Status[dict[str, Any]]:
    """Publish the business's reply (one per rating; a second is 409 ``already_replied``:
    change it with PUT)."""
    business = business_of(request)
    rating = actions.rating_reply(
        business=business,
        rating_id=rating_id,
        text=payload.text,
        actor=_actor(request),
        now=utcnow(),
    )
    return Status(201, rating_body(rating, business.tz))


@router.put("/ratings/{rating_id}/reply", response=responses(RatingOut))
def edit_rating_reply(request: HttpRequest, rating_id: PathId, payload: ReplyIn) -> dict[str, Any]:
    """Change the reply's text (409 ``no_reply`` when there is none yet)."""
    business = business_of(request)
    rating = actions.rating_reply_edit(
        business=business,
        rating_id=rating_id,
        text=payload.text,
        actor=_actor(request),
        now=utcnow(),
    )
    return rating_body(rating, business.tz)


@router.post("/ratings/{rating_id}/hide", response=responses(RatingOut))
def hide_rating_comment(request: HttpRequest, rating_id: PathId, payload: HideIn) -> dict[str, Any]:
    """Hide the comment's text from the public for a content reason; its stars still count.
    409 ``already_hidden``; 422 when the rating has no comment."""
    business = business_of(request)
    rating = actions.rating_hide(
        business=business,
        rating_id=rating_id,
        reason=payload.reason,
        note=payload.note,
        actor=_actor(request),
        now=utcnow(),
    )
    return rating_body(rating, business.tz)


@router.post("/ratings/{rating_id}/unhide", response=responses(RatingOut))
def unhide_rating_comment(request: HttpRequest, rating_id: PathId) -> dict[str, Any]:
    """Show a hidden comment again (409 ``not_hidden`` when it is shown)."""
    business = business_of(request)
    rating = actions.rating_unhide(
        business=business, rating_id=rating_id, actor=_actor(request), now=utcnow()
    )
    return rating_body(rating, business.tz)


@router.get("/settings/reviews", response=responses(ReviewsSettingsOut), tags=["settings"])
def get_reviews_settings(request: HttpRequest) -> dict[str, bool]:
    """Whether the booking pages and the public reviews page show the ratings."""
    return _settings(business_of(request))


@router.put("/settings/reviews", response=responses(ReviewsSettingsOut), tags=["settings"])
def put_reviews_settings(request: HttpRequest, payload: ReviewsSettingsIn) -> dict[str, bool]:
    """Turn the public ratings on or off (off for a new business)."""
    business = actions.reviews_settings_update(
        business=business_of(request), show_on_pages=payload.show_on_pages
    )
    return _settings(business)


# --- public -----------------------------------------------------------------------------------


@public_router.get("/public/{business}/reviews", response=responses(PublicReviewsOut))
def public_reviews(
    request: HttpRequest, business: str, page: PageQuery, filters: Query[PublicReviewFilters]
) -> dict[str, Any]:
    """The business's reviews, newest first, with the summary: 404 ``reviews_not_shown`` when
    the business does not show its ratings. Every rating is listed; names are first name and
    initial; a hidden comment is left out and said to be hidden."""
    found = reviews.public_business(business_slug=check_slug(business, "Business"))
    rows, count = reviews.public_reviews(
        business=found,
        offset=page.offset,
        limit=page.limit,
        service_id=filters.service_id,
        provider_id=filters.provider_id,
    )
    return {
        "business": present.public_business(found),
        "summary": summary_body(reviews.review_summary(business=found)),
        "items": [public_review_body(r, found.tz) for r in rows],
        "count": count,
    }
