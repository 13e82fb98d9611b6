"""Ratings shown to future customers: the summary, the public reviews, and the staff's list.

What is public is decided here, once, for the booking page, the reviews page and the API:

- only a business that turned ``show_ratings_on_pages`` on shows anything;
- every rating counts in every figure, whatever its stars (no gating of low scores), and a
  rating whose comment staff hid still counts: only its text is left out, and the review says
  a comment was hidden and why;
- a customer is named by first name and initial (``policy.public_name``), with the service,
  the provider and the month of the visit: never the email, the phone or the exact day;
- the business's reply is shown under the review.

Every function takes the business and never looks beyond it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Avg, Count, QuerySet
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from slotwise.bookings import policy
from slotwise.bookings.models import BookingPage, Rating
from slotwise.core import errors
from slotwise.core.models import Business

#: Ratings on one page of the public reviews, and on the booking page.
PAGE_SIZE = 10
LATEST_ON_BOOKING_PAGE = 3


@dataclass(frozen=True, slots=True)
class Stars:
    """An average of 1–5 stars over ``count`` ratings."""

    average: float
    count: int

    @property
    def rounded(self) -> float:
        """The average to one decimal, as shown and as published in markup."""
        return round(self.average + 1e-9, 1)

    @property
    def average_text(self) -> str:
        """'4.6' in the reader's number format."""
        return formats.number_format(self.rounded, 1)

    @property
    def percent(self) -> int:
        """How much of five stars is filled (for the drawn stars)."""
        return round(self.average / 5 * 100)

    @property
    def label(self) -> str:
        """What the stars say in words, for everyone (screen readers included)."""
        return ngettext(
            "%(average)s out of 5 from %(count)d rating",
            "%(average)s out of 5 from %(count)d ratings",
            self.count,
        ) % {"average": self.average_text, "count": self.count}


@dataclass(frozen=True, slots=True)
class Group:
    """The stars of one service or one provider."""

    id: int
    name: str
    stars: Stars


@dataclass(frozen=True, slots=True)
class ReviewSummary:
    overall: Stars
    by_service: tuple[Group, ...]
    by_provider: tuple[Group, ...]
    #: (stars, how many ratings gave that many), from 5 down to 1.
    distribution: tuple[tuple[int, int], ...]

    @property
    def any(self) -> bool:
        return self.overall.count > 0

    def service(self, pk: int) -> Stars | None:
        return next((g.stars for g in self.by_service if g.id == pk), None)

    def provider(self, pk: int) -> Stars | None:
        return next((g.stars for g in self.by_provider if g.id == pk), None)


@dataclass(frozen=True, slots=True)
class PublicReview:
    """One rating as the public sees it."""

    id: int
    stars: int
    author: str
    service_id: int
    service: str
    provider_id: int
    provider: str
    #: The first day of the month of the visit (only the month is shown).
    month: date
    #: The comment, or "" when there is none or staff hid it.
    comment: str
    comment_hidden: bool
    #: Why the comment is not shown ("" unless hidden).
    hidden_notice: str
    reply: str
    replied_at: datetime | None
    created_at: datetime

    @property
    def stars_label(self) -> str:
        return ngettext("%(n)d out of 5 stars", "%(n)d out of 5 stars", self.stars) % {
            "n": self.stars
        }

    @property
    def month_text(self) -> str:
        return formats.date_format(self.month, "YEAR_MONTH_FORMAT")


def hidden_notice(reason: str) -> str:
    """What the public pages say instead of a hidden comment."""
    notices: dict[str, str] = {
        Rating.HideReason.ABUSE: _("The comment was hidden because it contained abusive language."),
        Rating.HideReason.PERSONAL_DATA: _(
            "The comment was hidden because it contained personal data."
        ),
        Rating.HideReason.SPAM: _("The comment was hidden because it was advertising or spam."),
    }
    return str(notices.get(reason, _("The comment was hidden by the business.")))


# --- what is public ------------------------------------------------------------------------


def reviews_shown(business: Business) -> bool:
    """Whether the business shows its ratings to the public (its own setting)."""
    return business.show_ratings_on_pages


def public_business(*, business_slug: str) -> Business:
    """The business of a public reviews page: ``not_found`` when there is none,
    ``reviews_not_shown`` when it keeps its ratings to itself."""
    business = Business.objects.filter(slug=business_slug).first()
    if business is None:
        raise errors.not_found("Business")
    if not reviews_shown(business):
        raise errors.ReviewsNotShown()
    return business


def _stars(average: float | None, count: int) -> Stars:
    return Stars(average=float(average or 0), count=count)


def review_summary(*, business: Business) -> ReviewSummary:
    """Average and count overall, per service and per provider, and how many gave each
    number of stars: every rating counts (hidden comments too)."""
    ratings = Rating.objects.filter(business=business)
    overall = ratings.aggregate(average=Avg("stars"), count=Count("pk"))
    by_service = (
        ratings.values("booking__service_id", "booking__service__name")
        .annotate(average=Avg("stars"), count=Count("pk"))
        .order_by("booking__service__name", "booking__service_id")
    )
    by_provider = (
        ratings.values("booking__provider_id", "booking__provider__name")
        .annotate(average=Avg("stars"), count=Count("pk"))
        .order_by("booking__provider__name", "booking__provider_id")
    )
    counts = dict(ratings.values_list("stars").annotate(n=Count("pk")).values_list("stars", "n"))
    return ReviewSummary(
        overall=_stars(overall["average"], overall["count"]),
        by_service=tuple(
            Group(
                r["booking__service_id"],
                r["booking__service__name"],
                _stars(r["average"], r["count"]),
            )
            for r in by_service
        ),
        by_provider=tuple(
            Group(
                r["booking__provider_id"],
                r["booking__provider__name"],
                _stars(r["average"], r["count"]),
            )
            for r in by_provider
        ),
        distribution=tuple((n, counts.get(n, 0)) for n in range(5, 0, -1)),
    )


def _public(rating: Rating, business: Business) -> PublicReview:
    booking = rating.booking
    visit = booking.start.astimezone(business.tz)
    hidden = rating.comment_hidden
    return PublicReview(
        id=rating.pk,
        stars=rating.stars,
        author=policy.public_name(booking.contact.name),
        service_id=booking.service_id,
        service=booking.service.name,
        provider_id=booking.provider_id,
        provider=booking.provider.name,
        month=visit.date().replace(day=1),
        comment="" if hidden else rating.comment,
        comment_hidden=hidden,
        hidden_notice=hidden_notice(rating.comment_hidden_reason) if hidden else "",
        reply=rating.reply if rating.has_reply else "",
        replied_at=rating.replied_at,
        created_at=rating.created_at,
    )


def _filtered(
    business: Business, *, service_id: int | None = None, provider_id: int | None = None
) -> QuerySet[Rating]:
    qs = Rating.objects.filter(business=business)
    if service_id is not None:
        qs = qs.filter(booking__service_id=service_id)
    if provider_id is not None:
        qs = qs.filter(booking__provider_id=provider_id)
    return qs


def public_reviews(
    *,
    business: Business,
    offset: int = 0,
    limit: int = PAGE_SIZE,
    service_id: int | None = None,
    provider_id: int | None = None,
) -> tuple[list[PublicReview], int]:
    """One window of the business's reviews, newest first, and how many there are in all.

    Every rating is listed, with or without a comment, whatever its stars.
    """
    qs = _filtered(business, service_id=service_id, provider_id=provider_id)
    rows = qs.select_related(
        "booking", "booking__service", "booking__provider", "booking__customer"
    ).order_by("-created_at", "-pk")[offset : offset + limit]
    return [_public(r, business) for r in rows], qs.count()


def review_count(
    *, business: Business, service_id: int | None = None, provider_id: int | None = None
) -> int:
    """How many ratings ``public_reviews`` lists with these filters."""
    return _filtered(business, service_id=service_id, provider_id=provider_id).count()


def bookable_pages(*, business: Business) -> list[BookingPage]:
    """The business's active booking pages (the reviews page links to them)."""
    return list(BookingPage.objects.filter(business=business, active=True).order_by("title", "pk"))


def latest_reviews(
    *, business: Business, limit: int = LATEST_ON_BOOKING_PAGE
) -> list[PublicReview]:
    """The newest few reviews, for the booking page."""
    return public_reviews(business=business, limit=limit)[0]


# --- the staff's side ----------------------------------------------------------------------


def access_rating(business: Business, rating_id: int) -> Rating:
    """The business's rating with this id; any other id is ``not_found``."""
    rating = (
        Rating.objects.filter(business=business, pk=rating_id)
        .select_related("booking", "booking__service", "booking__provider", "booking__customer")
        .first()
    )
    if rating is None:
        raise errors.NotFound(_("Rating not found."))
    return rating


def staff_ratings(
    *,
    business: Business,
    service_id: int | None = None,
    provider_id: int | None = None,
    stars: int | None = None,
    hidden: bool | None = None,
    replied: bool | None = None,
) -> QuerySet[Rating]:
    """The business's ratings for staff (full names, hidden comments included), newest first."""
    qs = _filtered(business, service_id=service_id, provider_id=provider_id)
    if stars is not None:
        qs = qs.filter(stars=stars)
    if hidden is not None:
        qs = qs.filter(comment_hidden_at__isnull=not hidden)
    if replied is not None:
        qs = qs.filter(replied_at__isnull=not replied)
    return qs.select_related(
        "booking", "booking__service", "booking__provider", "booking__customer"
    ).order_by("-created_at", "-pk")
