"""The waitlist for staff: per booking page and day, who waits for what, who was offered
which time and when; offering a time by hand; the business's offer rule (owners, admins)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from slotwise.backoffice.access import BusinessRequest, manager_required, staff_required
from slotwise.backoffice.forms import WaitlistOfferForm, WaitlistSettingsForm, add_domain_error
from slotwise.bookings import waitlist_selectors as reads
from slotwise.bookings.actions import waitlist as wl
from slotwise.bookings.actor import Actor
from slotwise.bookings.models import WaitlistEntry
from slotwise.catalog.models import Provider
from slotwise.core import errors, web
from slotwise.core.clock import utcnow


def _providers(request: BusinessRequest) -> Any:
    return Provider.objects.filter(business=request.business, active=True).order_by("name")


@staff_required
def waitlist(request: BusinessRequest) -> HttpResponse:
    """Entries of one page (or all) whose windows cover the day (or all days), in join order."""
    business = request.business
    pages = list(reads.waitlist_pages(business=business))
    page_id = web.parse_int(request.GET.get("page"))
    if page_id is not None and page_id not in {p.pk for p in pages}:
        page_id = None
    day = web.parse_day(request.GET.get("day"))
    status = request.GET.get("status") or "waiting"
    if status not in {"waiting", "booked", "left", "all"}:
        status = "waiting"
    entries = list(
        reads.waitlist_entries(
            business=business,
            page_id=page_id,
            day=day,
            status=None if status == "all" else status,
        )[:200]
    )
    found = wl.waitlist_settings_of(business)
    return render(
        request,
        "backoffice/waitlist.html",
        {
            "pages": pages,
            "page_id": page_id,
            "day": day,
            "status": status,
            "entries": entries,
            "offer_form": WaitlistOfferForm(providers=_providers(request)),
            "settings_form": WaitlistSettingsForm(
                initial={"mode": found.mode, "hold_minutes": found.hold_minutes}
            ),
            "rebooked": reads.waitlist_rebooked_count(business=business, now=utcnow()),
        },
    )


@staff_required
def waitlist_offer(request: BusinessRequest, reference: str) -> HttpResponse:
    """Offer a waiting customer a time by hand (POST); GET shows the form alone."""
    entry = WaitlistEntry.objects.filter(
        business=request.business, reference=reference[:20]
    ).first()
    if entry is None:
        raise Http404
    with timezone.override(request.business.tz):
        form = WaitlistOfferForm(
            request.POST if request.method == "POST" else None, providers=_providers(request)
        )
        valid = request.method == "POST" and form.is_valid()
    if valid:
        try:
            wl.waitlist_offer_by_hand(
                business=request.business,
                entry_id=entry.pk,
                provider_id=form.cleaned_data["provider"].pk,
                start=form.cleaned_data["start"],
                actor=Actor.staff(request.user),
                now=utcnow(),
            )
        except errors.DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(
                request, _("The time was offered to %(name)s by email.") % {"name": entry.name}
            )
            return redirect(reverse("backoffice:waitlist") + f"?page={entry.page_id}")
    return render(request, "backoffice/waitlist_offer.html", {"entry": entry, "form": form})


@manager_required
def waitlist_settings(request: BusinessRequest) -> HttpResponse:
    """The business's offer rule (POST only; the form is on the waitlist page)."""
    form = WaitlistSettingsForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            wl.waitlist_settings_set(
                business=request.business,
                mode=form.cleaned_data["mode"],
                hold_minutes=form.cleaned_data["hold_minutes"],
            )
        except errors.DomainError as exc:  # pragma: no cover - the form has the same bounds
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Waitlist settings saved."))
    else:
        messages.error(request, _("Choose how offers are made and a hold of 5 minutes to 7 days."))
    return redirect("backoffice:waitlist")
