"""Public pages. They parse input, call bookings/ and scheduling/, and show the outcome."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from slotwise.bookings.management.commands import seed_demo
from slotwise.bookings.models import BookingPage
from slotwise.core.models import Membership


def demo_page_url() -> str:
    """The demo's booking page when ``manage.py seed_demo`` made one (and it is open), else ""."""
    page = (
        BookingPage.objects.filter(
            business__slug=seed_demo.SLUG, slug=seed_demo.PAGE_SLUG, active=True
        )
        .select_related("business")
        .first()
    )
    if page is None:
        return ""
    return reverse("site:book", args=[page.business.slug, page.slug])


def home(request: HttpRequest) -> HttpResponse:
    """The installation's front page: where to go next, for staff and for visitors."""
    user = request.user
    signed_in = bool(user.is_authenticated)
    is_staff = signed_in and Membership.objects.filter(user_id=user.pk or 0).exists()
    return render(
        request,
        "site/home.html",
        {
            "signed_in": signed_in,
            "is_staff": is_staff,
            "demo_url": demo_page_url(),
        },
    )
