"""The public reviews page of a business, and the ratings shown on its booking pages.

Shown only when the business turned "show ratings on booking pages" on; what is public (every
rating, names as first name and initial, hidden comments said to be hidden) is decided in
``bookings/reviews.py``. The schema.org markup carries exactly the figures the page shows.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET

from slotwise.bookings import reviews
from slotwise.core import errors, web
from slotwise.core.models import Business


def reviews_url(business: Business) -> str:
    return reverse("site:reviews", args=[business.slug])


def _ld_json(data: dict[str, Any]) -> SafeString:
    """JSON for a ``<script type="application/ld+json">``: nothing in it can close the tag."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    for raw, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(raw, escaped)
    return mark_safe(text)  # noqa: S308 - escaped above; it is data, never HTML


def business_markup(
    request: HttpRequest,
    business: Business,
    summary: reviews.ReviewSummary,
    shown: list[reviews.PublicReview] | None = None,
) -> SafeString | None:
    """schema.org ``LocalBusiness`` with its ``AggregateRating`` (and the reviews on the page):
    only when there are ratings, and only the figures the page shows."""
    if not summary.any:
        return None
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "LocalBusiness",
        "name": business.name,
        # The public address, as in every email (not the Host header of this request).
        "url": settings.SITE_URL + reviews_url(business),
        "aggregateRating": {
            "@type": "AggregateRating",
            "ratingValue": str(summary.overall.rounded),
            "bestRating": "5",
            "worstRating": "1",
            "ratingCount": summary.overall.count,
        },
    }
    if business.address:
        data["address"] = business.address
    if business.phone:
        data["telephone"] = business.phone
    if shown:
        data["review"] = [
            {
                "@type": "Review",
                "author": {"@type": "Person", "name": r.author},
                "datePublished": r.created_at.date().isoformat(),
                "reviewRating": {
                    "@type": "Rating",
                    "ratingValue": str(r.stars),
                    "bestRating": "5",
                    "worstRating": "1",
                },
                **({"reviewBody": r.comment} if r.comment else {}),
            }
            for r in shown
        ]
    return _ld_json(data)


def booking_page_reviews(request: HttpRequest, business: Business) -> dict[str, Any] | None:
    """What a booking page shows of the ratings: None when the business does not show them
    or has none yet."""
    if not reviews.reviews_shown(business):
        return None
    summary = reviews.review_summary(business=business)
    if not summary.any:
        return None
    return {
        "summary": summary,
        "latest": reviews.latest_reviews(business=business),
        "url": reviews_url(business),
        "markup": business_markup(request, business, summary),
    }


@require_GET
def reviews_page(request: HttpRequest, business_slug: str) -> HttpResponse:
    """Every rating of the business, newest first, ten to a page, with its summary."""
    try:
        business = reviews.public_business(business_slug=business_slug)
    except errors.DomainError:
        raise Http404 from None
    summary = reviews.review_summary(business=business)
    service_id = web.parse_int(request.GET.get("service"))
    provider_id = web.parse_int(request.GET.get("provider"))
    service = next((g for g in summary.by_service if g.id == service_id), None)
    provider = next((g for g in summary.by_provider if g.id == provider_id), None)
    filters: dict[str, int | None] = {
        "service_id": service.id if service else None,
        "provider_id": provider.id if provider else None,
    }
    count = reviews.review_count(business=business, **filters)
    # get_page: a page number past the end (or not a number) shows the last (or first) page.
    page_obj = Paginator(range(count), reviews.PAGE_SIZE).get_page(request.GET.get("page"))
    shown, _total = reviews.public_reviews(
        business=business,
        offset=(page_obj.number - 1) * reviews.PAGE_SIZE,
        service_id=filters["service_id"],
        provider_id=filters["provider_id"],
    )
    context = {
        "business": business,
        "summary": summary,
        "reviews": shown,
        "page_obj": page_obj,
        "count": count,
        "service": service,
        "provider": provider,
        "pages": reviews.bookable_pages(business=business),
        "markup": business_markup(request, business, summary, shown),
        "zone": None,
    }
    return render(request, "site/reviews/page.html", context)
