"""Ratings customers gave: averages per provider and service, and the latest ones."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render

from slotwise.backoffice.access import BusinessRequest, staff_required
from slotwise.bookings import selectors


@staff_required
def ratings(request: BusinessRequest) -> HttpResponse:
    summary = selectors.rating_summary(business=request.business)
    return render(request, "backoffice/ratings.html", summary)
