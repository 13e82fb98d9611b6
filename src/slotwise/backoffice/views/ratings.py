"""Ratings customers gave: averages per provider and service, every rating with its reply and
moderation, and whether the booking pages show them (docs/ratings.md).

Who may reply or hide is ``policy.rating_moderation_refusal``; the actions check it again with
the member's role as it is when they run, so these views only decide what to offer.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from slotwise.backoffice.access import BusinessRequest, manager_required, staff_required
from slotwise.bookings import actions, policy, reviews, selectors
from slotwise.bookings.actor import Actor
from slotwise.bookings.models import Rating
from slotwise.core import errors
from slotwise.core.clock import utcnow

PAGE_SIZE = 20


def _may_moderate(request: BusinessRequest) -> bool:
    refusal = policy.rating_moderation_refusal(actor_kind="staff", role=request.membership.role)
    return refusal is None


@staff_required
def ratings(request: BusinessRequest) -> HttpResponse:
    business = request.business
    context: dict[str, Any] = dict(selectors.rating_summary(business=business))
    page = Paginator(reviews.staff_ratings(business=business), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context.update(
        {
            "page_obj": page,
            "ratings": [(r, reviews.hidden_notice(r.comment_hidden_reason)) for r in page],
            "may_moderate": _may_moderate(request),
            "shown": reviews.reviews_shown(business),
            "public_url": reverse("site:reviews", args=[business.slug]),
            "hide_reasons": Rating.HideReason.choices,
            "reply_max": policy.REPLY_MAX_LENGTH,
        }
    )
    return render(request, "backoffice/ratings.html", context)


def _back(rating_id: int | None = None) -> HttpResponse:
    url = reverse("backoffice:ratings")
    return redirect(f"{url}#rating-{rating_id}" if rating_id else url)


def _act(request: BusinessRequest, pk: int, done: str, action: Any, **kwargs: Any) -> HttpResponse:
    """Run one moderation action; its refusal becomes the page's message. Another business's
    rating (or none) is a 404 like every backoffice lookup."""
    try:
        reviews.access_rating(request.business, pk)
    except errors.NotFound:
        raise Http404(_("Rating not found.")) from None
    try:
        action(
            business=request.business,
            rating_id=pk,
            actor=Actor.staff(request.user),
            now=utcnow(),
            **kwargs,
        )
    except errors.DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return _back(pk)


@require_POST
@staff_required
def rating_reply(request: BusinessRequest, pk: int) -> HttpResponse:
    return _act(
        request, pk, _("Reply published."), actions.rating_reply, text=request.POST.get("text", "")
    )


@require_POST
@staff_required
def rating_reply_edit(request: BusinessRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        _("Reply saved."),
        actions.rating_reply_edit,
        text=request.POST.get("text", ""),
    )


@require_POST
@staff_required
def rating_hide(request: BusinessRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        _("The comment is hidden from the public pages. Its stars still count."),
        actions.rating_hide,
        reason=request.POST.get("reason", ""),
        note=request.POST.get("note", ""),
    )


@require_POST
@staff_required
def rating_unhide(request: BusinessRequest, pk: int) -> HttpResponse:
    return _act(request, pk, _("The comment is shown again."), actions.rating_unhide)


@require_POST
@manager_required
def ratings_settings(request: BusinessRequest) -> HttpResponse:
    """Show or stop showing the ratings on the booking pages (owners and admins, like every
    business setting)."""
    show = request.POST.get("show_on_pages") == "on"
    actions.reviews_settings_update(business=request.business, show_on_pages=show)
    messages.success(
        request,
        _("Ratings are now shown on your booking pages.")
        if show
        else _("Ratings are no longer shown on your booking pages."),
    )
    return _back()
