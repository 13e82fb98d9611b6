"""Pieces every endpoint module shares: error responses, pagination, lookups by path value."""

from __future__ import annotations

import re
from typing import Annotated, Any, TypeVar
from zoneinfo import ZoneInfo

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from ninja import Path, Query, Schema
from pydantic import Field

from slotwise.api.errors import ERROR_STATUSES, ErrorOut
from slotwise.bookings import selectors
from slotwise.bookings.models import Booking
from slotwise.core import errors
from slotwise.core.models import Business, known_zones

T = TypeVar("T")

_REFERENCE = re.compile(r"^[A-Za-z0-9-]{1,20}$")
_SLUG = re.compile(r"^[a-z0-9-]{1,50}$")


def responses(body: Any, status: int = 200) -> dict[Any, Any]:
    """The success body plus the error body for every error status we use."""
    return {status: body, ERROR_STATUSES: ErrorOut}


#: An id in the URL: positive, and small enough for every database and JSON number.
PathId = Annotated[int, Path(ge=1, le=2**53)]


class Page(Schema):
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=1_000_000)


PageQuery = Query[Page]


def paginate(qs: QuerySet[Any] | list[Any], page: Page, present: Any) -> dict[str, Any]:
    """``{"items": [...], "count": N}`` for one window of ``qs``."""
    count = qs.count() if isinstance(qs, QuerySet) else len(qs)
    rows = qs[page.offset : page.offset + page.limit]
    return {"items": [present(row) for row in rows], "count": count}


def booking_for(business: Business, reference: str) -> Booking:
    """The business's booking with this reference; anything else is the same 404."""
    if not _REFERENCE.match(reference):
        raise errors.not_found("Booking")
    return selectors.booking_get(business=business, reference=reference)


def check_slug(value: str, what: str) -> str:
    if not _SLUG.match(value):
        raise errors.not_found(what)
    return value


def zone(name: str | None, default: ZoneInfo) -> ZoneInfo:
    """The reader's time zone from a query parameter (IANA name), or ``default``."""
    if not name:
        return default
    if name not in known_zones():
        raise errors.InvalidInput(_("Unknown time zone; use an IANA name."), field="timezone")
    return ZoneInfo(name)
