"""Connecting, choosing, syncing and removing a provider's calendars (the use cases).

Faces (backoffice, API) call these; they hold the rules: the address is checked against the
outbound rules, the server is asked before anything is saved (a wrong address or password
changes nothing), at most one calendar per provider receives bookings, and removing a
connection removes its busy times, never a booking.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from slotwise.bookings import availability_cache
from slotwise.calendars import crypto, remote, rules, sync
from slotwise.calendars.errors import CalendarUnreachable, OneWriteCalendar
from slotwise.calendars.models import BusyInterval, CalendarConnection, RemoteCalendar
from slotwise.catalog.models import Provider
from slotwise.core import outbound
from slotwise.core.errors import InvalidInput, NotFound
from slotwise.core.models import Business

#: How long connecting may wait for the server, in a request.
CONNECT_BUDGET_SECONDS = 20.0


def access_connection(
    business: Business, connection_id: int, *, provider: Provider | None = None
) -> CalendarConnection:
    """The connection ``connection_id`` of ``business`` (and of ``provider`` when given)."""
    qs = CalendarConnection.objects.select_related("provider").filter(
        business=business, pk=connection_id
    )
    if provider is not None:
        qs = qs.filter(provider=provider)
    connection = qs.first()
    if connection is None:
        raise NotFound(_("No such calendar connection."))
    return connection


def connections_of(provider: Provider) -> list[CalendarConnection]:
    """The provider's connections with their calendars (two queries)."""
    return list(
        CalendarConnection.objects.filter(provider=provider)
        .prefetch_related("calendars")
        .order_by("created_at", "pk")
    )


def _checked_url(url: str) -> str:
    url = (url or "").strip()
    if url.lower().startswith("webcal://"):
        # Apple's and Outlook's subscription links: the same address over HTTPS.
        url = "https://" + url[len("webcal://") :]
    if len(url) > 1000:
        raise InvalidInput(_("The address is too long."), field="url")
    outbound.check_url(url)
    return url


def connection_create(
    *,
    business: Business,
    provider: Provider,
    kind: str,
    url: str,
    username: str = "",
    password: str = "",
    now: datetime,
) -> CalendarConnection:
    """Connect a CalDAV account or an ICS address, list its calendars, and read them once.

    Raises InvalidInput for a malformed or refused address, CalendarUnreachable (422) with
    the server's reason when it cannot be reached or refuses the login. Nothing is saved then.
    """
    if provider.business_id != business.pk:
        raise NotFound(_("No such provider."))
    url = _checked_url(url)
    if kind == CalendarConnection.Kind.CALDAV:
        if not username or not password:
            raise InvalidInput(
                _("A CalDAV account needs a user name and a password."), field="username"
            )
        if len(username) > 200:
            raise InvalidInput(_("The user name is too long."), field="username")
        try:
            found = remote.discover(
                remote.Credentials(url, username, password),
                budget_seconds=CONNECT_BUDGET_SECONDS,
            )
        except remote.Unreachable as exc:
            raise CalendarUnreachable(str(exc)) from None
    elif kind == CalendarConnection.Kind.ICS:
        try:
            fetched = remote.fetch_ics(url, budget_seconds=CONNECT_BUDGET_SECONDS)
            name = _ics_name(fetched)
        except (remote.Unreachable, rules.UnreadableCalendar) as exc:
            raise CalendarUnreachable(str(exc)) from None
        found = [remote.FoundCalendar(url=url, name=name)]
        username = password = ""
    else:
        raise InvalidInput(_("Choose CalDAV or an ICS address."), field="kind")
    with transaction.atomic():
        connection = CalendarConnection.objects.create(
            business=business,
            provider=provider,
            kind=kind,
            url=url,
            username=username,
            password_encrypted=crypto.encrypt(password) if password else "",
            next_sync_at=now,
        )
        RemoteCalendar.objects.bulk_create(
            [
                RemoteCalendar(
                    connection=connection,
                    provider=provider,
                    url=cal.url[:1000],
                    name=cal.name[:300],
                    is_busy_source=True,
                )
                for cal in _unique(found)
            ]
        )
    sync.sync_connection(connection.pk, now=now, budget_seconds=CONNECT_BUDGET_SECONDS)
    connection.refresh_from_db()
    return connection


def _unique(found: Sequence[remote.FoundCalendar]) -> list[remote.FoundCalendar]:
    seen: dict[str, remote.FoundCalendar] = {}
    for cal in found:
        seen.setdefault(cal.url[:1000], cal)
    return list(seen.values())


def _ics_name(fetched: remote.Fetched) -> str:
    (data,) = fetched.objects.values()
    calendar = rules.parse_calendar(data)
    return str(calendar.get("X-WR-CALNAME", "") or calendar.get("NAME", "") or _("Calendar"))


@dataclass(frozen=True)
class CalendarChoice:
    calendar_id: int
    busy: bool | None = None  # None: unchanged
    write: bool | None = None


def connection_choose_calendars(
    *,
    business: Business,
    connection: CalendarConnection,
    choices: Sequence[CalendarChoice],
    now: datetime,
) -> CalendarConnection:
    """Set which calendars block slots and which one receives bookings.

    A calendar no longer counted as busy loses its busy times at once; a newly counted one is
    read at the next sync (due now). Choosing a write calendar moves the provider's write
    calendar there (there is at most one per provider).
    """
    if connection.business_id != business.pk:
        raise NotFound(_("No such calendar connection."))
    writes = [c for c in choices if c.write]
    if len(writes) > 1:
        raise OneWriteCalendar(field="calendars")
    with transaction.atomic():
        locked = CalendarConnection.objects.select_for_update().get(pk=connection.pk)
        calendars = {c.pk: c for c in RemoteCalendar.objects.filter(connection=locked)}
        for choice in choices:
            if choice.calendar_id not in calendars:
                raise InvalidInput(
                    _("Calendar %(id)s is not one of this connection's calendars.")
                    % {"id": choice.calendar_id},
                    field="calendars",
                )
        if writes:
            RemoteCalendar.objects.filter(
                provider_id=locked.provider_id, is_write_target=True
            ).exclude(pk=writes[0].calendar_id).update(is_write_target=False)
        needs_read = False
        for choice in choices:
            calendar = calendars[choice.calendar_id]
            if choice.write is not None:
                calendar.is_write_target = choice.write
            if choice.busy is not None and choice.busy != calendar.is_busy_source:
                calendar.is_busy_source = choice.busy
                calendar.sync_token = ""
                calendar.last_full_sync_at = None
                if choice.busy:
                    needs_read = True
                else:
                    BusyInterval.objects.filter(remote_calendar=calendar).delete()
                    availability_cache.bump([locked.provider_id])
            calendar.save(
                update_fields=[
                    "is_write_target",
                    "is_busy_source",
                    "sync_token",
                    "last_full_sync_at",
                ]
            )
        if needs_read:
            CalendarConnection.objects.filter(pk=locked.pk).update(next_sync_at=now)
    connection.refresh_from_db()
    return connection


def connection_delete(*, business: Business, connection: CalendarConnection) -> None:
    """Remove a connection and the busy times read from it. Bookings are not touched."""
    if connection.business_id != business.pk:
        raise NotFound(_("No such calendar connection."))
    with transaction.atomic():
        CalendarConnection.objects.select_for_update().filter(pk=connection.pk).delete()
        # Its busy times went with it (a cascade).
        availability_cache.bump([connection.provider_id])


def connection_sync_now(
    *, business: Business, connection: CalendarConnection, now: datetime
) -> CalendarConnection:
    """Sync now, within a request's time budget; returns the connection as it then is.

    When the worker is syncing it at this moment, nothing more is done: its result shows.
    """
    if connection.business_id != business.pk:
        raise NotFound(_("No such calendar connection."))
    sync.sync_connection(connection.pk, now=now, budget_seconds=sync.REQUEST_BUDGET_SECONDS)
    connection.refresh_from_db()
    return connection


def stale_connections(business: Business) -> list[CalendarConnection]:
    """Connections whose last sync failed, for the dashboard's warning."""
    return list(
        CalendarConnection.objects.filter(business=business)
        .exclude(status=CalendarConnection.Status.OK)
        .select_related("provider")
        .order_by("provider__name", "pk")
    )
