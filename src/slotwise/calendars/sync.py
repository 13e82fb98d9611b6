"""Reading busy times from providers' calendars into ``BusyInterval`` rows.

The worker calls ``sync_due`` (registered as a periodic job in ``hooks``); "Sync now" in the
backoffice and the API calls ``sync_connection``. One sync of a connection:

1. claims the connection with a lease (one UPDATE; a second worker skips it, and a worker
   that dies gives it back when the lease runs out);
2. reads each busy calendar over the network, outside any transaction: the changes since the
   calendar's sync-token (RFC 6578), or everything on the first read, when the token is no
   longer valid, and at least daily (so the rolling window moves on);
3. in one transaction, under the connection's row lock and only while the lease is still
   ours, replaces the busy times of what it read and marks the connection up to date.

A failure changes no busy time: the last known ones keep blocking slots, the connection is
shown as stale with the server's reason, and the next try waits 1 minute, doubling up to
2 hours. A sync never touches a booking.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q

from slotwise.bookings import availability_cache
from slotwise.bookings.models import BookingPage
from slotwise.calendars import crypto, remote, rules, uids
from slotwise.calendars.models import BusyInterval, CalendarConnection, RemoteCalendar
from slotwise.core.models import Business

log = logging.getLogger("slotwise.calendars")

LEASE = timedelta(minutes=5)
RETRY_BASE = timedelta(minutes=1)
RETRY_MAX = timedelta(hours=2)
FULL_READ_EVERY = timedelta(hours=24)
WINDOW_BACK = timedelta(days=30)
WINDOW_AHEAD_MIN_DAYS = 180
#: Time budget of one connection's sync by the worker, and of "Sync now" in a request.
WORKER_BUDGET_SECONDS = 120.0
REQUEST_BUDGET_SECONDS = 20.0
#: Connections claimed per worker turn.
BATCH = 10


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def sync_every() -> timedelta:
    return timedelta(minutes=max(int(getattr(settings, "SLOTWISE_CALENDAR_SYNC_MINUTES", 5)), 1))


def retry_delay(failures: int) -> timedelta:
    """Wait after ``failures`` failed syncs in a row: 1 min, 2, 4, … capped at 2 hours."""
    return min(RETRY_BASE * (2 ** min(max(failures - 1, 0), 20)), RETRY_MAX)


def sync_window(business: Business, now: datetime) -> tuple[datetime, datetime]:
    """30 days back; forward the longest horizon a customer can book, at least 180 days."""
    longest_page = BookingPage.objects.filter(business=business).aggregate(m=Max("max_days_ahead"))[
        "m"
    ]
    days = max(WINDOW_AHEAD_MIN_DAYS, business.max_days_ahead, longest_page or 0)
    return now - WINDOW_BACK, now + timedelta(days=days)


# --- claiming ---------------------------------------------------------------------------------


def _free_or_mine(now: datetime, worker_id: str) -> Q:
    return Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now) | Q(locked_by=worker_id)


def claim(connection_id: int, *, worker_id: str, now: datetime, lease: timedelta = LEASE) -> bool:
    """Take the lease on one connection; False when another worker holds it."""
    return (
        CalendarConnection.objects.filter(pk=connection_id)
        .filter(_free_or_mine(now, worker_id))
        .update(locked_by=worker_id, lease_expires_at=now + lease, last_attempt_at=now)
        == 1
    )


def claim_due(
    *, worker_id: str, now: datetime, limit: int = BATCH, lease: timedelta = LEASE
) -> list[int]:
    """Claim up to ``limit`` connections whose next sync is due."""
    candidates = list(
        CalendarConnection.objects.filter(Q(next_sync_at__isnull=True) | Q(next_sync_at__lte=now))
        .filter(_free_or_mine(now, worker_id))
        .order_by("next_sync_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    return [pk for pk in candidates if claim(pk, worker_id=worker_id, now=now, lease=lease)]


# --- one sync ---------------------------------------------------------------------------------


@dataclass
class _Read:
    calendar: RemoteCalendar
    fetched: remote.Fetched
    busy: dict[str, list[rules.Busy]] = field(default_factory=dict)


def sync_due(now: datetime, worker_id: str) -> int:
    """The worker's job: sync every connection that is due; returns how many were synced."""
    done = 0
    for pk in claim_due(worker_id=worker_id, now=now):
        run_claimed(pk, worker_id=worker_id, now=now, budget_seconds=WORKER_BUDGET_SECONDS)
        done += 1
    return done


def sync_connection(
    connection_id: int,
    *,
    now: datetime,
    worker_id: str | None = None,
    budget_seconds: float = REQUEST_BUDGET_SECONDS,
) -> bool:
    """Sync one connection now; False when another worker is syncing it at this moment."""
    worker_id = worker_id or f"{default_worker_id()}/now"
    if not claim(connection_id, worker_id=worker_id, now=now):
        return False
    run_claimed(connection_id, worker_id=worker_id, now=now, budget_seconds=budget_seconds)
    return True


def run_claimed(
    connection_id: int, *, worker_id: str, now: datetime, budget_seconds: float
) -> None:
    """Read and store one claimed connection; records the outcome and gives the lease back."""
    connection = CalendarConnection.objects.select_related("business").get(pk=connection_id)
    try:
        reads = _read(connection, now=now, budget_seconds=budget_seconds)
    except (remote.Unreachable, rules.UnreadableCalendar, crypto.UnreadableSecret) as exc:
        _record_failure(connection, str(exc), worker_id=worker_id, now=now)
        return
    _store(connection, reads, worker_id=worker_id, now=now)


def _read(connection: CalendarConnection, *, now: datetime, budget_seconds: float) -> list[_Read]:
    business = connection.business
    window_start, window_end = sync_window(business, now)
    host = uids.site_host()

    def is_own(uid: str) -> bool:
        return uids.is_own_uid(uid, host=host)

    reads: list[_Read] = []
    calendars = list(connection.calendars.filter(is_busy_source=True, present=True))
    password = (
        crypto.decrypt(connection.password_encrypted) if connection.password_encrypted else ""
    )
    creds = remote.Credentials(connection.url, connection.username, password)
    for calendar in calendars:
        full_due = (
            calendar.last_full_sync_at is None
            or now - calendar.last_full_sync_at >= FULL_READ_EVERY
        )
        if connection.kind == CalendarConnection.Kind.ICS:
            fetched = remote.fetch_ics(
                calendar.url,
                etag="" if full_due else connection.http_etag,
                last_modified="" if full_due else connection.http_last_modified,
                budget_seconds=budget_seconds,
            )
        else:
            fetched = remote.fetch_caldav(
                creds,
                calendar.url,
                sync_token="" if full_due else calendar.sync_token,
                budget_seconds=budget_seconds,
            )
        read = _Read(calendar, fetched)
        for href, data in fetched.objects.items():
            try:
                read.busy[href] = rules.busy_times(
                    data,
                    window_start=window_start,
                    window_end=window_end,
                    tz=business.tz,
                    is_own=is_own,
                )
            except rules.UnreadableCalendar:
                if connection.kind == CalendarConnection.Kind.ICS:
                    raise
                # One broken event must not hide the others; it blocks nothing.
                log.warning("calendar=%s href=%s unreadable event skipped", calendar.pk, href)
                read.busy[href] = []
        reads.append(read)
    return reads


def _chunks(items: Iterable[str], size: int = 500) -> Iterable[list[str]]:
    batch: list[str] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _store(
    connection: CalendarConnection, reads: list[_Read], *, worker_id: str, now: datetime
) -> None:
    with transaction.atomic():
        # Staff changing the calendars or removing the connection lock the same row: what
        # they did is committed before this reads the calendars' choices below.
        locked = (
            CalendarConnection.objects.select_for_update()
            .filter(pk=connection.pk, locked_by=worker_id)
            .first()
        )
        if locked is None:
            return  # removed, or the lease ran out and another worker took over
        still_busy = set(
            RemoteCalendar.objects.filter(connection=locked, is_busy_source=True).values_list(
                "pk", flat=True
            )
        )
        ics_validators: tuple[str, str] | None = None
        replaced = False
        for read in reads:
            calendar, fetched = read.calendar, read.fetched
            if calendar.pk not in still_busy or fetched.not_modified:
                continue
            replaced = True
            if fetched.full:
                BusyInterval.objects.filter(remote_calendar=calendar).delete()
            else:
                for batch in _chunks(set(fetched.objects) | fetched.deleted):
                    BusyInterval.objects.filter(remote_calendar=calendar, href__in=batch).delete()
            BusyInterval.objects.bulk_create(
                [
                    BusyInterval(
                        business_id=locked.business_id,
                        provider_id=locked.provider_id,
                        remote_calendar=calendar,
                        start=busy.start,
                        end=busy.end,
                        href=href[:1000],
                        uid=busy.uid,
                        recurrence_id=busy.recurrence_id[:64],
                    )
                    for href, found in read.busy.items()
                    for busy in found
                ],
                batch_size=500,
            )
            changes: dict[str, object] = {"sync_token": fetched.sync_token}
            if fetched.full:
                changes["last_full_sync_at"] = now
            RemoteCalendar.objects.filter(pk=calendar.pk).update(**changes)
            if locked.kind == CalendarConnection.Kind.ICS:
                ics_validators = (fetched.etag[:500], fetched.last_modified[:100])
        if replaced:
            # The provider's busy times changed: cached availability of theirs is out of date
            # once this commits, and the new version commits with the rows.
            availability_cache.bump([locked.provider_id])
        updates: dict[str, object] = {
            "status": CalendarConnection.Status.OK,
            "last_error": "",
            "last_synced_at": now,
            "consecutive_failures": 0,
            "next_sync_at": now + sync_every(),
            "locked_by": "",
            "lease_expires_at": None,
        }
        if ics_validators is not None:
            updates["http_etag"], updates["http_last_modified"] = ics_validators
        CalendarConnection.objects.filter(pk=locked.pk).update(**updates)
    log.info("calendar connection=%s synced calendars=%s", connection.pk, len(reads))


def _record_failure(
    connection: CalendarConnection, reason: str, *, worker_id: str, now: datetime
) -> None:
    failures = connection.consecutive_failures + 1
    status = (
        CalendarConnection.Status.STALE
        if connection.last_synced_at is not None
        else CalendarConnection.Status.ERROR
    )
    CalendarConnection.objects.filter(pk=connection.pk, locked_by=worker_id).update(
        status=status,
        last_error=reason[:2000],
        consecutive_failures=failures,
        next_sync_at=now + retry_delay(failures),
        locked_by="",
        lease_expires_at=None,
    )
    log.warning(
        "calendar connection=%s sync failed (%s in a row): %s", connection.pk, failures, reason
    )
