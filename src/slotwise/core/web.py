"""Plumbing every face shares (site, backoffice, API): reading days and ids from input, form
validators, and the rate-limited lookup of a customer-link token.

Faces never import one another; what two of them need lives here, below all of them. Nothing
here knows a booking: the token lookup takes the domain's verify function as an argument.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

from django.http import HttpRequest

from slotwise.core import ratelimit, validators

#: Days and times input may name (pages, links, API): beyond them, moving between zones or to
#: the next month overflows Python's calendar, and nobody books there anyway.
YEARS = range(1970, 3000)

#: Slot starts travel in links as UTC minutes, e.g. ``2030-06-04T08:30Z``.
START_FORMAT = "%Y-%m-%dT%H:%MZ"

#: The largest row id the database holds (ids are positive).
MAX_ID = 2**63


# --- days, times and ids ------------------------------------------------------------------


def parse_day(value: str | None) -> date | None:
    """``2030-06-04`` → that day; None for nothing, nonsense and far-away years."""
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return None
    return day if day.year in YEARS else None


def parse_month(value: str | None) -> date | None:
    """``2030-06`` → 1 June 2030."""
    if not value or len(value) != 7:
        return None
    try:
        first = date.fromisoformat(value + "-01")
    except ValueError:
        return None
    return first if first.year in YEARS else None


def parse_start(value: str | None) -> datetime | None:
    """A slot start in ``START_FORMAT`` (UTC) → an aware instant; None for anything else."""
    if not value:
        return None
    try:
        start = datetime.strptime(value, START_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None
    return start if start.year in YEARS else None


def parse_int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def parse_id(value: object) -> int | None:
    """A row id from a form or link: a positive number the database can hold, else None."""
    number = parse_int(value if value is None else str(value))
    return number if number is not None and 0 < number < MAX_ID else None


def htmx_fragment(request: HttpRequest) -> bool:
    """Whether htmx asked for a page fragment (a history restore needs the whole page)."""
    details = getattr(request, "htmx", None)  # set by django-htmx's middleware
    return details is not None and bool(details) and not details.history_restore_request


# --- form validators ----------------------------------------------------------------------
# Django ignores what a field validator returns; these wrap the core validators (which return
# the cleaned value for services) with the signature form fields declare.


def line_validator(value: str) -> None:
    """``validators.validate_line`` for a form field."""
    validators.validate_line(value)


def text_validator(value: str) -> None:
    """``validators.validate_text`` for a form field."""
    validators.validate_text(value)


def email_validator(value: str) -> None:
    """``validators.validate_email_address`` for a form field."""
    validators.validate_email_address(value)


# --- customer-link tokens -----------------------------------------------------------------


class TooManyBadTokens(Exception):
    """This client guessed too many link tokens; answer 429 with ``retry_after`` seconds."""

    retry_after = ratelimit.BAD_TOKEN_WINDOW


def token_lookup[T](request: HttpRequest, verify: Callable[[], T | None]) -> T | None:
    """What ``verify`` finds for a customer-link token, or None; bad tokens count per client.

    Raises ``TooManyBadTokens`` for a client over the limit before its token is even looked
    at (so guessing cannot go on by mixing in a valid link), and for the miss that crosses the
    limit. Pages and API count in the same place, so guessing cannot move between them.
    """
    key = ratelimit.client_key(request)
    limit, window = ratelimit.BAD_TOKEN_LIMIT, ratelimit.BAD_TOKEN_WINDOW
    if ratelimit.is_limited("bad_token", key, limit=limit, window_seconds=window):
        raise TooManyBadTokens
    found = verify()
    if found is None and not ratelimit.hit("bad_token", key, limit=limit, window_seconds=window):
        raise TooManyBadTokens
    return found
