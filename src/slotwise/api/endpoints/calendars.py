"""A provider's own calendars (docs/calendars.md) and everything that keeps them busy.

``/providers/{id}/calendar-connections``: connect a CalDAV account or an ICS address, choose
which calendars block slots (``check_conflicts``) and which one receives bookings
(``write_bookings``), sync now, remove. ``/providers/{id}/busy``: bookings, time off and
calendar busy times in a window, each with its source. ``/calendar-conflicts``: bookings
whose event someone moved or deleted in the write calendar, and the two answers staff have
(write Slotwise's time back, or dismiss).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import Field

from slotwise.api.auth import business_of
from slotwise.api.endpoints._common import PageQuery, PathId, paginate, responses
from slotwise.api.schemas import Id, In, Instant, ListOut, Text
from slotwise.bookings.availability_queries import busy_times_of
from slotwise.calendars import services, writes
from slotwise.calendars.models import CalendarConflict, CalendarConnection, RemoteCalendar
from slotwise.catalog.models import Provider
from slotwise.core import errors
from slotwise.core.clock import utcnow
from slotwise.core.models import Business
from slotwise.core.records import record_get

router = Router(tags=["calendars"])

#: The longest window ``/busy`` answers for.
BUSY_MAX_DAYS = 92


class CalendarConnectionIn(In):
    kind: Literal["caldav", "ics"]
    url: Annotated[str, Text(1000, 8)]
    username: Annotated[str, Text(200)] = ""
    password: Annotated[str, Text(500)] = ""


class RemoteCalendarOut(Schema):
    id: int
    name: str
    check_conflicts: bool
    write_bookings: bool


class CalendarConnectionOut(Schema):
    id: int
    kind: Literal["caldav", "ics"]
    url: str
    username: str
    status: Literal["ok", "stale", "error"]
    last_synced_at: datetime | None
    last_error: str
    next_sync_at: datetime | None
    calendars: list[RemoteCalendarOut]


class CalendarConnectionList(ListOut):
    items: list[CalendarConnectionOut]


class CalendarChoiceIn(In):
    id: Id
    check_conflicts: bool | None = None
    write_bookings: bool | None = None


class CalendarConnectionPatch(In):
    calendars: list[CalendarChoiceIn] = Field(max_length=500)


class BusyOut(Schema):
    start: datetime
    end: datetime
    source: Literal["booking", "time_off", "calendar"]
    source_id: int | None
    calendar_name: str | None


class BusyList(Schema):
    items: list[BusyOut]


class CalendarConflictOut(Schema):
    id: int
    booking_reference: str
    provider_id: int
    calendar_id: int | None
    calendar_name: str | None
    #: The booking's time in Slotwise when the change was found.
    slotwise_start: datetime
    slotwise_end: datetime
    #: The event's time in the calendar; both null when it was deleted there.
    calendar_start: datetime | None
    calendar_end: datetime | None
    deleted: bool
    detected_at: datetime
    resolution: Literal["open", "written_back", "dismissed"]
    resolved_at: datetime | None


class CalendarConflictList(ListOut):
    items: list[CalendarConflictOut]


class ConflictQuery(Schema):
    booking: Annotated[str, Text(40)] = ""


class BusyQuery(Schema):
    start: Instant | None = None
    end: Instant | None = None


def _provider(business: Business, pk: int) -> Provider:
    return record_get(Provider, business=business, pk=pk, label="Provider")


def _shown_url(connection: CalendarConnection) -> str:
    # An ICS address is itself the secret (Google's "secret address"): show only its host.
    if connection.kind == CalendarConnection.Kind.ICS:
        parts = urlsplit(connection.url)
        return f"{parts.scheme}://{parts.netloc}/…"
    return connection.url


def _local(value: datetime | None, tz: Any) -> datetime | None:
    return value.astimezone(tz) if value else None


def present(connection: CalendarConnection, tz: Any) -> dict[str, Any]:
    return {
        "id": connection.pk,
        "kind": connection.kind,
        "url": _shown_url(connection),
        "username": connection.username,
        "status": connection.status,
        "last_synced_at": _local(connection.last_synced_at, tz),
        "last_error": connection.last_error,
        "next_sync_at": _local(connection.next_sync_at, tz),
        "calendars": [
            {
                "id": c.pk,
                "name": c.name,
                "check_conflicts": c.is_busy_source,
                "write_bookings": c.is_write_target,
            }
            for c in sorted(connection.calendars.all(), key=lambda c: (c.name, c.pk))
        ],
    }


def _connection(request: HttpRequest, provider_id: int, connection_id: int) -> CalendarConnection:
    business = business_of(request)
    provider = _provider(business, provider_id)
    return services.access_connection(business, connection_id, provider=provider)


@router.get(
    "/providers/{provider_id}/calendar-connections", response=responses(CalendarConnectionList)
)
def list_connections(request: HttpRequest, provider_id: PathId, page: PageQuery) -> dict[str, Any]:
    """The provider's calendar connections with their calendars. Passwords are never shown."""
    business = business_of(request)
    provider = _provider(business, provider_id)
    return paginate(services.connections_of(provider), page, lambda c: present(c, business.tz))


@router.post(
    "/providers/{provider_id}/calendar-connections",
    response=responses(CalendarConnectionOut, 201),
)
def create_connection(
    request: HttpRequest, provider_id: PathId, payload: CalendarConnectionIn
) -> Status[dict[str, Any]]:
    """Connect a CalDAV account (``url``, ``username``, an app ``password``) or an ICS address
    (``url``). The server is asked first: a wrong address or login is a 422
    ``calendar_unreachable`` with the server's reason, and nothing is saved."""
    business = business_of(request)
    connection = services.connection_create(
        business=business,
        provider=_provider(business, provider_id),
        kind=payload.kind,
        url=payload.url,
        username=payload.username,
        password=payload.password,
        now=utcnow(),
    )
    return Status(201, present(connection, business.tz))


@router.get(
    "/providers/{provider_id}/calendar-connections/{connection_id}",
    response=responses(CalendarConnectionOut),
)
def get_connection(
    request: HttpRequest, provider_id: PathId, connection_id: PathId
) -> dict[str, Any]:
    return present(_connection(request, provider_id, connection_id), business_of(request).tz)


@router.patch(
    "/providers/{provider_id}/calendar-connections/{connection_id}",
    response=responses(CalendarConnectionOut),
)
def choose_calendars(
    request: HttpRequest,
    provider_id: PathId,
    connection_id: PathId,
    payload: CalendarConnectionPatch,
) -> dict[str, Any]:
    """Choose which calendars block slots and which one (at most one) receives bookings."""
    connection = services.connection_choose_calendars(
        business=business_of(request),
        connection=_connection(request, provider_id, connection_id),
        choices=[
            services.CalendarChoice(c.id, busy=c.check_conflicts, write=c.write_bookings)
            for c in payload.calendars
        ],
        now=utcnow(),
    )
    return present(connection, business_of(request).tz)


@router.post(
    "/providers/{provider_id}/calendar-connections/{connection_id}/sync",
    response=responses(CalendarConnectionOut),
)
def sync_connection(
    request: HttpRequest, provider_id: PathId, connection_id: PathId
) -> dict[str, Any]:
    """Sync now (within 20 seconds) and return the connection with the outcome."""
    connection = services.connection_sync_now(
        business=business_of(request),
        connection=_connection(request, provider_id, connection_id),
        now=utcnow(),
    )
    return present(connection, business_of(request).tz)


@router.delete(
    "/providers/{provider_id}/calendar-connections/{connection_id}",
    response=responses(None, 204),
)
def delete_connection(
    request: HttpRequest, provider_id: PathId, connection_id: PathId
) -> Status[None]:
    """Remove the connection and the busy times read from it; bookings are not touched."""
    services.connection_delete(
        business=business_of(request),
        connection=_connection(request, provider_id, connection_id),
    )
    return Status(204, None)


@router.get("/providers/{provider_id}/busy", response=responses(BusyList))
def provider_busy(
    request: HttpRequest, provider_id: PathId, window: Query[BusyQuery]
) -> dict[str, Any]:
    """What blocks the provider between ``start`` and ``end`` (at most 92 days; by default
    the next 7 days): bookings (with their buffers), time off and busy times from their
    calendars, with the source."""
    business = business_of(request)
    provider = _provider(business, provider_id)
    start = window.start or utcnow()
    end = window.end or start + timedelta(days=7)
    if end <= start:
        raise errors.InvalidInput(_("end must be after start."), field="end")
    if end - start > timedelta(days=BUSY_MAX_DAYS):
        raise errors.InvalidInput(
            _("The window may be at most %(days)s days long.") % {"days": BUSY_MAX_DAYS},
            field="end",
        )
    found = busy_times_of(provider=provider, start=start, end=end)
    calendar_ids = {b.source_id for b in found if b.source == "calendar" and b.source_id}
    names = dict(
        RemoteCalendar.objects.filter(pk__in=calendar_ids, provider=provider).values_list(
            "pk", "name"
        )
    )
    tz = business.tz
    return {
        "items": [
            {
                "start": b.start.astimezone(tz),
                "end": b.end.astimezone(tz),
                "source": b.source,
                "source_id": b.source_id,
                "calendar_name": names.get(b.source_id or 0) if b.source == "calendar" else None,
            }
            for b in found
        ]
    }


# --- conflicts ---------------------------------------------------------------------------------


def present_conflict(conflict: CalendarConflict, tz: Any) -> dict[str, Any]:
    calendar = conflict.remote_calendar
    return {
        "id": conflict.pk,
        "booking_reference": conflict.booking.reference,
        "provider_id": conflict.booking.provider_id,
        "calendar_id": calendar.pk if calendar else None,
        "calendar_name": calendar.name if calendar else None,
        "slotwise_start": _local(conflict.slotwise_start, tz),
        "slotwise_end": _local(conflict.slotwise_end, tz),
        "calendar_start": _local(conflict.calendar_start, tz),
        "calendar_end": _local(conflict.calendar_end, tz),
        "deleted": conflict.deleted,
        "detected_at": _local(conflict.detected_at, tz),
        "resolution": conflict.resolution or "open",
        "resolved_at": _local(conflict.resolved_at, tz),
    }


def _conflict_after(business: Business, conflict_id: int) -> dict[str, Any]:
    conflict = CalendarConflict.objects.select_related("booking", "remote_calendar").get(
        business=business, pk=conflict_id
    )
    return present_conflict(conflict, business.tz)


@router.get("/calendar-conflicts", response=responses(CalendarConflictList))
def list_conflicts(
    request: HttpRequest, page: PageQuery, query: Query[ConflictQuery]
) -> dict[str, Any]:
    """The open conflicts, newest first: bookings whose event someone moved or deleted in the
    provider's write calendar. ``booking`` (a reference) narrows to one booking's."""
    business = business_of(request)
    found = writes.open_conflicts(business.pk, booking_reference=query.booking or None)
    return paginate(found, page, lambda c: present_conflict(c, business.tz))


@router.post(
    "/calendar-conflicts/{conflict_id}/write-back", response=responses(CalendarConflictOut)
)
def conflict_write_back(request: HttpRequest, conflict_id: PathId) -> dict[str, Any]:
    """Put the event back at the booking's time (or write it again if it was deleted). The
    booking does not change and the customer is not told. 404 ``not_found`` when the
    conflict is another business's or no longer open."""
    business = business_of(request)
    writes.conflict_write_back(
        business_id=business.pk, conflict_id=conflict_id, user=None, now=utcnow()
    )
    return _conflict_after(business, conflict_id)


@router.post("/calendar-conflicts/{conflict_id}/dismiss", response=responses(CalendarConflictOut))
def conflict_dismiss(request: HttpRequest, conflict_id: PathId) -> dict[str, Any]:
    """Leave the calendar as it is; the booking keeps its time and its next change is
    written into the calendar. 404 ``not_found`` as for write-back."""
    business = business_of(request)
    writes.conflict_dismiss(
        business_id=business.pk, conflict_id=conflict_id, user=None, now=utcnow()
    )
    return _conflict_after(business, conflict_id)
