"""A provider's secret calendar feed, and staff decisions on calendar conflicts.

The feed page makes a new address (shown once, on the page that answers the POST), stops it,
or turns the customers' contact details on or off; conflicts are written back or dismissed.
The rules live in ``calendars.feeds`` and ``calendars.writes``.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from slotwise.backoffice.access import BusinessRequest, manager_required, staff_required
from slotwise.calendars import feeds, writes
from slotwise.catalog.models import Provider
from slotwise.core import errors
from slotwise.core.clock import utcnow


@require_http_methods(["GET", "POST"])
@manager_required
def provider_feed(request: BusinessRequest, pk: int) -> HttpResponse:
    business = request.business
    provider = get_object_or_404(Provider, business=business, pk=pk)
    new_url = ""
    if request.method == "POST":
        action = request.POST.get("action")
        contact = request.POST.get("include_customer_contact") == "on"
        if action == "create":
            new = feeds.feed_create(
                business=business,
                provider_id=provider.pk,
                now=utcnow(),
                include_customer_contact=contact,
            )
            new_url = new.url
            messages.success(request, _("A new calendar address was made. Copy it now."))
        elif action == "revoke":
            feeds.feed_revoke(business=business, provider_id=provider.pk, now=utcnow())
            messages.success(request, _("The calendar address no longer works."))
            return redirect("backoffice:settings_provider_feed", pk=provider.pk)
        elif action == "contact":
            try:
                feeds.feed_set_contact(
                    business=business, provider_id=provider.pk, include_customer_contact=contact
                )
            except errors.NotFound as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, _("Saved."))
            return redirect("backoffice:settings_provider_feed", pk=provider.pk)
        else:
            messages.error(request, _("Unknown action."))
    return render(
        request,
        "backoffice/calendars/feed.html",
        {
            "provider": provider,
            "feed": feeds.live_feed(provider),
            "new_url": new_url,
            "webcal_url": new_url.replace("https://", "webcal://", 1).replace(
                "http://", "webcal://", 1
            ),
        },
    )


def _back(request: BusinessRequest) -> HttpResponse:
    target = request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect("backoffice:dashboard")
    return redirect(target)


@require_POST
@staff_required
def conflict_write_back(request: BusinessRequest, pk: int) -> HttpResponse:
    try:
        writes.conflict_write_back(
            business_id=request.business.pk, conflict_id=pk, user=request.user, now=utcnow()
        )
    except errors.NotFound as exc:
        raise Http404(exc.message) from exc
    else:
        messages.success(request, _("The booking's time will be written back into the calendar."))
    return _back(request)


@require_POST
@staff_required
def conflict_dismiss(request: BusinessRequest, pk: int) -> HttpResponse:
    try:
        writes.conflict_dismiss(
            business_id=request.business.pk, conflict_id=pk, user=request.user, now=utcnow()
        )
    except errors.NotFound as exc:
        raise Http404(exc.message) from exc
    else:
        messages.success(request, _("Dismissed. The calendar and the booking stay as they are."))
    return _back(request)
