"""Where a request's CPU time goes: availability, web booking, reschedule and cancel.

    .venv/bin/python -m bench.profile --database sqlite|postgresql

Each kind of request runs in process through Django's full stack (middleware, routing, the
API layer, the actions, the database) under cProfile, against the same business the HTTP
benchmark uses. Every function's own time is put into one of a few groups (the ORM, the
database driver, Django's request handling, the API layer's validation and serialization,
Slotwise's own code, …), so the table says what a faster request would have to change.
The figures are CPU time of one process with no concurrency: what one request costs, not
how long it waits.
"""

from __future__ import annotations

import cProfile
import pstats
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from datetime import time as clock_time
from urllib.parse import quote

from bench.common import BenchDatabase, Report, Result, main

#: (group, path fragments that put a function in it), first match wins.
GROUPS: list[tuple[str, tuple[str, ...]]] = [
    ("availability engine and loaders", ("slotwise/scheduling/",)),
    ("email rendering (outbox side)", ("slotwise/notifications/",)),
    ("other Slotwise code", ("slotwise/",)),
    ("Django ORM: building and compiling queries, making rows", ("django/db/models/",)),
    (
        "database driver and backend",
        ("psycopg", "sqlite3", "django/db/backends/", "django/db/transaction", "django/db/utils"),
    ),
    ("API layer: django-ninja and pydantic", ("ninja/", "pydantic")),
    (
        "Django request handling: middleware, routing, responses",
        ("django/core/handlers", "django/middleware", "django/urls", "django/http", "django/"),
    ),
    ("JSON", ("json/",)),
    ("dates and time zones", ("zoneinfo", "datetime", "_strptime")),
]
OTHER = "other (standard library, interpreter)"


def group_of(filename: str) -> str:
    for name, fragments in GROUPS:
        if any(f in filename for f in fragments):
            return name
    return OTHER


def profile(fn: Callable[[int], None], n: int) -> tuple[float, Counter[str], float]:
    """CPU ms per call, own time by group (ms per call), and queries per call."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for i in range(3):  # warm up caches, templates, imports
        fn(-1 - i)
    prof = cProfile.Profile()
    t0 = time.process_time()
    with CaptureQueriesContext(connection) as queries:
        prof.enable()
        for i in range(n):
            fn(i)
        prof.disable()
    cpu_ms = (time.process_time() - t0) * 1000 / n
    stats = pstats.Stats(prof)
    by_group: Counter[str] = Counter()
    for (filename, _line, _name), (_cc, _nc, tottime, _ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        by_group[group_of(filename)] += tottime * 1000 / n
    return cpu_ms, by_group, len(queries) / n


def run(db: BenchDatabase) -> Report:
    from django.test import Client

    from bench.http import prepare

    fixture = prepare(db, quick=True)
    client = Client(HTTP_HOST="127.0.0.1", HTTP_X_FORWARDED_PROTO="https")
    days = fixture.availability_days
    start = datetime.combine(days[0], clock_time(0), tzinfo=fixture.tz)
    end = datetime.combine(days[-1] + timedelta(days=1), clock_time(0), tzinfo=fixture.tz)
    availability = (
        f"{fixture.page_path}/availability?service_id={fixture.service_id}"
        f"&start={quote(start.isoformat())}&end={quote(end.isoformat())}"
        f"&provider_id={fixture.provider_ids[0]}"
    )
    slots = fixture.slots(fixture.booking_days, fixture.provider_ids)
    targets = {
        pid: iter(
            fixture.start_at(d, s)
            for d in fixture.reschedule_days
            for s in range(fixture.slots_per_day)
        )
        for pid in fixture.provider_ids
    }
    booked: list[tuple[str, int]] = []
    moved: list[str] = []
    n = 30 if db.quick else 200

    def get_availability(_: int) -> None:
        response = client.get(availability)
        assert response.status_code == 200, response.content[:300]

    def book(i: int) -> None:
        pid, at = next(slots)
        response = client.post(
            f"{fixture.page_path}/bookings",
            {
                "service_id": fixture.service_id,
                "provider_id": pid,
                "start": at.isoformat(),
                "customer": {"name": f"Profile {i}", "email": f"p{i}@profile.test"},
            },
            content_type="application/json",
        )
        assert response.status_code == 201, response.content[:300]
        data = response.json()
        booked.append((data["manage_url"].rstrip("/").rsplit("/", 1)[-1], pid))

    def reschedule(_: int) -> None:
        token, pid = booked.pop()
        response = client.post(
            f"/api/v1/manage/{token}/reschedule",
            {"start": next(targets[pid]).isoformat()},
            content_type="application/json",
        )
        assert response.status_code == 200, response.content[:300]
        moved.append(token)

    def cancel(_: int) -> None:
        response = client.post(
            f"/api/v1/manage/{moved.pop()}/cancel", {}, content_type="application/json"
        )
        assert response.status_code == 200, response.content[:300]

    kinds = [
        ("availability: one provider, 31 days", get_availability, n),
        ("web booking", book, n),
        ("manage: reschedule", reschedule, n),
        ("manage: cancel", cancel, n),
    ]
    report = Report("Where a request's CPU time goes (in process, cProfile)")
    columns: list[tuple[str, float, Counter[str], float]] = []
    # Each kind's warm-up calls use up as many of the previous kind's bookings as they make.
    for name, fn, count in kinds:
        cpu, groups, queries = profile(fn, count)
        columns.append((name, cpu, groups, queries))
        report.add(
            Result(
                f"{name}: CPU per request",
                round(cpu, 2),
                "ms",
                detail=f"{queries:.0f} queries; one process, no concurrency, profiler on",
            )
        )
    names = [name for name, _ in GROUPS] + [OTHER]
    header = "| own time, ms per request | " + " | ".join(c[0] for c in columns) + " |"
    lines = [header, "|---" * (len(columns) + 1) + "|"]
    for group in names:
        cells = [f"{c[2][group]:.2f}" for c in columns]
        if any(float(x) >= 0.01 for x in cells):
            lines.append(f"| {group} | " + " | ".join(cells) + " |")
    lines.append(
        "| **total (with profiler overhead)** | "
        + " | ".join(f"**{sum(c[2].values()):.2f}**" for c in columns)
        + " |"
    )
    report.markdown = (
        "Own time of every function, grouped by where it lives; a row says how much of one "
        "request is spent in that layer's code. cProfile's clock is wall time: on PostgreSQL "
        "the driver's row includes waiting for the server (above all, a commit waiting for its "
        "WAL flush); on SQLite it is nearly all CPU.\n\n" + "\n".join(lines)
    )
    return report


if __name__ == "__main__":
    main("profile", run)
