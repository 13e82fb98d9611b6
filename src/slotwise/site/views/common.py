"""What every customer page shares: the reader's time zone, link tokens, times in words."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from slotwise.bookings import actions
from slotwise.bookings.models import Booking
from slotwise.core import clock, i18n, ratelimit, web
from slotwise.core.models import known_zones
from slotwise.notifications import render as email_render
from slotwise.site import language


def now() -> datetime:
    """The current instant (one place, so tests can move the clock)."""
    return clock.utcnow()


# --- time zones -------------------------------------------------------------------------


@functools.cache
def zone_names() -> tuple[str, ...]:
    """IANA zone names offered in the zone picker (regions and UTC; no legacy aliases)."""
    regions: tuple[str, ...] = (
        "Africa/",
        "America/",
        "Antarctica/",
        "Asia/",
        "Atlantic/",
        "Australia/",
    )
    regions += ("Europe/", "Indian/", "Pacific/", "Arctic/")
    names = {n for n in available_timezones() if n.startswith(regions)}
    return ("UTC", *sorted(names))


def parse_zone(value: str | None) -> ZoneInfo | None:
    """A zone from a query parameter, or None when it is missing or not a real zone."""
    if not value or len(value) > 64 or value not in known_zones():
        return None
    try:
        return ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        return None


@dataclass(frozen=True)
class ReaderZone:
    """The zone times are shown in, and whether the browser may still suggest a better one."""

    tz: ZoneInfo
    guessed: bool  # not chosen by the reader nor known from the customer: let the browser say

    @property
    def name(self) -> str:
        return self.tz.key

    def label(self, at: datetime | None = None) -> str:
        """'Europe/Berlin, CET' at ``at`` (the abbreviation depends on the date)."""
        return email_render.zone_label((at or now()).astimezone(self.tz))


def reader_zone(request: HttpRequest, *, known: str = "", fallback: ZoneInfo) -> ReaderZone:
    """``?tz=`` when valid, else the zone we know for the customer, else ``fallback``."""
    chosen = parse_zone(request.GET.get("tz") or request.POST.get("tz"))
    if chosen is not None:
        return ReaderZone(chosen, guessed=False)
    remembered = parse_zone(known)
    if remembered is not None:
        return ReaderZone(remembered, guessed=False)
    return ReaderZone(fallback, guessed=True)


# --- times in words ---------------------------------------------------------------------


def when(start: datetime, end: datetime, tz: ZoneInfo) -> str:
    """'Tuesday, 4 June 2030, 10:00 – 11:00 (Europe/Berlin, CEST)'."""
    return email_render.format_range(start, end, tz)


def instant(value: datetime, tz: ZoneInfo) -> str:
    """'Monday, 3 June 2030, 10:00 (Europe/Berlin, CEST)'."""
    return email_render.format_instant(value, tz)


def clock_time(value: datetime, tz: ZoneInfo) -> str:
    """'14:00', or '2:00 PM' for an en-US reader."""
    return i18n.format_clock(value.astimezone(tz))


def long_day(day: date) -> str:
    """'Tuesday, 4 June 2030' in the reader's language."""
    return i18n.format_day(day)


def start_param(value: datetime) -> str:
    return value.astimezone(UTC).strftime(web.START_FORMAT)


def with_query(path: str, params: dict[str, Any], *, anchor: str = "") -> str:
    """``path?a=1&b=2`` without the empty parameters."""
    query = urlencode([(k, v) for k, v in params.items() if v not in (None, "")])
    return path + ("?" + query if query else "") + ("#" + anchor if anchor else "")


# --- customer links ---------------------------------------------------------------------


def link_invalid(request: HttpRequest) -> HttpResponse:
    """The same page for unknown, malformed and expired links: it reveals nothing."""
    return render(request, "site/link_invalid.html", status=404)


def too_many_attempts(request: HttpRequest) -> HttpResponse:
    response = render(request, "site/too_many.html", status=429)
    response["Retry-After"] = str(ratelimit.BAD_TOKEN_WINDOW)
    return response


TokenView = Callable[..., HttpResponse]


def token_view(purpose: str) -> Callable[[TokenView], TokenView]:
    """Resolve ``token`` to its booking before the view runs; bad tokens count towards 429.

    A client over the limit is refused before its token is even looked at, so guessing
    cannot go on by mixing in a valid link.
    """

    def decorate(view: TokenView) -> TokenView:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, token: str, *args: Any, **kwargs: Any) -> HttpResponse:
            try:
                booking = web.token_lookup(
                    request, lambda: actions.token_verify(raw=token, purpose=purpose, now=now())
                )
            except web.TooManyBadTokens:
                return too_many_attempts(request)
            if booking is None:
                return link_invalid(request)
            # The booking's own language unless the reader picks another in the switcher.
            language.use_language(
                request, known=booking.language, default=booking.business.default_language
            )
            return view(request, booking, token, *args, **kwargs)

        return wrapper

    return decorate


def contact_of(booking: Booking) -> dict[str, str]:
    """How to reach the business, for pages that cannot offer a change online."""
    business = booking.business
    return {
        "name": business.name,
        "phone": business.phone,
        "email": business.contact_email,
        "address": business.address,
    }


def status_word(booking: Booking) -> str:
    words: dict[str, str] = {
        Booking.Status.CONFIRMED: _("Confirmed"),
        Booking.Status.CANCELLED: _("Cancelled"),
        Booking.Status.COMPLETED: _("Completed"),
        Booking.Status.NO_SHOW: _("Missed"),
    }
    return words.get(booking.status, booking.get_status_display())
