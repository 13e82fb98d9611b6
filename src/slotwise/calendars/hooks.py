"""What the calendars app plugs into the rest of Slotwise when it starts."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta

from django.db import connection, connections

from slotwise.bookings import availability_queries
from slotwise.bookings.availability_queries import ExtraBusy
from slotwise.core import periodic, sqlrows


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


def calendar_busy_merged(
    provider_ids: Sequence[int], start: datetime, end: datetime
) -> Iterable[ExtraBusy]:
    """The same busy time as ``calendar_busy``, merged per provider by the database: times
    that overlap or touch, from any of the provider's calendars, become one.

    What availability reads. A full calendar has dozens of events a day, overlapping, but a
    few busy blocks; turning each row into instants cost more than the slot arithmetic. The
    merge is the classic "gaps and islands": a row opens a new island when it starts after
    every earlier row (by start) has ended; each island is one busy time from its first
    start to its last end. Window functions: SQLite 3.25+, every PostgreSQL.
    """
    if not provider_ids:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            _merged_sql(len(provider_ids)),
            [*provider_ids, sqlrows.instant(end), sqlrows.instant(start)],
        )
        rows = cursor.fetchall()
    return [ExtraBusy(pid, _utc(s), _utc(e), "calendar") for pid, s, e in rows]


@functools.cache
def _merged_sql(ids: int) -> str:
    """The statement of ``calendar_busy_merged`` for ``ids`` providers."""
    from slotwise.calendars.models import BusyInterval

    q = connection.ops.quote_name
    pid, start, end = q("provider_id"), q("start"), q("end")
    order = f"PARTITION BY {pid} ORDER BY {start}, {end}"
    return (
        f"SELECT {pid}, MIN({start}), MAX({end}) FROM ("  # noqa: S608
        f"SELECT {pid}, {start}, {end}, "
        f"SUM(fresh) OVER ({order} ROWS UNBOUNDED PRECEDING) AS island FROM ("
        f"SELECT {pid}, {start}, {end}, CASE WHEN {start} <= MAX({end}) OVER ("
        f"{order} ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) THEN 0 ELSE 1 END AS fresh "
        f"FROM {BusyInterval._meta.db_table} "
        f"WHERE {pid} IN ({sqlrows.placeholders(ids)}) AND {start} < %s AND {end} > %s"
        f") AS marked) AS islands GROUP BY {pid}, island"
    )


def _utc(value: datetime | str) -> datetime:
    if isinstance(value, str):  # SQLite: "YYYY-MM-DD HH:MM:SS[.ffffff]", in UTC
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _sync_job(now: datetime, worker_id: str) -> int:
    from slotwise.calendars import sync

    return sync.sync_due(now, worker_id)


def install() -> None:
    """Register the calendar busy times with availability and the sync with the worker."""
    availability_queries.register_busy_source(
        "calendar", calendar_busy, blocking=calendar_busy_merged
    )
    # The worker looks every minute; each connection is due every
    # SLOTWISE_CALENDAR_SYNC_MINUTES (or sooner after "Sync now" or a new calendar choice).
    periodic.register_periodic("calendar-sync", _sync_job, every=timedelta(minutes=1))
