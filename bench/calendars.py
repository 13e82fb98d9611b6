"""Calendar sync: availability with imported busy times, and syncing a large calendar.

    python -m bench.calendars --database sqlite|postgresql [--quick]

* Availability: a month of free slots for a provider with 5,000 imported busy intervals over
  the sync window, against the same provider with none, computed (``loaders.slots_for``, what
  a cache miss costs; the busy times are merged by the database) and served through the
  availability cache as customers get it. Target: within 1.2×.
* Sync: a real Radicale server on loopback holding a 2,000-event calendar (a mix of single
  and weekly events); one full read (sync-collection + calendar-multiget, expand, store) and
  one incremental read after 20 events changed.
"""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta
from datetime import time as clock

from bench.common import BenchDatabase, Report, Result, main, summarize, timed_ms

NOW = datetime(2030, 1, 7, 6, 0, tzinfo=UTC)
INTERVALS = 5_000
EVENTS = 2_000
QUICK_EVENTS = 200
SEED = 20301107


def _world():  # type: ignore[no-untyped-def]
    from slotwise.bookings.models import BookingPage
    from slotwise.catalog.models import Provider, Service, WorkingHours
    from slotwise.core.models import Business

    business = Business.objects.create(slug="bench-cal", name="Bench", timezone="Europe/Berlin")
    service = Service.objects.create(business=business, name="Visit", duration_minutes=30)
    providers = []
    for name in ("Busy", "Free"):
        provider = Provider.objects.create(business=business, name=name)
        provider.services.set([service])
        WorkingHours.objects.bulk_create(
            WorkingHours(provider=provider, weekday=d, start=clock(8), end=clock(18))
            for d in range(6)
        )
        providers.append(provider)
    page = BookingPage.objects.create(business=business, slug="p", title="P", max_days_ahead=180)
    page.services.set([service])
    page.providers.set(providers)
    return business, service, providers


def _intervals(business, provider, count: int) -> None:  # type: ignore[no-untyped-def]
    from slotwise.calendars.models import BusyInterval, CalendarConnection, RemoteCalendar

    connection = CalendarConnection.objects.create(
        business=business, provider=provider, kind="ics", url="https://example.com/a.ics"
    )
    calendar = RemoteCalendar.objects.create(
        connection=connection, provider=provider, url=connection.url, name="Private"
    )
    rng = random.Random(SEED)
    span = int(timedelta(days=210).total_seconds() // 60)
    rows = []
    for n in range(count):
        start = NOW - timedelta(days=30) + timedelta(minutes=rng.randrange(span))
        rows.append(
            BusyInterval(
                business=business,
                provider=provider,
                remote_calendar=calendar,
                start=start,
                end=start + timedelta(minutes=rng.choice((15, 30, 60, 90))),
                uid=f"e{n}",
            )
        )
    BusyInterval.objects.bulk_create(rows, batch_size=1000)


def _availability(report: Report, db: BenchDatabase) -> None:
    from slotwise.bookings import availability_cache
    from slotwise.bookings import availability_queries as loaders

    business, service, (busy, free) = _world()
    _intervals(business, busy, INTERVALS)
    start = NOW + timedelta(days=7)
    end = start + timedelta(days=31)
    repeat = 5 if db.quick else 30

    def month(provider):  # type: ignore[no-untyped-def]
        return lambda: loaders.slots_for(
            service=service, window_start=start, window_end=end, now=NOW, provider=provider
        )

    def served(provider):  # type: ignore[no-untyped-def]
        # As the booking page and the API answer: through the availability cache, whose
        # versions a sync bumps (docs/benchmarks.md, "The customer's path").
        return lambda: availability_cache.slots(
            service=service,
            business=business,
            window_start=start,
            window_end=end,
            now=NOW,
            provider=provider,
        )

    for label, make in (("computed (a cache miss)", month), ("served (a cache hit)", served)):
        if make is served:
            for provider in (free, busy):
                make(provider)()  # the first answer fills the cache
        without = summarize(timed_ms(make(free), repeat))
        with_busy = summarize(timed_ms(make(busy), repeat))
        ratio = with_busy["median"] / without["median"]
        report.add(
            Result(f"month of slots {label}, no imported busy times", without["median"], "ms")
        )
        report.add(
            Result(
                f"month of slots {label}, {INTERVALS:,} imported busy intervals",
                with_busy["median"],
                "ms",
                "≤ 1.2× without",
                ratio <= 1.2,
                f"{ratio:.2f}× without",
            )
        )


def _event(n: int, rng: random.Random, version: int = 0) -> str:
    day = NOW + timedelta(days=rng.randrange(-20, 170))
    start = day.replace(hour=rng.randrange(7, 19), minute=rng.choice((0, 15, 30, 45)))
    rrule = "RRULE:FREQ=WEEKLY;COUNT=10\r\n" if n % 10 == 0 else ""
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Bench//EN\r\nBEGIN:VEVENT\r\n"
        f"UID:bench-{n}\r\nDTSTAMP:20300101T000000Z\r\nSEQUENCE:{version}\r\n"
        f"DTSTART:{start:%Y%m%dT%H%M%S}Z\r\nDTEND:{start + timedelta(hours=1):%Y%m%dT%H%M%S}Z\r\n"
        f"{rrule}SUMMARY:Event {n}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )


def _vevent(calendar: str) -> str:
    return calendar[calendar.index("BEGIN:VEVENT") : calendar.index("END:VEVENT") + 12]


def _sync(report: Report, db: BenchDatabase) -> None:
    import caldav
    import requests
    from django.test import override_settings

    from slotwise.calendars import services, sync
    from slotwise.calendars.models import BusyInterval, CalendarConnection
    from slotwise.catalog.models import Provider
    from tests.support.radicale import radicale_server

    count = QUICK_EVENTS if db.quick else EVENTS
    provider = Provider.objects.get(name="Free")
    business = provider.business
    rng = random.Random(SEED)
    with radicale_server() as server, override_settings(SLOTWISE_ALLOW_PRIVATE_URLS=True):
        user, password = server.new_user()
        calendar = (
            caldav.DAVClient(server.url, username=user, password=password)
            .principal()
            .make_calendar(name="Big")
        )
        session = requests.Session()
        session.auth = (user, password)
        base = str(calendar.url)
        t0 = time.monotonic()
        # One PUT of a whole calendar: Radicale stores each event as an item of its own.
        body = "".join(_vevent(_event(n, rng)) for n in range(count))
        session.put(
            base,
            data=f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Bench//EN\r\n{body}END:VCALENDAR\r\n".encode(),
            headers={"Content-Type": "text/calendar"},
        ).raise_for_status()
        filled = time.monotonic() - t0
        # Radicale builds its own caches on the first report after a bulk upload (half a
        # minute for 2,000 events on this machine): that is the server's time, not ours.
        t0 = time.monotonic()
        calendar.objects_by_sync_token(None, load_objects=False)
        warmed = time.monotonic() - t0
        services.CONNECT_BUDGET_SECONDS = 600.0
        t0 = time.monotonic()
        connection = services.connection_create(
            business=business,
            provider=provider,
            kind="caldav",
            url=server.url,
            username=user,
            password=password,
            now=NOW,
        )
        full = time.monotonic() - t0
        assert connection.status == CalendarConnection.Status.OK, connection.last_error
        stored = BusyInterval.objects.filter(remote_calendar__connection=connection).count()
        for n in range(0, 20):
            session.put(
                f"{base}bench-{n}.ics",
                data=_event(n, rng, version=1).encode(),
                headers={"Content-Type": "text/calendar"},
            ).raise_for_status()
        t0 = time.monotonic()
        sync.sync_connection(connection.pk, now=NOW + timedelta(minutes=5), budget_seconds=600)
        incremental = time.monotonic() - t0
        connection.refresh_from_db()
        assert connection.status == CalendarConnection.Status.OK, connection.last_error
    report.add(
        Result(
            f"connect + full sync, {count:,} events",
            full * 1000,
            "ms",
            detail=f"{stored:,} busy intervals stored; filling the server took {filled:.1f} s, "
            f"its first report {warmed:.1f} s",
        )
    )
    report.add(Result("incremental sync, 20 changed events", incremental * 1000, "ms"))


def run(db: BenchDatabase) -> Report:
    report = Report(title="Calendar sync: busy times in availability, syncing a large calendar")
    _availability(report, db)
    _sync(report, db)
    return report


if __name__ == "__main__":
    main("calendars", run)
