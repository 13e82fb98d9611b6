"""Ratings customers gave: averages per provider and service, and the latest ones."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from slotwise.backoffice.access import staff_required
from slotwise.bookings import selectors


@staff_required
def ratings(request: HttpRequest) -> HttpResponse:
    summary = selectors.rating_summary(business=request.business)  # type: ignore[attr-defined]
    return render(request, "backoffice/ratings.html", summary)
