"""``make bench``: availability and booking figures on this machine.

Runs against a throwaway database (SQLite in var/bench.sqlite3 unless DATABASE_URL is set to
PostgreSQL, in which case a database named ``<name>_bench`` is used). Prints a Markdown table.
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "slotwise.settings")
url = os.environ.get("DATABASE_URL", "")
if url.startswith("postgres"):
    os.environ["DATABASE_URL"] = url.rstrip("/") + "_bench"
else:
    bench_db = ROOT / "var" / "bench.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(str(bench_db) + suffix).unlink(missing_ok=True)
    os.environ["DATABASE_URL"] = f"sqlite:///{bench_db}"

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402


def timed(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def row(name: str, samples: list[float]) -> str:
    samples = sorted(samples)
    p95 = samples[min(len(samples) - 1, int(len(samples) * 0.95))]
    return f"| {name} | {len(samples)} | {statistics.median(samples):.2f} | {p95:.2f} |"


def main() -> None:
    if connection.vendor == "postgresql":
        from django.db import connections

        name = connection.settings_dict["NAME"]
        with connections["default"]._nodb_cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
            cur.execute(f'CREATE DATABASE "{name}"')
    call_command("migrate", verbosity=0)

    from slotwise.bookings import actions
    from slotwise.bookings.actor import Actor
    from slotwise.bookings.policy import SelfServicePolicy
    from slotwise.scheduling import availability, loaders
    from tests.conftest import build_world

    world = build_world("bench")
    tz = world.business.tz
    now = datetime(2030, 6, 1, 8, tzinfo=UTC)
    customers = [
        world.customer.__class__.objects.create(
            business=world.business, name=f"C{i}", email=f"c{i}@bench.test"
        )
        for i in range(50)
    ]
    # Fill 60 days with a realistic load: three bookings a day per provider.
    for day in range(60):
        for hour in (9, 11, 13):
            for provider in (world.alex, world.blake):
                actions.booking_create_custom(
                    business=world.business,
                    actor=Actor.system(),
                    customer=customers[day % 50],
                    service=world.service,
                    provider=provider,
                    start=datetime(2030, 6, 2, hour, tzinfo=tz) + timedelta(days=day),
                    policy=SelfServicePolicy(True, True, 1440),
                    now=now,
                )
    lines = [
        f"Machine: {platform.node()} — {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{connection.vendor}; {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "",
        "| measurement | runs | median ms | p95 ms |",
        "|---|---|---|---|",
    ]
    start = datetime(2030, 6, 2, tzinfo=tz)
    # Pure engine: 2 providers, 60 days, 30-minute step, 180 busy intervals each.
    schedules = loaders.provider_schedules(
        providers=[world.alex, world.blake],
        window_start=start,
        window_end=start + timedelta(days=60),
    )
    rules = loaders.rules_for(service=world.service, business=world.business, page=world.page)
    lines.append(
        row(
            "engine: 60 days, 2 providers (pure)",
            timed(
                lambda: availability.free_slots(
                    providers=schedules,
                    rules=rules,
                    tz=tz,
                    window_start=start,
                    window_end=start + timedelta(days=60),
                    now=now,
                ),
                50,
            ),
        )
    )
    lines.append(
        row(
            "slots_for: 1 day, any provider (with queries)",
            timed(
                lambda: loaders.slots_for(
                    service=world.service,
                    page=world.page,
                    window_start=start + timedelta(days=10),
                    window_end=start + timedelta(days=11),
                    now=now,
                ),
                200,
            ),
        )
    )
    lines.append(
        row(
            "slots_for: 31 days, any provider (with queries)",
            timed(
                lambda: loaders.slots_for(
                    service=world.service,
                    page=world.page,
                    window_start=start,
                    window_end=start + timedelta(days=31),
                    now=now,
                ),
                50,
            ),
        )
    )
    counter = iter(range(10_000))

    def book_and_cancel() -> None:
        i = next(counter)
        booking, _ = actions.booking_create_web(
            page=world.page,
            service=world.service,
            provider=None,
            start=datetime(2030, 6, 2, 15, 30, tzinfo=tz) + timedelta(days=i % 60),
            customer=actions.CustomerDetails("Web", f"w{i}@bench.test"),
            now=now,
        )
        actions.booking_cancel(booking_id=booking.pk, actor=Actor.customer(), now=now)

    lines.append(row("web booking + customer cancel (2 transactions)", timed(book_and_cancel, 200)))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
