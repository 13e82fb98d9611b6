"""Rate a completed booking by link: 1–5 stars and a comment, once."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from slotwise.bookings import actions, policy, selectors
from slotwise.bookings.models import Booking, BookingToken
from slotwise.core import errors
from slotwise.site.forms import STAR_WORDS, RatingForm
from slotwise.site.views import common


@require_http_methods(["GET", "POST"])
@common.token_view(BookingToken.Purpose.RATE)
def rate(request: HttpRequest, booking: Booking, token: str) -> HttpResponse:
    """The rating form; after rating (or when it cannot be rated) a plain message."""
    form = RatingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.booking_rate(
                booking_id=booking.pk,
                stars=form.cleaned_data["stars"],
                comment=form.cleaned_data["comment"],
                now=common.now(),
            )
        except errors.InvalidInput as exc:
            form.add_error("stars", exc.message)
        except errors.DomainError as exc:
            # Rated already (a double submit) or not rateable: the page below says which.
            if exc.code != errors.AlreadyRated.code:
                messages.warning(request, exc.message)
            return redirect(reverse("site:rate", args=[token]))
        else:
            # The page itself now says thank you (the rating exists): no extra note.
            return redirect(reverse("site:rate", args=[token]))
    zone = common.reader_zone(request, known=booking.contact.timezone, fallback=booking.business.tz)
    rating = selectors.booking_rating(booking=booking)
    context = {
        "booking": booking,
        "business": booking.business,
        "zone": zone,
        "when": common.when(booking.start, booking.end, zone.tz),
        "rating": rating,
        "rateable": policy.rating_refusal(status=booking.status, already_rated=rating is not None)
        is None,
        "form": form,
        "stars": [(n, STAR_WORDS[n]) for n in range(1, 6)],
        "chosen": str(form["stars"].value() or ""),
    }
    return render(request, "site/rate/page.html", context)
