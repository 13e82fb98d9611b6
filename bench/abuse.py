"""Abuse figures: one huge availability question, and what four of them do to everyone else.

    python -m bench.abuse --database sqlite        (or postgresql; --quick for a smoke run)

A booking page of 100 providers (08:00-20:00 every day) with a 5-minute step, served by
gunicorn (2 sync workers, production settings). Measured twice, on the same data:

- ``unlimited``: the work cap and rate limits turned off (as before they existed);
- ``shipped``: the shipped defaults (docs/deployment.md, "Rate limits and work caps").

Figures: the 62-day public API availability question of the whole page (status, size, time);
the booking page's month with "any provider" (the largest question the page itself asks);
and the latency of ``/healthz`` alone and while four clients keep asking the 62-day question
in parallel. Written to docs/reliability.md by hand ("Abuse: rate limits and work caps").
"""

from __future__ import annotations

import http.client
import secrets
import statistics
import threading
import time
from datetime import datetime, timedelta
from datetime import time as clock_time
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from bench.common import BenchDatabase, Report, Result, main
from bench.servers import web_server

HEADERS = {"Host": "127.0.0.1", "X-Forwarded-Proto": "https"}
PROVIDERS = 100
STEP = 5


def prepare() -> dict[str, Any]:
    """The 100-provider page; returns the paths the figures ask for."""
    from slotwise.bookings.models import BookingPage
    from slotwise.catalog.models import Provider, Service, WorkingHours
    from slotwise.core.services import business_create

    business, _ = business_create(
        slug="bench-abuse",
        name="Abuse Studio",
        timezone="Europe/Berlin",
        owner_email="owner@bench-abuse.test",
        owner_password=secrets.token_urlsafe(16),
    )
    service = Service.objects.create(
        business=business, name="Visit", duration_minutes=30, price="10.00", currency="EUR"
    )
    providers = Provider.objects.bulk_create(
        Provider(business=business, name=f"P{i:03}", email=f"p{i}@bench-abuse.test")
        for i in range(PROVIDERS)
    )
    service.providers.set(providers)
    WorkingHours.objects.bulk_create(
        WorkingHours(provider=p, weekday=d, start=clock_time(8), end=clock_time(20))
        for p in providers
        for d in range(7)
    )
    page = BookingPage.objects.create(
        business=business,
        slug="all",
        title="Everyone",
        min_notice_minutes=0,
        max_days_ahead=90,
        slot_step_minutes=STEP,
        any_provider=True,
    )
    page.services.set([service])
    page.providers.set(providers)
    tz = ZoneInfo("Europe/Berlin")
    start = datetime.now(tz).replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    end = start + timedelta(days=62)
    month = (start + timedelta(days=32)).strftime("%Y-%m")
    return {
        "api": f"/api/v1/public/bench-abuse/pages/all/availability?service_id={service.pk}"
        f"&start={quote(start.isoformat())}&end={quote(end.isoformat())}",
        "site": f"/book/bench-abuse/all/?service={service.pk}&provider=any&month={month}",
    }


def get(port: int, path: str, address: str = "127.0.0.1") -> tuple[int, int, float]:
    """(status, body bytes, seconds) of one GET from ``address``."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120, source_address=(address, 0))
    started = time.perf_counter()
    try:
        conn.request("GET", path, headers=HEADERS)
        response = conn.getresponse()
        body = response.read()
        return response.status, len(body), time.perf_counter() - started
    finally:
        conn.close()


def healthz_under_load(port: int, path: str, samples: int) -> tuple[list[float], list[float]]:
    """/healthz latencies (ms) idle, then while four clients repeat ``path`` in parallel."""
    idle = [get(port, "/healthz")[2] * 1000 for _ in range(samples)]
    stop = threading.Event()

    def hammer(n: int) -> None:
        while not stop.is_set():
            get(port, path, address=f"127.0.0.{10 + n}")

    threads = [threading.Thread(target=hammer, args=(n,), daemon=True) for n in range(4)]
    for t in threads:
        t.start()
    time.sleep(1.0)  # let the four requests occupy the workers
    loaded = []
    for _ in range(samples):
        loaded.append(get(port, "/healthz")[2] * 1000)
        time.sleep(0.2)
    stop.set()
    for t in threads:
        t.join(timeout=180)
    return idle, loaded


def run(db: BenchDatabase) -> Report:
    paths = prepare()
    samples = 5 if db.quick else 15
    report = Report("Abuse: rate limits and work caps")
    rows = [
        "| run | 62-day API question | booking page month (any provider) "
        "| /healthz idle median | /healthz under 4 heavy, median / max |",
        "|---|---|---|---|---|",
    ]
    unlimited = {
        "SLOTWISE_AVAILABILITY_MAX_WORK": str(10**12),
        "SLOTWISE_RATE_AVAILABILITY": "off",
    }
    shipped = {"SLOTWISE_RATE_AVAILABILITY": "120/60", "SLOTWISE_AVAILABILITY_MAX_WORK": ""}
    for name, env in (("unlimited", unlimited), ("shipped", shipped)):
        with web_server(db.url, workers=2, extra_env=env) as server:
            get(server.port, paths["site"])  # warm up both workers' imports
            get(server.port, paths["site"])
            status, size, seconds = get(server.port, paths["api"])
            site_status, site_size, site_seconds = get(server.port, paths["site"])
            idle, loaded = healthz_under_load(server.port, paths["api"], samples)
        report.add(
            Result(
                f"{name}: 62-day question",
                seconds * 1000,
                "ms",
                detail=f"{status}, {size / 1e6:.2f} MB",
            )
        )
        report.add(
            Result(
                f"{name}: /healthz under 4 heavy",
                statistics.median(loaded),
                "ms",
                detail=f"max {max(loaded):.0f} ms, idle median {statistics.median(idle):.0f} ms",
            )
        )
        rows.append(
            f"| {name} | {status}, {size / 1e6:.2f} MB, {seconds * 1000:.0f} ms "
            f"| {site_status}, {site_size / 1e3:.0f} kB, {site_seconds * 1000:.0f} ms "
            f"| {statistics.median(idle):.0f} ms "
            f"| {statistics.median(loaded):.0f} ms / {max(loaded):.0f} ms |"
        )
    report.markdown = "\n".join(rows)
    print(report.markdown)
    return report


if __name__ == "__main__":
    main("abuse", run)
