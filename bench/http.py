"""HTTP benchmarks: the public API served by gunicorn with production settings, under load.

Figures (names for ``measure``):

- ``availability``: a month of free slots of one provider on a booking page, 16 clients.
- ``bookings``: web bookings through the public API (each with its history, manage token and
  outbox rows: confirmation, staff alerts, reminder), 32 clients.
- ``pgbench`` (PostgreSQL): the database's own ceiling for the same kind of write, measured
  with pgbench custom scripts in bench/pg/, to put the bookings rate in proportion.
- ``contention``: 64 clients racing for 20 slots; exactly 20 bookings, every loser a 409.
- ``manage``: customers rescheduling, then cancelling, through their manage links.
- ``memory``: the peak resident memory (VmHWM) of each gunicorn worker over all of the above.

``prepare`` builds the benchmark business and returns an ``HttpFixture`` naming the days each
figure books into, so that a module filling the same database with many other bookings (the
scale benchmark) can keep those days free and then call ``measure``.

The load generator (bench/loadgen.py) runs in this process and shares the two cores with the
server; its own CPU use is reported with every figure.
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

from bench.common import VAR, BenchDatabase, Report, Result, main
from bench.loadgen import LoadResult, Request, RequestSource, Response, run_load
from bench.servers import WebServer, peak_rss_mb, web_server

PG_DIR = Path(__file__).resolve().parent / "pg"
FIGURES = ("availability", "bookings", "pgbench", "contention", "manage", "memory")

#: gunicorn layout on the 2-core machine, chosen by trying several (see Report.markdown):
#: sync workers, more of them than cores, because a booking spends much of its time waiting
#: for the database (commit flush, row locks) and a waiting worker holds no core.
WORKERS = int(os.environ.get("BENCH_HTTP_WORKERS", "4"))
THREADS = int(os.environ.get("BENCH_HTTP_THREADS", "1"))


# --- the benchmark business -------------------------------------------------------------------


@dataclass
class HttpFixture:
    """The benchmark business and the calendar days each figure uses.

    Every provider works ``day_start``–``day_end`` (business time) every day; the service takes
    ``slot_minutes`` with no buffers, so each provider has ``slots_per_day`` slots a day. Days
    in ``reserved_days()`` must stay free of other bookings for the figures to be valid.
    """

    business_slug: str
    page_slug: str
    service_id: int
    provider_ids: list[int]
    timezone: str
    availability_days: list[date]  # a month, holding ``existing_per_day`` bookings per provider
    booking_days: list[date]  # new web bookings go here (figure "bookings")
    reschedule_days: list[date]  # manage: bookings are moved here, then cancelled
    contention_day: date  # 20 slots raced for
    day_start: int = 9
    day_end: int = 17
    slot_minutes: int = 30
    existing_per_day: int = 4
    existing_bookings: int = 0

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def slots_per_day(self) -> int:
        return (self.day_end - self.day_start) * 60 // self.slot_minutes

    @property
    def page_path(self) -> str:
        return f"/api/v1/public/{self.business_slug}/pages/{self.page_slug}"

    def reserved_days(self) -> list[date]:
        """Days that must hold no bookings but the ones the figures make."""
        return [*self.booking_days, *self.reschedule_days, self.contention_day]

    def start_at(self, day: date, slot: int) -> datetime:
        local = datetime.combine(day, clock_time(self.day_start), tzinfo=self.tz)
        return (local + timedelta(minutes=slot * self.slot_minutes)).astimezone(self.tz)

    def slots(self, days: list[date], provider_ids: list[int]) -> Iterator[tuple[int, datetime]]:
        """(provider id, start) over ``days``, cycling through providers fastest, so that
        consecutive requests lock different providers."""
        for day in days:
            for slot in range(self.slots_per_day):
                start = self.start_at(day, slot)
                for pid in provider_ids:
                    yield pid, start


def prepare(db: BenchDatabase, *, quick: bool) -> HttpFixture:
    """Create the benchmark business: 50 providers, one 30-minute service, a public page with
    self-service on, and ``existing_per_day`` bookings per provider on every availability day.

    Needs Django set up on ``db`` (as bench/common.py does); returns what ``measure`` needs.
    """
    from slotwise.bookings.models import Booking, BookingPage
    from slotwise.catalog.models import Customer, Provider, Service, WorkingHours
    from slotwise.core.services import business_create

    tz_name = "Europe/Berlin"
    business, _ = business_create(
        slug="bench-http",
        name="Bench Studio",
        timezone=tz_name,
        owner_email="owner@bench-http.test",
        owner_password=secrets.token_urlsafe(16),
    )
    service = Service.objects.create(
        business=business,
        name="Consultation",
        duration_minutes=30,
        price="40.00",
        currency=business.currency,
    )
    providers = Provider.objects.bulk_create(
        Provider(business=business, name=f"Provider {i:02}", email=f"p{i:02}@bench-http.test")
        for i in range(50)
    )
    service.providers.set(providers)
    WorkingHours.objects.bulk_create(
        WorkingHours(provider=p, weekday=d, start=clock_time(9), end=clock_time(17))
        for p in providers
        for d in range(7)
    )
    tz = ZoneInfo(tz_name)
    first = datetime.now(tz).date() + timedelta(days=2)
    month = [first + timedelta(days=i) for i in range(31)]
    n = 4 if quick else 24  # 50 providers x 16 slots = 800 bookings a day
    after = month[-1] + timedelta(days=1)
    booking_days = [after + timedelta(days=i) for i in range(n)]
    reschedule_days = [after + timedelta(days=n + i) for i in range(n)]
    contention_day = after + timedelta(days=2 * n)
    page = BookingPage.objects.create(
        business=business,
        slug="book",
        title="Book a consultation",
        min_notice_minutes=60,
        max_days_ahead=(contention_day - first).days + 10,
        slot_step_minutes=30,
        allow_cancel=True,
        allow_reschedule=True,
        change_deadline_minutes=60,
    )
    page.services.set([service])
    page.providers.set(providers)
    fixture = HttpFixture(
        business_slug=business.slug,
        page_slug=page.slug,
        service_id=service.pk,
        provider_ids=[p.pk for p in providers],
        timezone=tz_name,
        availability_days=month,
        booking_days=booking_days,
        reschedule_days=reschedule_days,
        contention_day=contention_day,
    )
    # Existing bookings spread over the month: every other hour, so a month has gaps to find.
    customer = Customer.objects.create(business=business, name="Regular", email="r@bench.test")
    references: set[str] = set()
    rows = []
    for day in month:
        for k in range(fixture.existing_per_day):
            start = fixture.start_at(day, 4 * k).astimezone(UTC)
            end = start + timedelta(minutes=30)
            for p in providers:
                ref = _reference(references)
                rows.append(
                    Booking(
                        business=business,
                        reference=ref,
                        source=Booking.Source.CUSTOM,
                        service=service,
                        provider=p,
                        customer=customer,
                        start=start,
                        end=end,
                        blocked_start=start,
                        blocked_end=end,
                        price=service.price,
                        currency=service.currency,
                    )
                )
    Booking.objects.bulk_create(rows, batch_size=2000)
    fixture.existing_bookings = len(rows)
    return fixture


def _reference(taken: set[str]) -> str:
    alphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
    while True:
        ref = "SW-" + "".join(secrets.choice(alphabet) for _ in range(6))
        if ref not in taken:
            taken.add(ref)
            return ref


# --- figures ----------------------------------------------------------------------------------


@dataclass
class _State:
    """What one figure leaves for the next (the bookings' manage links)."""

    booked: list[tuple[str, int]] = field(default_factory=list)  # (token, provider id)
    server_peak_mb: float = 0.0


class _Target:
    """The server under test: runs loads against it, watching its workers' and (on PostgreSQL)
    the database backends' CPU time, so each figure also says what one request costs."""

    def __init__(self, server: WebServer, db: BenchDatabase) -> None:
        self.server = server
        self.db = db

    def watch(self) -> dict[str, list[int]]:
        groups = {"gunicorn": self.server.worker_pids()}
        if self.db.vendor == "postgresql":
            from django.db import connection

            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pid FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
                groups["postgres"] = [row[0] for row in cursor.fetchall()]
        return groups

    def run(self, source: RequestSource, **options: Any) -> LoadResult:
        return run_load(self.server.url, source, watch=self.watch, **options)


def _iso(value: datetime) -> str:
    return value.isoformat()


def _token(manage_url: str) -> str:
    return urlsplit(manage_url).path.rstrip("/").rsplit("/", 1)[-1]


def _result(
    name: str,
    load: LoadResult,
    *,
    value: float,
    unit: str,
    target: str,
    met: bool | None,
    extra: str = "",
) -> Result:
    detail = load.describe() + (f"; {extra}" if extra else "")
    return Result(name, round(value, 2), unit, target, met, detail)


def availability(target: _Target, fixture: HttpFixture, *, quick: bool) -> list[Result]:
    """A month of one provider's slots, then (for comparison) of "any provider"."""
    days = fixture.availability_days
    start = datetime.combine(days[0], clock_time(0), tzinfo=fixture.tz)
    end = datetime.combine(days[-1] + timedelta(days=1), clock_time(0), tzinfo=fixture.tz)
    window = f"start={quote(_iso(start))}&end={quote(_iso(end))}"
    base = f"{fixture.page_path}/availability?service_id={fixture.service_id}&{window}"
    counter = iter(range(10**9))

    def one_provider(_: int) -> Request:
        pid = fixture.provider_ids[next(counter) % len(fixture.provider_ids)]
        return Request("GET", f"{base}&provider_id={pid}")

    sizes: Counter[int] = Counter()

    def check(request: Request, response: Response) -> None:
        if response.status == 200:
            sizes[len(response.json()["slots"])] += 1

    target.run(one_provider, clients=16, duration=2)  # warm up every worker
    load = target.run(one_provider, clients=16, duration=5 if quick else 20, on_response=check)
    s = load.summary()
    ok = load.statuses.get(200, 0) == load.requests and load.requests > 0
    results = [
        _result(
            "availability: one provider, 31 days, median",
            load,
            value=s["median"],
            unit="ms",
            target="≤ 25 ms median, ≤ 80 ms p99, 16 clients",
            met=ok and s["median"] <= 25 and s["p99"] <= 80,
            extra=f"slots per answer {dict(sizes)}",
        ),
        Result("availability: one provider, requests/s", round(load.rate, 1), "req/s"),
    ]
    any_load = target.run(lambda _: Request("GET", base), clients=16, duration=3 if quick else 10)
    results.append(
        _result(
            "availability: any of 50 providers, 31 days, median",
            any_load,
            value=any_load.summary()["median"],
            unit="ms",
            target="(no target; for comparison)",
            met=None,
        )
    )
    return results


def bookings(target: _Target, fixture: HttpFixture, state: _State, *, quick: bool) -> list[Result]:
    """Web bookings on distinct free slots, as fast as 32 clients can make them."""
    from slotwise.bookings.models import Booking
    from slotwise.notifications.models import Message

    slots = fixture.slots(fixture.booking_days, fixture.provider_ids)
    seq = iter(range(10**9))

    def next_booking(_: int) -> Request | None:
        try:
            pid, start = next(slots)
        except StopIteration:
            return None
        n = next(seq)
        body = {
            "service_id": fixture.service_id,
            "provider_id": pid,
            "start": _iso(start),
            "customer": {
                "name": f"Customer {n}",
                "email": f"c{n}@bench-customers.test",
                "timezone": "Europe/London",
            },
        }
        return Request("POST", f"{fixture.page_path}/bookings", body)

    def keep(request: Request, response: Response) -> None:
        if response.status == 201:
            data = response.json()
            state.booked.append((_token(data["manage_url"]), data["booking"]["provider_id"]))

    # Only this business's booking days: the database may hold many other bookings.
    mine = Booking.objects.filter(
        business__slug=fixture.business_slug,
        start__gte=_midnight(fixture, fixture.booking_days[0]),
        start__lt=_midnight(fixture, fixture.booking_days[-1] + timedelta(days=1)),
    )
    before = mine.count()
    load = target.run(next_booking, clients=32, duration=5 if quick else 20, on_response=keep)
    made = mine.count() - before
    new = mine.filter(source=Booking.Source.WEB)
    reminders = Message.objects.filter(booking__in=new, kind=Message.Kind.REMINDER).count()
    outbox = Message.objects.filter(booking__in=new).count()
    s = load.summary()
    created = load.statuses.get(201, 0)
    rate = created / load.seconds if load.seconds else 0.0
    clean = created == load.requests == made == reminders and not load.errors
    return [
        _result(
            "bookings over HTTP",
            load,
            value=rate,
            unit="bookings/s",
            target="≥ 400/s at 32 clients, p99 ≤ 150 ms",
            met=clean and rate >= 400 and s["p99"] <= 150,
            extra=f"{made} bookings written, {outbox} outbox rows, {reminders} reminders",
        )
    ]


def _midnight(fixture: HttpFixture, day: date) -> datetime:
    return datetime.combine(day, clock_time(0), tzinfo=fixture.tz)


def pgbench(db: BenchDatabase, *, quick: bool) -> tuple[list[Result], dict[str, float]]:
    """pgbench's transactions/s for bench/pg/*.sql at 32 clients, on the benchmark database."""
    if db.vendor != "postgresql":
        return [], {}
    subprocess.run(
        ["psql", db.url, "-q", "-v", "ON_ERROR_STOP=1", "-f", str(PG_DIR / "setup.sql")],
        check=True,
        capture_output=True,
    )
    seconds = "5" if quick else "15"
    rates: dict[str, float] = {}
    results = []
    for script, what in (
        ("no_overlap_insert", "one insert under the exclusion constraint per commit"),
        ("booking_shaped", "lock provider + booking insert + 5 side rows per commit"),
    ):
        out = subprocess.run(
            [
                "pgbench",
                "-n",
                "-c",
                "32",
                "-j",
                "2",
                "-T",
                seconds,
                "-f",
                str(PG_DIR / f"{script}.sql"),
                db.url,
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        found = re.search(r"tps = ([\d.]+)", out)
        latency = re.search(r"latency average = ([\d.]+) ms", out)
        rates[script] = float(found.group(1)) if found else 0.0
        results.append(
            Result(
                f"pgbench {script}",
                round(rates[script], 1),
                "tx/s",
                detail=f"{what}; 32 clients, 2 threads, {seconds} s; "
                f"average latency {latency.group(1) if latency else '?'} ms",
            )
        )
    return results, rates


def contention(target: _Target, fixture: HttpFixture, *, quick: bool) -> list[Result]:
    """64 clients try, again and again, to book one of 20 slots."""
    from slotwise.bookings.models import Booking

    per = fixture.slots_per_day
    targets = [
        (fixture.provider_ids[i // per], fixture.start_at(fixture.contention_day, i % per))
        for i in range(20)
    ]
    attempts = 2000 if quick else 10_000
    seq = iter(range(10**9))
    codes: Counter[str] = Counter()

    def attempt(_: int) -> Request:
        n = next(seq)
        pid, start = targets[n % len(targets)]
        body = {
            "service_id": fixture.service_id,
            "provider_id": pid,
            "start": _iso(start),
            "customer": {"name": f"Racer {n}", "email": f"racer{n}@bench-customers.test"},
        }
        return Request("POST", f"{fixture.page_path}/bookings", body)

    def check(request: Request, response: Response) -> None:
        if response.status == 409:
            codes[response.json().get("code", "?")] += 1

    # Bounded in time too: a run cut short is reported (and not counted as met).
    load = target.run(attempt, clients=64, duration=600, max_requests=attempts, on_response=check)
    day = _midnight(fixture, fixture.contention_day)
    stored = Booking.objects.filter(
        business__slug=fixture.business_slug,
        start__gte=day,
        start__lt=day + timedelta(days=1),
        status=Booking.Status.CONFIRMED,
    ).count()
    won = load.statuses.get(201, 0)
    lost = load.statuses.get(409, 0)
    clean = (
        won == stored == 20
        and lost == codes["slot_unavailable"] == load.requests - 20
        and load.server_errors() == 0
        and not load.errors
        and load.requests == attempts
    )
    return [
        _result(
            "contention: 64 clients, 20 slots",
            load,
            value=load.rate,
            unit="attempts/s",
            target="exactly 20 booked, every other a 409 slot_unavailable, no 5xx",
            met=clean,
            extra=f"{won} won, {stored} stored, 409 codes {dict(codes)}"
            + ("" if load.requests == attempts else f"; stopped after {load.requests} attempts"),
        )
    ]


def manage(target: _Target, fixture: HttpFixture, state: _State, *, quick: bool) -> list[Result]:
    """Customers move their bookings to another day, then cancel them, through manage links."""
    if not state.booked:
        bookings(target, fixture, state, quick=True)
    booked = list(state.booked)
    free: dict[int, Iterator[datetime]] = {
        pid: (
            fixture.start_at(d, s)
            for d in fixture.reschedule_days
            for s in range(fixture.slots_per_day)
        )
        for pid in fixture.provider_ids
    }
    todo = iter(booked)
    moved: list[str] = []

    def reschedule(_: int) -> Request | None:
        try:
            token, pid = next(todo)
        except StopIteration:
            return None
        start = next(free[pid])
        return Request("POST", f"/api/v1/manage/{token}/reschedule", {"start": _iso(start)}, token)

    def done(request: Request, response: Response) -> None:
        if response.status == 200:
            moved.append(request.tag)

    duration = 5 if quick else 15
    results = []
    load = target.run(reschedule, clients=32, duration=duration, on_response=done)
    rate = load.statuses.get(200, 0) / load.seconds
    results.append(
        _result(
            "manage: reschedule",
            load,
            value=rate,
            unit="/s",
            target="≥ 300/s, no 5xx",
            met=rate >= 300 and load.statuses.get(200, 0) == load.requests and not load.errors,
        )
    )
    to_cancel = iter(moved)

    def cancel(_: int) -> Request | None:
        token = next(to_cancel, None)
        if token is None:
            return None
        return Request("POST", f"/api/v1/manage/{token}/cancel", {"reason": "Plans changed"})

    load = target.run(cancel, clients=32, duration=duration)
    rate = load.statuses.get(200, 0) / load.seconds
    ran_dry = load.requests == len(moved)
    results.append(
        _result(
            "manage: cancel",
            load,
            value=rate,
            unit="/s",
            target="≥ 300/s, no 5xx",
            met=rate >= 300 and load.statuses.get(200, 0) == load.requests and not load.errors,
            extra="ran out of rescheduled bookings before the time was up" if ran_dry else "",
        )
    )
    return results


def _warm_up(target: _Target, fixture: HttpFixture) -> None:
    """Every worker imports the API and opens its database connection before any figure.

    No bad manage links here: they count towards the per-address limit, and every client of
    the benchmark comes from 127.0.0.1.
    """
    day = fixture.availability_days[0]
    start = datetime.combine(day, clock_time(0), tzinfo=fixture.tz)
    window = f"start={quote(_iso(start))}&end={quote(_iso(start + timedelta(days=1)))}"
    paths = [
        fixture.page_path,
        f"{fixture.page_path}/availability?service_id={fixture.service_id}&{window}",
    ]
    turn = iter(range(10**9))
    target.run(lambda _: Request("GET", paths[next(turn) % len(paths)]), clients=8, duration=3)


def measure(db: BenchDatabase, fixture: HttpFixture, *, figures: set[str]) -> list[Result]:
    """Run the named figures (see FIGURES) against one gunicorn on ``db``; in this order."""
    unknown = figures - set(FIGURES)
    if unknown:
        raise ValueError(f"unknown figures {sorted(unknown)}; choose from {FIGURES}")
    quick = db.quick
    state = _State()
    results: list[Result] = []
    VAR.mkdir(parents=True, exist_ok=True)
    # Named after the database: another module may measure on its own database meanwhile.
    log = VAR / f"{db.name.removesuffix('.sqlite3')}-{db.vendor}-gunicorn.log"
    log.unlink(missing_ok=True)
    with web_server(db.url, workers=WORKERS, threads=THREADS, log_path=log) as server:
        target = _Target(server, db)
        _warm_up(target, fixture)
        if "availability" in figures:
            results += availability(target, fixture, quick=quick)
        if "bookings" in figures:
            results += bookings(target, fixture, state, quick=quick)
        if "contention" in figures:
            results += contention(target, fixture, quick=quick)
        if "manage" in figures:
            results += manage(target, fixture, state, quick=quick)
        peaks = {pid: round(peak_rss_mb(pid), 1) for pid in server.worker_pids()}
    if "pgbench" in figures:
        pg_results, rates = pgbench(db, quick=quick)
        results += pg_results
        ours = next((r for r in results if r.name == "bookings over HTTP"), None)
        if ours is not None and rates:
            for script, tps in rates.items():
                results.append(
                    Result(
                        f"bookings/s as a share of pgbench {script}",
                        round(100 * ours.value / tps, 1) if tps else 0.0,
                        "%",
                        detail=f"{ours.value:.0f} bookings/s vs {tps:.0f} tx/s",
                    )
                )
    if "memory" in figures:
        peak = max(peaks.values(), default=0.0)
        results.append(
            Result(
                "web worker peak RSS (VmHWM)",
                peak,
                "MB",
                "≤ 200 MB",
                0 < peak <= 200,
                f"{WORKERS} gunicorn workers × {THREADS} thread(s): {peaks}",
            )
        )
    return results


def run(db: BenchDatabase) -> Report:
    fixture = prepare(db, quick=db.quick)
    report = Report(f"HTTP API under load (gunicorn, {WORKERS} workers × {THREADS} threads)")
    # BENCH_HTTP_FIGURES=availability,bookings runs some figures only (for trying settings).
    chosen = os.environ.get("BENCH_HTTP_FIGURES", "")
    figures = {f for f in chosen.split(",") if f} or set(FIGURES)
    for result in measure(db, fixture, figures=figures):
        report.add(result)
    report.markdown = NOTES
    return report


NOTES = """
**How to read these figures.** Clients are closed-loop (bench/loadgen.py): each sends its
next request when the previous answer is in, over keep-alive connections (gunicorn's sync
worker closes them after each answer, so clients reconnect; loopback connects are cheap).
The generator shares the two cores with gunicorn and the database; its CPU share, and the
CPU milliseconds one request costs in the gunicorn workers and (PostgreSQL) the database
backends, are in each row's detail. "All CPU-bound ≈ N/s" divides the cores' time by that
cost: the most this machine could do if nothing else ran, whatever the latency.

**Server layout.** 4 sync gunicorn workers × 1 thread (`BENCH_HTTP_WORKERS`,
`BENCH_HTTP_THREADS` override it). A request is CPU-bound Python (threads do not run it in
parallel) with waits on the database (row locks, the commit's WAL flush): two workers per
core keep both cores busy while some wait, and more only add memory and context switches.
Each worker peaks around 85 MB, far below the 200 MB budget.

**Profile.** Taken in-process with cProfile and query capture on the benchmark data (a
web booking, a month of one provider's availability, a reschedule and a cancel), and with
the CPU time of the gunicorn workers under load. What dominated a web booking was Django's
ORM — building and compiling 36 statements (52 % of its CPU), not executing them: the
page's provider was found by loading all 50 providers with their services (a prefetch) and
scanning them; the service/provider/page pairings took three queries; the business was
loaded lazily after locking the provider; and each outbox row (confirmation, staff alert,
reminder) was a `get_or_create` — a lookup, a savepoint, an insert and a release. Changed:
the page's service and provider are looked up by id (`selectors.page_service`,
`selectors.page_provider`), the pairings are one query with three `EXISTS`, the provider is
locked (`FOR UPDATE OF` the provider only) with its business joined, and the messages of
one change are inserted with one `INSERT … ON CONFLICT DO NOTHING` on their dedupe key
(the same rule as `enqueue`). A web booking went from 36 to 21 statements and its profiled
CPU from 151 to 60 ms (cProfile on the shared, heavily loaded machine: relative only); the
provider lookup alone from 13–18 ms to 2–3 ms; a customer's reschedule and cancel no longer
read the booking again after the action (19 and 12 statements). Availability answers hold
hundreds of slots: their schema is now plain pydantic instead of ninja's Schema, whose
Django-aware getter wraps every field (372 slots: 3.3 → 1.1 ms), and one query now says
that the asked provider is on the page, active and offers the service (it was two, after
the 50-provider prefetch). What remains of an availability request is mostly the engine's
loading of working hours, time off and bookings (about 40 % of its CPU) and ninja's
validation and rendering of the answer (about 17 %). Under contention nearly
every attempt loses to a booking already committed: a web booking for a chosen provider now
checks for an overlapping booking before taking the write lock (SQLite) or queueing for the
provider's row lock (PostgreSQL), so losers get their 409 without serializing behind the
winners; the check under the lock still decides. `tests/bookings/test_query_counts.py` keeps
the statement counts bounded. What is left is the framework's
own cost per request (middleware, ninja parsing and validation, the ORM compiling each of
the ~20 statements) and, for availability, the engine (owned by the engine benchmark).

**What limits throughput.** CPU, not the database: pgbench reaches thousands of single-insert
commits per second and about a thousand booking-shaped transactions per second (the same
write set: provider lock, booking under the exclusion constraint, five side rows) with 32
clients, while a web booking cost 20–25 ms of worker CPU under the load seen while writing
this (CPU time per request inflates on an overloaded machine; the rows above are from a
quiet one). 400 bookings/s on 2 cores leaves 5 ms
of CPU per booking for gunicorn, Django, the ORM, PostgreSQL and the load generator
together; a Django request that validates input, locks, checks availability and writes seven
rows through the ORM costs several times that. Where a target is missed below, the row's
"CPU ms per request" and "all CPU-bound" figures say by how much. Durability is untouched:
`synchronous_commit` stays on, and every booking keeps its history, manage token,
confirmation, staff alerts and reminder rows (the bookings row checks the reminder count).

"""

if __name__ == "__main__":
    main("http", run)
