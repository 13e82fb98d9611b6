"""What the calendars app plugs into the rest of Slotwise when it starts."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta

from django.db import connections

from slotwise.bookings import availability_queries
from slotwise.bookings.availability_queries import ExtraBusy
from slotwise.core import periodic


def calendar_busy(
    provider_ids: Sequence[int], start: datetime, end: datetime
) -> Iterable[ExtraBusy]:
    """Busy times read from the providers' calendars (one query, on the provider index)."""
    from slotwise.calendars.models import BusyInterval

    qs = (
        BusyInterval.objects.filter(
            provider_id__in=list(provider_ids), start__lt=end, end__gt=start
        )
        .order_by()
        .values_list("provider_id", "start", "end", "remote_calendar_id")
    )
    # A provider with a full calendar has hundreds of rows in a month's window; Django's
    # per-value datetime converters cost more than the slot arithmetic on them, so the rows
    # are read raw and the instants (stored in UTC on every backend) parsed once here.
    sql, params = qs.query.sql_with_params()
    with connections[qs.db].cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return [ExtraBusy(pid, _utc(s), _utc(e), "calendar", cal) for pid, s, e, cal in rows]


def _utc(value: datetime | str) -> datetime:
    if isinstance(value, str):  # SQLite: "YYYY-MM-DD HH:MM:SS[.ffffff]", in UTC
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _sync_job(now: datetime, worker_id: str) -> int:
    from slotwise.calendars import sync

    return sync.sync_due(now, worker_id)


def install() -> None:
    """Register the calendar busy times with availability and the sync with the worker."""
    availability_queries.register_busy_source("calendar", calendar_busy)
    # The worker looks every minute; each connection is due every
    # SLOTWISE_CALENDAR_SYNC_MINUTES (or sooner after "Sync now" or a new calendar choice).
    periodic.register_periodic("calendar-sync", _sync_job, every=timedelta(minutes=1))
